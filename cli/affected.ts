import { isoInstant } from "../lease/fields";
import { leaseEvents } from "../lease/clock";
import { checkFolder, EXIT, loadFolder, printJson, printProblems, UsageError, type Io } from "./common";

/** Options of `leasehold affected`. */
export interface AffectedOptions {
  stacks: string;
  at?: number;
  since?: number;
  base?: string;
  json?: boolean;
}

/**
 * `leasehold affected --at TIME --since TIME`: the stacks whose leases change state in
 * `(since, at]`, one per line, so a scheduled job deploys exactly those.
 */
export function affected(opts: AffectedOptions, io: Io): number {
  if (opts.base !== undefined) throw new UsageError("--base: the git-diff form of affected is not available in this version; use --at and --since");
  if (opts.at === undefined || opts.since === undefined) throw new UsageError("--at and --since are both required (RFC 3339 with an offset, or now)");
  if (opts.since > opts.at) throw new UsageError(`--since (${isoInstant(opts.since)}) must not be after --at (${isoInstant(opts.at)})`);
  const folder = loadFolder(opts.stacks);
  const problems = checkFolder(folder);
  if (problems.length > 0) {
    if (opts.json) printJson(io, { ok: false, problems });
    else printProblems(io, problems);
    return EXIT.rule;
  }
  const events = leaseEvents(folder.stacks, opts.since, opts.at);
  const stacks = [...new Set(events.map((e) => e.stack))].sort();
  if (opts.json) {
    printJson(io, { since: isoInstant(opts.since), at: isoInstant(opts.at), stacks: stacks.map((s) => ({ stack: s, events: events.filter((e) => e.stack === s).map(({ stack: _s, ...e }) => e) })) });
  } else {
    for (const s of stacks) io.out(s);
    for (const e of events) io.err(`${e.at}  ${e.stack}  ${e.lease}  ${e.event}`);
  }
  return EXIT.ok;
}
