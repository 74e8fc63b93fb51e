import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { affectedStacks, allStacks, parseNameStatus, inShard, shardCount, type Affected, type AffectedSet } from "../lease/changes";
import { isoInstant } from "../lease/fields";
import type { Stack } from "../lease/load";
import { leaseEvents } from "../lease/clock";
import { checkedFolder, EXIT, findProjectRoot, parseShard, printJson, UsageError, type Io } from "./common";

/** Options of `leasehold affected`. */
export interface AffectedOptions {
  /** The stacks folder. */
  stacks: string;
  /** The lease clock: the end of the interval `(since, at]`, epoch milliseconds; only with `since`. */
  at?: number;
  /** The lease clock: the start of the interval `(since, at]` (exclusive), epoch milliseconds; only with `at`. */
  since?: number;
  /** A git revision: the stacks its diff to `head` affects. */
  base?: string;
  /** With `base`: the revision compared. @default HEAD */
  head?: string;
  /** Every stack, platforms first. */
  all?: boolean;
  /** Print the stacks, their reasons, `removed` and `shards` as JSON on stdout. */
  json?: boolean;
  /** `--json`'s `shards`: the most shard jobs the stacks are split into. @default DEFAULT_MAX_SHARDS (16) */
  maxShards?: number;
  /** Only the stacks of shard `k/n` (as `leasehold up --shard`). */
  shard?: string;
}

const ZERO_SHA = /^0{40}$/;

/**
 * `leasehold affected`: which stacks to preview or deploy, in deploy order (platforms first).
 * - `--base REF [--head REF]`: the stacks the git diff between REF (its merge base with head) and
 *   head affects: edited stack files, tenants of an edited platform, every stack when shared code
 *   changes (a base of all zeros, a branch's first push, means every stack);
 * - `--at TIME --since TIME`: the lease clock, the stacks whose leases change state in `(since, at]`;
 * - `--all`: every stack.
 * Stack names go to stdout, one per line; why, to stderr; `--json` gives both.
 */
export function affected(opts: AffectedOptions, io: Io): number {
  const folder = checkedFolder(opts.stacks, opts.json, io);
  if (!folder) return EXIT.rule;
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const { set, extra } = selectAffected(folder.stacks, opts);
  // `shards` stays the matrix of the whole set, whichever shard is listed.
  const shards = Array.from({ length: shardCount(set.stacks.length, opts.maxShards) }, (_, i) => i + 1);
  if (shard) set.stacks = set.stacks.filter((a) => inShard(a.stack, shard));
  return print(io, opts, set, shard ? { ...extra, shard: `${shard.index}/${shard.count}` } : extra, shards);
}

/**
 * The stacks one of the modes selects (`--base`, `--at --since` or `--all`), in deploy order,
 * with what the mode compared; the stacks must pass the fleet check. Throws a UsageError for a
 * wrong combination of options or a revision git does not know.
 */
export function selectAffected(stacks: readonly Stack[], opts: AffectedOptions): { set: AffectedSet; extra: Record<string, unknown> } {
  // Ignoring it would diff against HEAD while the caller believes another revision was compared.
  if (opts.head !== undefined && opts.base === undefined)
    throw new UsageError("--head is the revision compared with --base: give --base REF too (e.g. --base origin/main --head HEAD)");
  const modes = [opts.base !== undefined, opts.at !== undefined || opts.since !== undefined, !!opts.all].filter(Boolean).length;
  if (modes !== 1) throw new UsageError("give one of --base REF (a git diff), --at TIME --since TIME (the lease clock) or --all");
  if (opts.base !== undefined) return byDiff(stacks, opts);
  if (opts.all) return { set: { stacks: allStacks(stacks), removed: [] }, extra: {} };
  if (opts.at === undefined || opts.since === undefined)
    throw new UsageError("--at and --since are both required (RFC 3339 with an offset, or now)");
  if (opts.since > opts.at) throw new UsageError(`--since (${isoInstant(opts.since)}) must not be after --at (${isoInstant(opts.at)})`);
  // Grouped once: a fleet-wide clock tick may touch thousands of stacks.
  const byStack = new Map<string, NonNullable<Affected["events"]>>();
  for (const { stack, ...e } of leaseEvents(stacks, opts.since, opts.at)) {
    const own = byStack.get(stack);
    if (own) own.push(e);
    else byStack.set(stack, [e]);
  }
  const set: AffectedSet = {
    stacks: allStacks(stacks).flatMap((a) => {
      const own = byStack.get(a.stack);
      return own ? [{ ...a, reasons: own.map((e) => `${e.at} ${e.lease} ${e.event}`), events: own }] : [];
    }),
    removed: [],
  };
  return { set, extra: { since: isoInstant(opts.since), at: isoInstant(opts.at) } };
}

