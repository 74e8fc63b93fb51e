import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { checkFleet } from "../lease/fleet";
import { rfc3339Error, instant } from "../lease/fields";
import {
  listStackFiles,
  loadStackFile,
  loadStackText,
  stackFile,
  stackNameOf,
  type LoadResult,
  type Stack,
  type TenantStack,
} from "../lease/load";
import { formatProblem, type Problem } from "../lease/problems";

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}

/** Exit codes of every subcommand. */
export const EXIT = { ok: 0, rule: 1, usage: 2 } as const;

/** Where a command writes; injected so tests can capture it. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
};

/** The project root: the folder of the nearest Pulumi.yaml at or above `from`, if any. */
export function findProjectRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The default stacks folder: the `stackConfigDir` of the nearest Pulumi.yaml at or above the
 * working directory, or `./stacks` when there is none.
 */
export function defaultStacksDir(cwd = process.cwd()): string {
  const root = findProjectRoot(cwd);
  if (root === undefined) return "stacks";
  return display(stackConfigDirOf(root), cwd);
}

/** The folder the Pulumi CLI reads a project's stack files from: Pulumi.yaml's `stackConfigDir`, else the project folder. */
export function stackConfigDirOf(root: string): string {
  const configDir = projectSettings(root).stackConfigDir;
  return path.join(root, typeof configDir === "string" ? configDir : ".");
}

/** A project's Pulumi.yaml (`name`, `stackConfigDir`, ...), or {} when it cannot be read. */
export function projectSettings(root: string): { name?: unknown; stackConfigDir?: unknown } {
  try {
    return (
      (parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name?: unknown; stackConfigDir?: unknown } | null) ?? {}
    );
  } catch {
    return {};
  }
}

/** A path as messages show it: relative to the working directory when it lies below it. */
export function display(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, path.resolve(cwd, p));
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? path.resolve(cwd, p) : rel;
}

/** Checks that a --stacks folder exists (a usage error otherwise). */
export function requireDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UsageError(`--stacks: no such folder: ${dir}`);
  }
  if (!st.isDirectory()) throw new UsageError(`--stacks: not a folder: ${dir}`);
}

/** Every stack file of a folder, loaded: the valid stacks and the problems of the others. */
export interface Folder {
  /** The folder, as given. */
  dir: string;
  /** Paths of its `Pulumi.*.yaml` files (and of any replaced file not on disk), sorted. */
  files: string[];
  /** The stacks whose files load without a problem, in the order of `files`. */
  stacks: Stack[];
  /** The problems of the files that do not load. */
  problems: Problem[];
}

/** Loads every `Pulumi.*.yaml` of a folder. `replace` substitutes file texts (a would-be result). */
export function loadFolder(dir: string, replace: ReadonlyMap<string, string> = new Map()): Folder {
  requireDir(dir);
  const files = listStackFiles(dir);
  for (const f of replace.keys()) if (!files.includes(f)) files.push(f);
  files.sort();
  const stacks: Stack[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    const text = replace.get(f);
    const r: LoadResult = text === undefined ? loadStackFile(f) : loadStackText(f, text);
    if (r.ok) stacks.push(r.stack);
    else problems.push(...r.problems);
  }
  return { dir, files, stacks, problems };
}

/** The fleet check: every file valid, then the cross-stack rules over the valid ones. */
export function checkFolder(folder: Folder): Problem[] {
  return [...folder.problems, ...checkFleet(folder.stacks)];
}

/**
 * The folder's stacks when the whole fleet passes its check; otherwise its problems are printed
 * (as `{"ok": false, "problems"}` with `json`) and undefined is returned.
 */
export function checkedFolder(dir: string, json: boolean | undefined, io: Io): Folder | undefined {
  const folder = loadFolder(dir);
  const problems = checkFolder(folder);
  if (problems.length === 0) return folder;
  if (json) printJson(io, { ok: false, problems });
  else printProblems(io, problems);
  return undefined;
}

/** Prints problems, one line each, on stderr. */
export function printProblems(io: Io, problems: readonly Problem[]): void {
  for (const p of problems) io.err(formatProblem(p));
}

/** Parses a --TIME option (RFC 3339 with an offset, or `now`) to epoch milliseconds. */
export function parseTimeOption(option: string, value: string | undefined, now = Date.now()): number {
  if (value === undefined || value === "now") return now;
  const why = rfc3339Error(value);
  if (why) throw new UsageError(`${option}: ${why}, got ${JSON.stringify(value)}`);
  return instant(value);
}

/** The stack name of a file, for messages. */
export function stackOf(file: string): string {
  return stackNameOf(file) ?? path.basename(file);
}

/** Prints a JSON value on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/**
 * How a command that edits stack files refuses: the problems (or JSON), then one line saying why
 * and that no file was changed; exit code 1.
 */
export function refusal(io: Io, json: boolean | undefined, command: string): (problems: Problem[], why: string) => number {
  return (problems, why) => {
    if (json) printJson(io, { ok: false, reason: why, problems });
    else {
      printProblems(io, problems);
      io.err(`${command} refused: ${why}; no file was changed`);
    }
    return EXIT.rule;
  };
}

/** A command's refusal: prints the problems and why, and gives the exit code. */
export type Refuse = ReturnType<typeof refusal>;

/**
 * The tenant stack (`--stack`) a command edits, from a folder whose fleet check passes already:
 * its file, its typed config and the command's refusal; or, refused, the exit code. `why` says
 * why only a tenant stack will do.
 */
export function tenantStackToEdit(
  opts: { stacks: string; stack: string; json?: boolean },
  io: Io,
  command: string,
  why: string,
): { file: string; stack: TenantStack; refuse: Refuse } | number {
  const folder = loadFolder(opts.stacks);
  const file = stackFile(opts.stacks, opts.stack);
  if (!folder.files.includes(file)) throw new UsageError(`--stack: no stack file ${file}`);
  const refuse = refusal(io, opts.json, command);
  const before = checkFolder(folder);
  if (before.length > 0) return refuse(before, "the fleet check fails already (fix the problems above first)");
  const stack = folder.stacks.find((s) => s.file === file);
  if (!stack || stack.role !== "tenant")
    return refuse([{ file, path: "leasehold:role", message: `expected a tenant stack: ${why}` }], "not a tenant stack");
  return { file, stack, refuse };
}

/** `--shard k/n`: 1 <= k <= n. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard: expected k/n with 1 <= k <= n <= 999999 (e.g. 2/8), got ${JSON.stringify(text)}`);
  return { index, count };
}
