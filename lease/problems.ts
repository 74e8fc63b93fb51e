import type { z } from "zod";

/** One thing wrong with the fleet's config, tied to a file and a key path. */
export interface Problem {
  /** The stack file, as the user named it (relative paths stay relative). */
  file: string;
  /** The config key path, e.g. `leasehold:leases[0].gpu.count`; empty for whole-file problems. */
  path: string;
  /** What is wrong, with the bad value. */
  message: string;
  /** 1-based line of the offending value in the file, when known. */
  line?: number;
}

/** `file: path: message`, the one-line form every command prints. */
export function formatProblem(p: Problem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Renders a config path: `leasehold:leases[0].gpu.count`. The first segment is the config key. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const s = String(seg);
      if (out === "") out = s;
      else out += /^[A-Za-z_][\w-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** A bad value as messages show it: strings quoted, long values cut. */
export function showValue(v: unknown): string {
  let s: string;
  if (v === undefined) return "nothing";
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (typos such as "nmae"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The message zod gives for the generic codes (those our schemas do not word themselves), in the
 * "expected ..." form the loader completes with ", got <value>".
 */
export const zodMessages: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return `is required (expected ${article(iss.expected)})`;
      return `expected ${article(iss.expected)}`;
    case "invalid_value":
      return `expected ${iss.values.map((v) => showValue(v)).join(" or ")}`;
    case "too_small":
      return iss.origin === "array" ? `expected at least ${iss.minimum} item(s)` : `expected at least ${iss.minimum}`;
    case "too_big":
      return iss.origin === "array" ? `expected at most ${iss.maximum} item(s)` : `expected at most ${iss.maximum}`;
    default:
      return undefined;
  }
};

function article(expected: string): string {
  switch (expected) {
    case "object":
      return "a map of keys";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}
