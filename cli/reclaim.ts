import * as fs from "node:fs";
import { isMap, isSeq, parseDocument, Scalar, type YAMLMap } from "yaml";
import { HOUR_MS, instant, isoInstant } from "../lease/fields";
import { forceInterval, leaseState } from "../lease/lifecycle";
import { checkFolder, EXIT, loadFolder, printJson, tenantStackToEdit, UsageError, type Io } from "./common";
import { child, forEditing, inOriginalLayout, quoteForPulumiCli, STRINGIFY, writeAtomically } from "./yaml-edit";

/** Options of `leasehold reclaim`. */
export interface ReclaimOptions {
  /** The stacks folder. */
  stacks: string;
  /** The tenant stack holding the lease, e.g. `tenant-acme`. */
  stack: string;
  /** The id of the lease to reclaim. */
  lease: string;
  /** Why, in words the tenant reads; required unless `cancel`. */
  reason?: string;
  /**
   * Hours of notice to give. Less than the contract's noticeHours is refused unless `emergency`,
   * and `emergency` is refused unless it is less. @default the lease's reclaim.noticeHours
   */
  notice?: number;
  /** Allow a notice shorter than the contract's; recorded as `emergency: true` in the notice. */
  emergency?: boolean;
  /** Withdraw the lease's notice (only before it takes effect) instead of writing one. */
  cancel?: boolean;
  /** The instant the notice is issued (epoch milliseconds). */
  now: number;
  /** Print `{ok, file, lease, cancelled, summary}` (or the refusal) as JSON on stdout. */
  json?: boolean;
}

/**
 * `leasehold reclaim`: writes the landlord's reclaim notice into a lease (issuedAt now,
 * effectiveAt after the contract's notice, or sooner only with --emergency), or withdraws one
 * with --cancel before it takes effect. Keeps the file's comments and order, checks the
 * would-be fleet first, and changes nothing when refused.
 */
export function reclaim(opts: ReclaimOptions, io: Io): number {
  if (!opts.cancel && (!opts.reason || opts.reason.trim() === ""))
    throw new UsageError("--reason: say why the capacity is reclaimed (the tenant reads it)");
  const opened = tenantStackToEdit(opts, io, "reclaim", "leases live in tenant stacks");
  if (typeof opened === "number") return opened;
  const { file, stack, refuse } = opened;
  const index = stack.config.leases.findIndex((l) => l.id === opts.lease);
  const at = (message: string, path = `leasehold:leases[${index}]`) => [{ file, path, message }];
  if (index < 0) {
    return refuse(
      at(
        `expected a lease of ${stack.name} (${stack.config.leases.map((l) => l.id).join(", ") || "it has none"}), got ${JSON.stringify(opts.lease)}`,
        "leasehold:leases",
      ),
      "no such lease",
    );
  }
  const lease = stack.config.leases[index]!;
  const state = leaseState(lease, opts.now);
  const existing = lease.reclaim.notice;

  const original = fs.readFileSync(file, "utf8");
  const doc = parseDocument(forEditing(original));
  const leases = child(child(doc.contents, "config"), "leasehold:leases");
  const leaseNode = isSeq(leases) ? leases.items[index] : undefined;
  const reclaimNode = child(leaseNode, "reclaim") as YAMLMap | undefined;
  if (!isMap(reclaimNode)) throw new Error("a valid lease has a reclaim map");

  let summary: string;
  if (opts.cancel) {
    if (!existing) return refuse(at("has no reclaim notice to cancel", `leasehold:leases[${index}].reclaim`), "nothing to cancel");
    if (forceInterval(lease).to <= opts.now) {
      return refuse(
        at(
          `its notice took effect at ${existing.effectiveAt}; a notice can be withdrawn only before it takes effect`,
          `leasehold:leases[${index}].reclaim.notice`,
        ),
        "too late to cancel",
      );
    }
    reclaimNode.delete("notice");
    summary = `withdrew the reclaim notice of lease ${lease.id} (it would have taken effect at ${existing.effectiveAt})`;
  } else {
    if (state === "ended" || state === "reclaimed")
      return refuse(at(`is ${state} at ${isoInstant(opts.now)}: there is nothing left to reclaim`), `lease ${state}`);
    if (existing)
      return refuse(
        at(
          `already has a reclaim notice, effective at ${existing.effectiveAt}; withdraw it with --cancel first`,
          `leasehold:leases[${index}].reclaim.notice`,
        ),
        "notice already given",
      );
    const contract = lease.reclaim.noticeHours;
    const asked = opts.notice ?? contract;
    if (asked < contract && !opts.emergency) {
      return refuse(
        at(
          `the contract requires ${contract} hours of notice, and ${asked} were asked; only --emergency may give less`,
          `leasehold:leases[${index}].reclaim.noticeHours`,
        ),
        "notice shorter than the contract",
      );
    }
    if (opts.emergency && asked >= contract) {
      return refuse(
        at(
          `--emergency with ${asked} hours: that is the full contractual notice (${contract}), so it is not an emergency; drop --emergency`,
          `leasehold:leases[${index}].reclaim.noticeHours`,
        ),
        "not an emergency",
      );
    }
    const hours = opts.emergency ? asked : Math.max(asked, contract);
    const issuedAt = isoInstant(opts.now);
    const effectiveAt = isoInstant(opts.now + hours * HOUR_MS);
    const notice = doc.createNode({
      issuedAt,
      effectiveAt,
      reason: opts.reason!.trim(),
      ...(opts.emergency ? { emergency: true } : {}),
    }) as YAMLMap;
    for (const k of ["issuedAt", "effectiveAt"]) (child(notice, k) as Scalar).type = Scalar.QUOTE_DOUBLE;
    reclaimNode.set("notice", notice);
    summary = `lease ${lease.id} of tenant ${stack.config.tenant.name}: reclaim notice issued at ${issuedAt}, effective at ${effectiveAt} (${hours} hours${opts.emergency ? `, an emergency: the contract gives ${contract}` : ""})`;
    if (opts.now + hours * HOUR_MS >= instant(lease.window.end))
      summary += `; the window ends first, at ${lease.window.end}, so the lease ends then as contracted`;
  }

  quoteForPulumiCli(doc);
  const text = inOriginalLayout(original, doc.toString(STRINGIFY));
  const after = checkFolder(loadFolder(opts.stacks, new Map([[file, text]])));
  if (after.length > 0) return refuse(after, "the fleet check would fail");
  writeAtomically(file, text);
  if (opts.json) printJson(io, { ok: true, file, lease: lease.id, cancelled: !!opts.cancel, summary });
  else io.out(summary);
  return EXIT.ok;
}
