import { isoInstant } from "../lease/fields";
import { fleetAt } from "../lease/fleet";
import { checkFolder, EXIT, loadFolder, printJson, printProblems, type Io } from "./common";

/** Options of `leasehold check`. */
export interface CheckOptions {
  /** The stacks folder. */
  stacks: string;
  /** The instant the summary describes (epoch milliseconds). */
  at: number;
  /** Print machine-readable results. */
  json?: boolean;
}

/** `leasehold check`: every file valid and the cross-stack rules; a summary of the fleet at `--at`. */
export function check(opts: CheckOptions, io: Io): number {
  const folder = loadFolder(opts.stacks);
  const problems = checkFolder(folder);
  const ok = problems.length === 0 && folder.files.length > 0;
  const at = isoInstant(opts.at);
  const summary = fleetAt(folder.stacks, opts.at);
  const platforms = folder.stacks.filter((s) => s.role === "platform").length;
  const tenants = folder.stacks.length - platforms;
  if (opts.json) {
    printJson(io, {
      ok,
      at,
      stacks: folder.files.length,
      platforms,
      tenants,
      leases: summary.leases.length,
      problems,
      pools: summary.pools,
      leasesAt: summary.leases,
    });
    return ok ? EXIT.ok : EXIT.rule;
  }
  printProblems(io, problems);
  if (folder.files.length === 0) {
    io.err(`no stack files (Pulumi.<stack>.yaml) in ${opts.stacks}`);
    return EXIT.rule;
  }
  if (!ok) {
    io.err(`fleet check failed: ${problems.length} problem(s) in ${folder.files.length} stack file(s)`);
    return EXIT.rule;
  }
  io.out(
    `ok: ${folder.files.length} stacks (${platforms} platform, ${tenants} tenant), ${summary.leases.length} leases; no pool or node is oversubscribed at any instant`,
  );
  io.out(`\nat ${at}:`);
  const rows = [["POOL", "GPU TYPE", "LEASED", "CAPACITY"]];
  for (const p of summary.pools) rows.push([`${p.platform}/${p.pool}`, p.gpuType, String(p.leased), String(p.capacity)]);
  io.out(table(rows));
  // RESERVED: the GPUs of an active lease's nodes beyond its count, which its reserve holds.
  const leaseRows = [["LEASE", "TENANT", "POOL", "GPUS", "STATE", "RESERVED"]];
  for (const l of summary.leases) {
    const reserved = l.reserved ? `${l.reserved.units}${l.reserved.node ? ` on ${l.reserved.node}` : ""}` : "";
    leaseRows.push([l.id, l.tenant, l.pool, `${l.gpus} x ${l.gpuType}`, l.state, reserved]);
  }
  if (summary.leases.length > 0 && summary.leases.length <= 200) io.out(`\n${table(leaseRows)}`);
  return EXIT.ok;
}

/** Left-aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
