import * as path from "node:path";
import type { Stack } from "./load";

// Which stacks a change to the repository affects: the stack files it touches (a platform's
// change reaches every tenant on it), and every stack when shared code changes.

/** One changed path, as `git diff --name-status` reports it. */
export interface Change {
  /** A (added), M (modified), D (deleted), R (renamed), C (copied), T (type changed). */
  status: string;
  /** The path now, relative to the project root, `/`-separated. */
  path: string;
  /** The path before a rename or copy. */
  from?: string;
}

/**
 * Paths (relative to the project root) whose change affects every stack: the programs, what builds
 * them, and the CLI (every workflow computes the stack's policy config and affected set with it).
 * preview.yml's path filter lists the same paths; a test holds them together.
 */
export const SHARED_PATHS = [
  "index.ts",
  "components/",
  "lease/",
  "programs/",
  "providers/",
  "policies/",
  "cli/",
  "bin/",
  "package.json",
  "package-lock.json",
  "Pulumi.yaml",
  "tsconfig.json",
] as const;

/** Why a stack is affected. */
export interface Affected {
  /** The stack's name. */
  stack: string;
  /** Its role. */
  role: "platform" | "tenant";
  /** Why, one line each (`stacks/Pulumi.x.yaml changed`, `shared code changed: lease/`). */
  reasons: string[];
  /** The lease clock's events, when that is why. */
  events?: { lease: string; event: string; at: string }[];
}

/** The affected stacks and the stack files the change removed (to destroy, not to preview). */
export interface AffectedSet {
  /** Platforms first, then tenants, each by name: the deploy order. */
  stacks: Affected[];
  /** Stack names whose files the change deleted. */
  removed: string[];
}

/** The stack name of a stack file path (`stacks/Pulumi.tenant-acme.yaml` -> `tenant-acme`). */
function stackOfPath(p: string, stacksDir: string): string | undefined {
  if (path.posix.dirname(p) !== stacksDir) return undefined;
  return /^Pulumi\.(.+)\.ya?ml$/.exec(path.posix.basename(p))?.[1];
}

function isShared(p: string): string | undefined {
  return SHARED_PATHS.find((s) => (s.endsWith("/") ? p.startsWith(s) : p === s));
}

/**
 * The stacks of `stacks` (the fleet after the change) that `changes` affect. `stacksDir` is the
 * stack folder relative to the project root, in the diff's `/` form. Platform stacks come first,
 * then tenants, each in name order: the order to deploy them in.
 */
export function affectedStacks(stacks: readonly Stack[], changes: readonly Change[], stacksDir = "stacks"): AffectedSet {
  const reasons = new Map<string, Set<string>>();
  const add = (stack: string, why: string) => {
    if (!reasons.has(stack)) reasons.set(stack, new Set());
    reasons.get(stack)!.add(why);
  };
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const removed = new Set<string>();
  let shared: string | undefined;
  for (const c of changes) {
    for (const p of [c.path, ...(c.from ? [c.from] : [])]) {
      const sharedPath = isShared(p);
      if (sharedPath) shared ??= p;
      const name = stackOfPath(p, stacksDir);
      if (name === undefined) continue;
      if (byName.has(name)) add(name, p === c.from ? `renamed from ${c.from}` : `${p} ${c.status === "A" ? "added" : "changed"}`);
      else removed.add(name);
    }
  }
  if (shared) for (const s of stacks) add(s.name, `shared code changed (${shared})`);
  // A platform's change reaches its tenants: their programs read its pools, catalog and outputs.
  for (const s of stacks) {
    if (s.role !== "tenant") continue;
    const platform = s.config.platform;
    if (reasons.has(platform) && byName.get(platform)?.role === "platform") {
      for (const why of reasons.get(platform)!) if (!why.startsWith("shared code")) add(s.name, `its platform ${platform}: ${why}`);
    }
  }
  const list: Affected[] = [...reasons].map(([stack, why]) => ({ stack, role: byName.get(stack)!.role, reasons: [...why] }));
  list.sort((a, b) => (a.role === b.role ? a.stack.localeCompare(b.stack) : a.role === "platform" ? -1 : 1));
  return { stacks: list, removed: [...removed].sort() };
}

/** Every stack, platforms first: the deploy order. */
export function allStacks(stacks: readonly Stack[]): Affected[] {
  return affectedStacks(stacks, [{ status: "M", path: "index.ts" }]).stacks.map((a) => ({ ...a, reasons: ["every stack"] }));
}

/** Parses `git diff --name-status -z` output. */
export function parseNameStatus(out: string): Change[] {
  const parts = out.split("\0").filter((x) => x.length > 0);
  const changes: Change[] = [];
  for (let i = 0; i < parts.length;) {
    const status = parts[i++]!;
    if (status.startsWith("R") || status.startsWith("C")) {
      const from = parts[i++]!;
      changes.push({ status: status[0]!, from, path: parts[i++]! });
    } else changes.push({ status: status[0]!, path: parts[i++]! });
  }
  return changes;
}

/** The stacks a CI shard job aims to run (the workflows' `leasehold up --shard K/N`). */
export const STACKS_PER_SHARD = 50;
/** The most shard jobs the workflows start by default: a bound on runners and `npm ci`s per run. */
export const DEFAULT_MAX_SHARDS = 16;

/**
 * The shard (1 to `count`) a stack belongs to: FNV-1a (32 bits) of its name, modulo `count`.
 * Depends on the name and the count only, so every shard job of a run, each selecting on its own,
 * splits the same set the same way, and no stack is in two shards or none.
 */
export function shardOf(stack: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stack.length; i++) {
    h ^= stack.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % count) + 1;
}

/** Whether a stack is in shard `index` of `count` (see shardOf). */
export function inShard(stack: string, shard: { index: number; count: number }): boolean {
  return shardOf(stack, shard.count) === shard.index;
}

/** How many shards `stacks` stacks take: one per STACKS_PER_SHARD, at least 1 (0 for none), at most `max`. */
export function shardCount(stacks: number, max = DEFAULT_MAX_SHARDS): number {
  return stacks === 0 ? 0 : Math.max(1, Math.min(max, Math.ceil(stacks / STACKS_PER_SHARD)));
}
