import * as fs from "node:fs";
import { parseDocument, Scalar, type YAMLMap } from "yaml";
import { isoInstant } from "../lease/fields";
import { leasesBlockingPurge, purgeBlocker } from "../lease/lifecycle";
import { checkFolder, EXIT, loadFolder, printJson, tenantStackToEdit, UsageError, type Io } from "./common";
import { child, forEditing, inOriginalLayout, quoteForPulumiCli, STRINGIFY, writeAtomically } from "./yaml-edit";

/** Options of `leasehold purge`. */
export interface PurgeOptions {
  /** The stacks folder. */
  stacks: string;
  /** The tenant stack to write the purge marker into, e.g. `tenant-acme`. */
  stack: string;
  /** The tenant whose data goes; must be the stack's tenant. */
  tenant: string;
  /** Must repeat the tenant's name (not needed with --cancel). */
  confirm?: string;
  /** Withdraw the purge marker instead of writing it. */
  cancel?: boolean;
  /** The instant of the confirmation (epoch milliseconds): now, or LEASEHOLD_AT. */
  now: number;
  /** The real clock, to say when `now` is simulated. @default Date.now() */
  clock?: number;
  /** Print `{ok, file, tenant, cancelled, summary}` (or the refusal) as JSON on stdout. */
  json?: boolean;
}

const KEY = "leasehold:purge";

/**
 * `leasehold purge`: the landlord's confirmation that a tenant's data may be deleted. Writes the
 * purge marker (`leasehold:purge`) into the tenant stack, which lifts the namespace's protection
 * at the next `pulumi up`, so that a `pulumi destroy` then deletes the namespace and every PVC in
 * it. Refused while any of the tenant's leases is in force or still to come; --cancel withdraws
 * the marker. Changes nothing when refused.
 */
export function purge(opts: PurgeOptions, io: Io): number {
  if (!opts.cancel && opts.confirm !== opts.tenant) {
    throw new UsageError(
      `--confirm: repeat the tenant's name exactly to confirm deleting its data (--tenant ${opts.tenant} --confirm ${opts.tenant}), got ${JSON.stringify(opts.confirm ?? "")}`,
    );
  }
  const opened = tenantStackToEdit(opts, io, "purge", "tenant data belongs to tenant stacks");
  if (typeof opened === "number") return opened;
  const { file, stack, refuse } = opened;
  const name = stack.config.tenant.name;
  if (opts.tenant !== name) {
    return refuse(
      [
        {
          file,
          path: "leasehold:tenant.name",
          message: `stack ${stack.name} holds tenant ${name}, got --tenant ${JSON.stringify(opts.tenant)}`,
        },
      ],
      "another tenant",
    );
  }
  const existing = stack.config.purge;
  const original = fs.readFileSync(file, "utf8");
  const doc = parseDocument(forEditing(original));
  const config = child(doc.contents, "config") as YAMLMap | undefined;
  if (!config) throw new Error("a valid stack file has a config map");

  let summary: string;
  const next: string[] = [];
  if (opts.cancel) {
    if (!existing) return refuse([{ file, path: KEY, message: `tenant ${name} is not marked for purge` }], "nothing to cancel");
    config.delete(KEY);
    summary = `withdrew the purge of tenant ${name} (confirmed at ${existing.confirmedAt}); at the next pulumi up its namespace is protected again`;
  } else {
    if (existing)
      return refuse(
        [{ file, path: KEY, message: `tenant ${name} is already marked for purge (confirmed at ${existing.confirmedAt})` }],
        "already marked",
      );
    const blocking = leasesBlockingPurge(stack.config.leases, opts.now);
    if (blocking.length > 0) {
      const index = (id: string) => stack.config.leases.findIndex((l) => l.id === id);
      return refuse(
        blocking.map((l) => ({
          file,
          path: `leasehold:leases[${index(l.id)}]`,
          message: `${purgeBlocker(l, opts.now)}: data under a live lease is never deleted (reclaim it, or wait for its end)`,
        })),
        `tenant ${name} has leases in force or still to come at ${isoInstant(opts.now)}`,
      );
    }
    const marker = doc.createNode({ tenant: name, confirmedAt: isoInstant(opts.now) }) as YAMLMap;
    (child(marker, "confirmedAt") as Scalar).type = Scalar.QUOTE_DOUBLE;
    config.set(KEY, marker);
    summary = `tenant ${name} marked for purge at ${isoInstant(opts.now)}`;
    // A marker counts from its confirmedAt on; under a clock set ahead (LEASEHOLD_AT) that is not yet.
    const real = opts.clock ?? Date.now();
    if (opts.now > real)
      next.push(
        `note: confirmed at ${isoInstant(opts.now)}, ahead of the clock (${isoInstant(real)}, LEASEHOLD_AT is set): the namespace stays protected for deploys before that instant`,
      );
    next.push(
      `next: pulumi up --stack ${stack.name}        lifts the protection of namespace ${name}`,
      `      pulumi destroy --stack ${stack.name}   deletes namespace ${name} and every PersistentVolumeClaim in it`,
    );
  }

  quoteForPulumiCli(doc);
  const text = inOriginalLayout(original, doc.toString(STRINGIFY));
  const after = checkFolder(loadFolder(opts.stacks, new Map([[file, text]])));
  if (after.length > 0) return refuse(after, "the fleet check would fail");
  writeAtomically(file, text);
  if (opts.json) printJson(io, { ok: true, file, tenant: name, cancelled: !!opts.cancel, summary });
  else {
    io.out(summary);
    for (const line of next) io.err(line);
  }
  return EXIT.ok;
}
