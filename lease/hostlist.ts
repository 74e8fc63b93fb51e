// Slurm hostlist expressions: the notation HPC operators write node sets in (`gpu-[001-064]`,
// `gpu-[001-064,100-131]`, `rack[01-04]-node[01-32]`). Pure string code, no schema and no Pulumi.
//
// What is followed, from Slurm's src/common/hostlist.c (SchedMD/slurm, `_hostlist_create_bracketed`,
// `_parse_single_range`, `_push_range_list`, read at commit 284c3b95f08a):
// - a range's zero padding is the width of its low bound as written, and only of it: `[001-010]`
//   gives 001 ... 010, `[01-100]` gives 01 ... 99, 100, `[1-010]` gives 1 ... 10 (unpadded), `[8-12]`
//   gives 8 ... 12; a number wider than the width is written whole, never cut;
// - a reversed range (`[5-3]`) is refused, as is a signed or non-decimal bound;
// - text may follow the last bracket group (`gpu-[1-2]-ib`);
// - several bracket groups are a cartesian product in Slurm's order: the last group varies fastest,
//   the one before it slowest, then the others from right to left (for two groups the usual
//   `rack01-node01, rack01-node02, ...`; for `a[1-2]b[1-2]c[1-2]`: a1b1c1, a1b1c2, a2b1c1, a2b1c2,
//   a1b2c1, ...), because hostlist.c takes the last group as the range and recurses on the prefix
//   from its last group leftwards.
// Stricter than Slurm, which skips what it cannot read or reads it literally: only commas separate
// names (Slurm also splits at spaces; spaces beside a comma are allowed here), an empty name or
// range between commas, a stray or unclosed bracket, nested or empty brackets are refused, and one
// expression names each node at most once. Slurm caps one range at 64K hosts (MAX_RANGE); here a
// whole expression is capped at {@link MAX_HOSTLIST_NAMES} names, counted before anything is built.

/** The most node names one expression (or one node set) may expand to: a typo such as `[0-99999999]` is refused, not built. */
export const MAX_HOSTLIST_NAMES = 100_000;

/** The example that messages point to. */
export const HOSTLIST_EXAMPLE = "gpu-[001-064]";

/** Why an expression is refused; `message` starts with "expected" (callers append ", got <value>"). */
export class HostlistError extends Error {
  constructor(
    message: string,
    /** `syntax`: not a hostlist; `size`: over the cap; `duplicate`: a name given twice. */
    readonly kind: "syntax" | "size" | "duplicate",
  ) {
    super(message);
    this.name = "HostlistError";
  }
}

/** One numeric range of a bracket group: `lo` to `hi`, each padded with zeros to `width` digits. */
interface Range {
  lo: number;
  hi: number;
  width: number;
}

/** One name pattern: literal parts with a bracket group between each two (`parts.length === groups.length + 1`). */
interface Pattern {
  parts: string[];
  groups: Range[][];
}

/** The largest bound taken: 15 digits keep every number and count exact in a double. */
const MAX_DIGITS = 15;

function syntax(detail: string): HostlistError {
  return new HostlistError(`expected a node name or a Slurm hostlist such as ${HOSTLIST_EXAMPLE} (${detail})`, "syntax");
}

/** True when `text` is a hostlist expression rather than one plain name (it has brackets or commas). */
export function isHostlist(text: string): boolean {
  return /[[\],]/.test(text);
}

/** Splits an expression at the commas outside brackets; `at` is each item's 0-based offset in `text`. */
function splitTop(text: string): { item: string; at: number }[] {
  const out: { item: string; at: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    else if ((c === "," && depth === 0) || c === undefined) {
      out.push({ item: text.slice(start, i), at: start });
      start = i + 1;
    }
  }
  return out;
}

/** A pattern from one comma-free item of an expression; `at` places it in the whole text for messages. */
function parsePattern(raw: string, at: number): Pattern {
  const lead = raw.length - raw.trimStart().length;
  const item = raw.trim();
  const offset = at + lead;
  if (item === "") throw syntax("an empty name between commas");
  const parts: string[] = [];
  const groups: Range[][] = [];
  let literal = "";
  for (let i = 0; i < item.length; i++) {
    const c = item[i]!;
    if (c === "]") throw syntax(`"]" at character ${offset + i + 1} has no opening "["`);
    if (c !== "[") {
      // Spaces are allowed beside commas (trimmed) and inside brackets, never inside a name.
      if (/\s/.test(c)) throw syntax(`${JSON.stringify(item)} holds a space: separate names with commas`);
      literal += c;
      continue;
    }
    const close = item.indexOf("]", i + 1);
    const inner = close < 0 ? -1 : item.indexOf("[", i + 1);
    if (close < 0) throw syntax(`"[" at character ${offset + i + 1} has no closing "]"`);
    if (inner >= 0 && inner < close) throw syntax(`"[" at character ${offset + inner + 1} opens brackets inside brackets`);
    const body = item.slice(i + 1, close);
    if (body.trim() === "") throw syntax(`empty brackets at character ${offset + i + 1}`);
    groups.push(body.split(",").map((r) => parseRange(r, `[${body}]`)));
    parts.push(literal);
    literal = "";
    i = close;
  }
  parts.push(literal);
  return { parts, groups };
}