function byDiff(stacks: readonly Stack[], opts: AffectedOptions): { set: AffectedSet; extra: Record<string, unknown> } {
  const root = projectRoot(opts.stacks);
  const stacksDir = path.relative(root, path.resolve(opts.stacks)).split(path.sep).join("/") || ".";
  const base = opts.base!;
  const head = opts.head ?? "HEAD";
  for (const [option, ref] of [
    ["--base", base],
    ["--head", head],
  ] as const)
    if (ref.trim() === "") throw new UsageError(`${option}: an empty revision: give a branch, tag or commit`);
  let set: AffectedSet;
  if (ZERO_SHA.test(base))
    set = {
      stacks: allStacks(stacks).map((a) => ({ ...a, reasons: [`no base revision (${base.slice(0, 7)}...): every stack`] })),
      removed: [],
    };
  else {
    const git = (args: string[]) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
    const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";
    const inRepo = git(["rev-parse", "--git-dir"]);
    if (inRepo.error) throw new UsageError(`--base: git is not available: ${inRepo.error.message}`);
    if (inRepo.status !== 0) throw new UsageError(`--base: ${root} is not in a git repository (${firstLine(inRepo.stderr)})`);
    // --end-of-options: a revision starting with "-" (from an event, a branch name) is never read as
    // an option of git.
    for (const [option, ref] of [
      ["--base", base],
      ["--head", head],
    ] as const) {
      if (git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).status === 0) continue;
      // CI checkouts are shallow by default, the usual reason a base branch or commit is missing.
      const shallow = git(["rev-parse", "--is-shallow-repository"]).stdout.trim() === "true";
      throw new UsageError(
        `${option}: unknown revision ${JSON.stringify(ref)} in ${root}` +
          (shallow
            ? "; this clone is shallow: fetch the history (git fetch --unshallow origin, or actions/checkout with fetch-depth: 0)"
            : "; fetch it first (git fetch origin, or actions/checkout with fetch-depth: 0) or check its spelling"),
      );
    }
    // Relative to the project root, and the base's merge base with head: the pull request's own change.
    // A rename shows as the old file deleted and the new one added: both stacks are named.
    const diff = git(["diff", "--name-status", "-z", "--no-renames", "--relative", "--end-of-options", `${base}...${head}`, "--"]);
    if (diff.status !== 0)
      throw new UsageError(`--base: git diff ${JSON.stringify(`${base}...${head}`)} failed in ${root}: ${firstLine(diff.stderr)}`);
    set = affectedStacks(stacks, parseNameStatus(diff.stdout), stacksDir);
  }
  return { set, extra: { base, head } };
}

function shape(set: AffectedSet, shards: number[]) {
  return {
    stacks: set.stacks,
    platforms: set.stacks.filter((a) => a.role === "platform").map((a) => a.stack),
    tenants: set.stacks.filter((a) => a.role === "tenant").map((a) => a.stack),
    removed: set.removed,
    // The CI matrix of shard jobs: `leasehold up ... --shard K/N` for each K, N its length.
    shards,
  };
}

function print(io: Io, opts: AffectedOptions, set: AffectedSet, extra: Record<string, unknown>, shards: number[]): number {
  if (opts.json) printJson(io, { ...extra, ...shape(set, shards) });
  else {
    for (const a of set.stacks) io.out(a.stack);
    for (const a of set.stacks) for (const why of a.reasons) io.err(`${a.stack}: ${why}`);
    for (const r of set.removed)
      io.err(
        `${r}: its stack file was removed (destroy it with pulumi destroy --exclude-protected; leasehold previews only stacks that exist)`,
      );
  }
  return EXIT.ok;
}

/** The folder of the nearest Pulumi.yaml at or above the stacks folder. */
function projectRoot(stacksDir: string): string {
  const root = findProjectRoot(stacksDir);
  if (root === undefined)
    throw new UsageError(`--base: no Pulumi.yaml at or above ${stacksDir}: leasehold compares paths relative to the project`);
  return root;
}
