import { z } from "zod";
import { nodeName } from "./fields";
import {
  compressHostlist,
  expandHostlist,
  HOSTLIST_EXAMPLE,
  HostlistError,
  hostlistSize,
  isHostlist,
  MAX_HOSTLIST_NAMES,
} from "./hostlist";

// A node set as stack files write it (`leasehold:pools[].nodes`, `leasehold:leases[].placement.nodes`):
// one node name or Slurm hostlist (`gpu-[001-064]`), or a list whose items are each one. Every
// consumer sees the expanded list of names (a zod transform); the problems name the item written.

/** Where the names of an expanded node set were written: one string, or the list item of each name. */
type Origin = { kind: "string" } | { kind: "list"; item: Int32Array };

// Keyed by the expanded array itself, so the typed config stays a plain `string[]`.
const origins = new WeakMap<readonly string[], Origin>();

/** One problem of a node set: `path` is relative to the node set (`[]` for the key, `[1]` for its second item). */
export interface NodeSetIssue {
  /** `[]` (the whole value) or `[item]`. */
  path: number[];
  /** What is wrong, starting with "expected". */
  message: string;
  /** The value written there. */
  input: unknown;
}

const WRONG_TYPE = `expected a node name, a Slurm hostlist such as ${HOSTLIST_EXAMPLE}, or a list of them`;

/** nodeName's message for a value it refuses, or undefined when it is a valid node name. */
function nodeNameError(v: unknown): string | undefined {
  // The cheap test first: a pool of 12,500 names is checked name by name.
  if (typeof v === "string" && v.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v))
    return undefined;
  const r = nodeName.safeParse(v);
  return r.success ? undefined : r.error.issues[0]!.message;
}

/**
 * The names of a node set as written in a stack file (a string, or a list of strings), each
 * checked against the node name rule, with every problem: a malformed hostlist, more than `limit`
 * names in all, a name that is not a node name, a node given twice (in one item or in two).
 */
export function expandNodeSet(value: string | readonly unknown[], limit = MAX_HOSTLIST_NAMES): { names: string[]; issues: NodeSetIssue[] } {
  const single = typeof value === "string";
  const items: readonly unknown[] = single ? [value] : value;
  const names: string[] = [];
  const itemOf: number[] = [];
  const firstItem = new Map<string, number>();
  const issues: NodeSetIssue[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const path = single ? [] : [i];
    const fail = (message: string) => issues.push({ path, message, input: item });
    if (typeof item !== "string" || !isHostlist(item)) {
      // A plain name: judged as it always was.
      const why = nodeNameError(item);
      if (why) {
        fail(why);
        continue;
      }
      const name = item as string;
      const first = firstItem.get(name);
      if (first !== undefined) {
        fail(`expected a unique node, but [${first}] has it too`);
        continue;
      }
      if (names.length + 1 > limit) {
        fail(`expected at most ${limit} node names in a node set, but it gives ${names.length + 1}`);
        break;
      }
      firstItem.set(name, i);
      names.push(name);
      itemOf.push(i);
      continue;
    }
    let expanded: string[];
    try {
      // Counted before anything is built: `gpu-[0-99999999]` costs nothing.
      const size = hostlistSize(item);
      if (names.length + size > limit) {
        fail(
          `expected at most ${limit} node names in a node set, but it gives ${size}${names.length > 0 ? ` after ${names.length} from the items before it` : ""}`,
        );
        break;
      }
      expanded = expandHostlist(item, { limit: limit - names.length });
    } catch (e) {
      if (!(e instanceof HostlistError)) throw e;
      fail(e.message);
      continue;
    }
    const bad = expanded.map((n) => [n, nodeNameError(n)] as const).filter(([, why]) => why !== undefined);
    if (bad.length > 0) {
      const [name, why] = bad[0]!;
      fail(`${why}, but it gives ${name}${bad.length > 1 ? ` and ${bad.length - 1} more such name(s)` : ""}`);
      continue;
    }
    const taken = new Map<number, string[]>();
    for (const n of expanded) {
      const first = firstItem.get(n);
      if (first === undefined) continue;
      let list = taken.get(first);
      if (!list) taken.set(first, (list = []));
      list.push(n);
    }
    if (taken.size > 0) {
      for (const [first, dup] of taken) fail(`expected a unique node, but [${first}] has ${compressHostlist(dup)} too`);
      continue;
    }
    for (const n of expanded) {
      firstItem.set(n, i);
      names.push(n);
      itemOf.push(i);
    }
  }
  if (issues.length === 0) origins.set(names, single ? { kind: "string" } : { kind: "list", item: Int32Array.from(itemOf) });
  return { names, issues };
}

/**
 * A node set of a stack file: a node name, a Slurm hostlist (`gpu-[001-064]`, `rack[01-04]-node[01-32]`),
 * or a list of them; parsed to the list of node names, each once.
 */
export const nodeSet = z.union([z.string(), z.array(z.unknown())], { error: WRONG_TYPE }).transform((value, ctx): string[] => {
  const { names, issues } = expandNodeSet(value);
  for (const i of issues) ctx.addIssue({ code: "custom", path: i.path, message: i.message, input: i.input });
  return issues.length > 0 ? z.NEVER : names;
});

/**
 * A config path as the stack file writes it: an index into an expanded node set becomes the index
 * of the list item that named the node, or goes when the set was written as one string
 * (`leasehold:pools[0].nodes[40]` of `nodes: gpu-[001-064]` is `leasehold:pools[0].nodes`).
 * `config` is the typed config the path points into; its first segment may carry the
 * `leasehold:` prefix. Paths through anything else come back as they are.
 */
export function writtenPath<T extends PropertyKey>(config: unknown, path: readonly T[]): T[] {
  return writtenPathOf(config, path).path;
}

/** {@link writtenPath}, and whether the path went through an expanded node set (so other nodes may share it). */
export function writtenPathOf<T extends PropertyKey>(config: unknown, path: readonly T[]): { path: T[]; inNodeSet: boolean } {
  const out: T[] = [];
  let at: unknown = config;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const origin = Array.isArray(at) && typeof seg === "number" ? origins.get(at as string[]) : undefined;
    if (origin) {
      // Below a node name there is nothing to walk.
      if (origin.kind === "string") return { path: out, inNodeSet: true };
      return { path: [...out, origin.item[seg as number] as T, ...path.slice(i + 1)], inNodeSet: true };
    }
    out.push(seg);
    const key = i === 0 && typeof seg === "string" && seg.startsWith("leasehold:") ? seg.slice("leasehold:".length) : seg;
    at = at !== null && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return { path: out, inNodeSet: false };
}

/** True when every name of `names` comes from one item of its node set as written (so a path can name that item). */
export function sameWrittenItem(config: unknown, nodesPath: readonly PropertyKey[], indexes: readonly number[]): boolean {
  const first = writtenPath(config, [...nodesPath, indexes[0]!]);
  return indexes.every((j) => writtenPath(config, [...nodesPath, j]).join("\0") === first.join("\0"));
}

/** A node set as messages show it: the compact Slurm hostlist of its names (`gpu-[001-004,010]`). */
export function showNodes(names: Iterable<string>): string {
  return compressHostlist(names);
}