/** One range of a bracket group: `007`, `001-064`; the width is the low bound's, as Slurm's. */
function parseRange(raw: string, group: string): Range {
  const text = raw.trim();
  if (text === "") throw syntax(`an empty range between commas in ${group}`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw syntax(`${JSON.stringify(text)} in ${group} is not a number or a range of numbers such as 001-064`);
  const [, loText, hiText = loText] = m as unknown as [string, string, string | undefined];
  for (const digits of [loText, hiText]) {
    if (digits.replace(/^0+(?=\d)/, "").length > MAX_DIGITS) throw syntax(`the number ${digits} in ${group} is too large`);
  }
  const lo = Number(loText);
  const hi = Number(hiText);
  if (hi < lo) throw syntax(`the range ${text} in ${group} runs backwards, so it names no node`);
  return { lo, hi, width: loText.length };
}

/** How many names a pattern gives, without building them (may exceed the safe integers: only compared with the cap). */
function patternSize(p: Pattern): number {
  return p.groups.reduce((n, g) => n * g.reduce((s, r) => s + (r.hi - r.lo + 1), 0), 1);
}

/** The numbers of a bracket group as written (padded), in order. */
function groupTexts(g: readonly Range[]): string[] {
  const out: string[] = [];
  for (const r of g) for (let n = r.lo; n <= r.hi; n++) out.push(String(n).padStart(r.width, "0"));
  return out;
}

/** Appends a pattern's names to `out`, in Slurm's order (see the header). */
function expandPattern(p: Pattern, out: string[]): void {
  const k = p.groups.length;
  if (k === 0) {
    out.push(p.parts[0]!);
    return;
  }
  const texts = p.groups.map(groupTexts);
  // Loop order, outermost first: groups k-2, k-3, ..., 0, then k-1 innermost.
  const order = [...Array.from({ length: k - 1 }, (_, i) => k - 2 - i), k - 1];
  const chosen: string[] = new Array<string>(k).fill("");
  const last = texts[k - 1]!;
  const walk = (depth: number): void => {
    if (depth === k - 1) {
      // The innermost group: everything else is fixed, so build the head and tail once.
      let head = "";
      for (let g = 0; g < k - 1; g++) head += p.parts[g]! + chosen[g]!;
      head += p.parts[k - 1]!;
      const tail = p.parts[k]!;
      for (const t of last) out.push(head + t + tail);
      return;
    }
    const g = order[depth]!;
    for (const t of texts[g]!) {
      chosen[g] = t;
      walk(depth + 1);
    }
  };
  walk(0);
}

/** Options of {@link expandHostlist}. */
export interface ExpandOptions {
  /** The most names the expression may give. @default MAX_HOSTLIST_NAMES */
  limit?: number;
}

/**
 * The node names of a Slurm hostlist expression, in Slurm's order: `gpu-[001-003],cpu-1` gives
 * gpu-001, gpu-002, gpu-003, cpu-1. A plain name gives itself. Throws a {@link HostlistError} for
 * malformed brackets, a reversed range, more than `limit` names, or a name given twice. The names
 * are not checked against any naming rule (node names are, by the schema).
 */
export function expandHostlist(expr: string, opts: ExpandOptions = {}): string[] {
  const limit = opts.limit ?? MAX_HOSTLIST_NAMES;
  const patterns = splitTop(expr).map(({ item, at }) => parsePattern(item, at));
  const total = patterns.reduce((n, p) => n + patternSize(p), 0);
  if (total > limit) throw new HostlistError(`expected at most ${limit} node names in a node set, but it gives ${total}`, "size");
  const out: string[] = [];
  for (const p of patterns) expandPattern(p, out);
  const dup = duplicates(out);
  if (dup.length > 0) throw new HostlistError(`expected each node once, but it names ${compressHostlist(dup)} more than once`, "duplicate");
  return out;
}

/** The number of names an expression gives (its syntax checked, nothing built). Throws a {@link HostlistError} on bad syntax. */
export function hostlistSize(expr: string): number {
  return splitTop(expr).reduce((n, { item, at }) => n + patternSize(parsePattern(item, at)), 0);
}

/** The names that occur more than once, each once. */
function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) dup.add(n);
    else seen.add(n);
  }
  return [...dup];
}

// ---------------------------------------------------------------- compress

/**
 * A compressed name pattern while compression runs: literal `parts` with rendered bracket bodies
 * between them, and the smallest name it stands for (to order the output).
 */
interface Template {
  parts: string[];
  brackets: string[];
  first: string;
}

/**
 * The shortest natural hostlist of a set of node names, the inverse of {@link expandHostlist}
 * (`expandHostlist(compressHostlist(x))` holds exactly the names of `x`, each once, whatever the
 * order or repeats of `x`): `gpu-001, gpu-002, gpu-003, gpu-004, gpu-010` gives `gpu-[001-004,010]`,
 * padding kept. Names are grouped on their last number, then the groups on the number before it
 * (`rack[01-04]-node[01-32]` for four full racks), as long as that joins groups; groups that
 * differ are joined with commas, in natural order. Names must not hold `[`, `]`, `,` or spaces
 * (no node name does).
 */
export function compressHostlist(names: Iterable<string>): string {
  const unique = [...new Set(names)];
  for (const n of unique) {
    if (/[[\],\s]/.test(n) || n === "") throw new Error(`compressHostlist: ${JSON.stringify(n)} is not a node name`);
  }
  let templates: Template[] = unique.map((n) => ({ parts: [n], brackets: [], first: n }));
  // Each pass moves one more number into brackets; stop when a pass joins nothing.
  for (;;) {
    const next = compressPass(templates);
    if (next.length === templates.length) break;
    templates = next;
  }
  return templates
    .sort((a, b) => naturalCompare(a.first, b.first))
    .map(render)
    .join(",");
}

function render(t: Template): string {
  let s = t.parts[0]!;
  t.brackets.forEach((b, i) => (s += `[${b}]${t.parts[i + 1]!}`));
  return s;
}

/**
 * Groups templates that differ only in the last number of their leading literal (the text before
 * their first bracket) and writes each group's numbers as one bracket group.
 */
function compressPass(templates: readonly Template[]): Template[] {
  const groups = new Map<string, { before: string; after: string; members: { digits: string; t: Template }[] }>();
  const out: Template[] = [];
  for (const t of templates) {
    const lead = t.parts[0]!;
    const m = /^(.*?)(\d+)(\D*)$/s.exec(lead);
    if (!m || m[2]!.replace(/^0+(?=\d)/, "").length > MAX_DIGITS) {
      out.push(t);
      continue;
    }
    const [, before, digits, after] = m as unknown as [string, string, string, string];
    // The key: everything but the number, bracket bodies included (NUL cannot occur in a name).
    const key = [before, after, ...t.brackets.flatMap((b, i) => [b, t.parts[i + 1]!])].join("\0");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { before, after, members: [] }));
    g.members.push({ digits, t });
  }
  for (const g of groups.values()) {
    if (g.members.length === 1) {
      out.push(g.members[0]!.t);
      continue;
    }
    const rest = g.members[0]!.t;
    let first = g.members[0]!.t.first;
    for (const m of g.members) if (naturalCompare(m.t.first, first) < 0) first = m.t.first;
    out.push({
      parts: [g.before, g.after, ...rest.parts.slice(1)],
      brackets: [ranges(g.members.map((m) => m.digits)), ...rest.brackets],
      first,
    });
  }
  return out;
}

/**
 * The bracket body of a set of distinct numbers as written (`001`, `002`, `010`): `001-002,010`.
 * A run shares one width (its low bound's); an unpadded number (`100`) continues a padded run of
 * a width no wider than itself (`098-101`), as Slurm expands it.
 */
function ranges(texts: readonly string[]): string {
  // Padded numbers (a leading zero) by width; unpadded ones apart.
  const padded = new Map<number, number[]>();
  const plain: number[] = [];
  for (const t of texts) {
    const n = Number(t);
    if (t.length > 1 && t.startsWith("0")) {
      let list = padded.get(t.length);
      if (!list) padded.set(t.length, (list = []));
      list.push(n);
    } else plain.push(n);
  }
  const runsOf = (values: number[], width: number): Range[] => {
    values.sort((a, b) => a - b);
    const runs: Range[] = [];
    for (const v of values) {
      const last = runs.at(-1);
      if (last && v === last.hi + 1) last.hi = v;
      else runs.push({ lo: v, hi: v, width });
    }
    return runs;
  };
  const plainRuns = new Map(runsOf(plain, 1).map((r) => [r.lo, r]));
  const runs: Range[] = [];
  for (const [width, values] of [...padded].sort((a, b) => a[0] - b[0])) {
    for (const run of runsOf(values, width)) {
      // A padded run that ends just below the first number of its width goes on with the unpadded run that starts there.
      const next = 10 ** (width - 1);
      const joined = run.hi === next - 1 ? plainRuns.get(next) : undefined;
      if (joined) {
        run.hi = joined.hi;
        plainRuns.delete(next);
      }
      runs.push(run);
    }
  }
  runs.push(...plainRuns.values());
  runs.sort((a, b) => a.lo - b.lo || a.width - b.width);
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  return runs.map((r) => (r.lo === r.hi ? pad(r.lo, r.width) : `${pad(r.lo, r.width)}-${pad(r.hi, r.width)}`)).join(",");
}

/** Orders names as people read them: `gpu-2` before `gpu-10`, `gpu-01` beside `gpu-1`. */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0 && Number.isFinite(d)) return d;
      return x.length - y.length || (x < y ? -1 : 1);
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}
