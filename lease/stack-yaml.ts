import * as jsyaml from "js-yaml";
import { isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";

// One reading of a stack file. leasehold (the CLI, `render`, the policy pack's contract) reads
// stack files as YAML 1.2 (the core schema) with merge keys. The Pulumi CLI, which hands the
// stack's config to the program, reads them with gopkg.in/yaml.v3 v3.0.1, whose resolver keeps
// some YAML 1.1 and Go habits for plain (unquoted) scalars: `010` is octal (8), `0b101` is
// binary, `1_000` is 1000, `08` and `1.5_0` are floats, an unquoted date or time becomes a Go
// time (`2027-1-2` -> 2027-01-02T00:00:00Z), and `.inf`/`.nan` stop the CLI (JSON has no
// infinity). Every plain scalar whose two readings differ is refused with a hint to quote it:
// then the program, `check`, `render` and the pack see the same value. The resolver below is a
// port of yaml.v3's `resolve` (resolve.go) for untagged plain scalars, with the value as the
// program then sees it (after the CLI's JSON encoding; times as RFC 3339, see fromPulumiTimes).

// js-yaml's built-in types (present at runtime, absent from @types/js-yaml).
const TYPES = (jsyaml as unknown as { types: Record<"merge" | "null" | "bool", jsyaml.Type> }).types;

/** What leasehold reads stack files with: the YAML 1.2 core schema plus merge keys (`<<: *defaults`), which the Pulumi CLI also merges. */
export const STACK_SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [TYPES.merge] });

/** A plain scalar the Pulumi CLI cannot hand to a program (its JSON encoding has no infinity or NaN). */
export class Unreadable {
  constructor(readonly why: string) {}
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64): undefined when both fail. */
function goParseInt(s: string): bigint | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]+)|([1-9][0-9]*|0))$/.exec(s);
  if (!m) return undefined;
  const [, sign, hex, oct, bin, leadingZeroOctal, dec] = m;
  const digits =
    hex !== undefined
      ? `0x${hex}`
      : oct !== undefined
        ? `0o${oct}`
        : bin !== undefined
          ? `0b${bin}`
          : leadingZeroOctal !== undefined
            ? `0o${leadingZeroOctal}`
            : dec!;
  const magnitude = BigInt(digits);
  const v = sign === "-" ? -magnitude : magnitude;
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  // ParseUint takes no sign.
  return sign === "" && v <= UINT64_MAX ? v : undefined;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// Go's time.Parse with yaml.v3's layouts: "2006-1-2T15:4:5.999999999Z07:00" (also with a
// lower-case t), "2006-1-2 15:4:5.999999999" and "2006-1-2".
const GO_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})|( )(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?)?$/;

/** The RFC 3339 text of the time yaml.v3 reads from `s` (as the program sees it), or undefined if it reads none. */
function goTime(s: string): string | undefined {
  const m = GO_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [m[1]!, m[2]!, m[3]!].map(Number) as [number, number, number];
  const spaced = m[10] !== undefined;
  const [h, mi, sec] = (spaced ? [m[11], m[12], m[13]] : [m[5], m[6], m[7]]).map((x) => Number(x ?? 0)) as [number, number, number];
  const frac = spaced ? m[14] : m[8];
  const zone = spaced ? undefined : m[9];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || sec > 59) return undefined;
  let offset = "Z";
  if (zone && zone !== "Z") {
    const [oh, om] = zone.slice(1).split(":").map(Number) as [number, number];
    if (oh > 24 || om > 60) return undefined;
    if (oh !== 0 || om !== 0) offset = zone;
  }
  // Go prints at most nine fraction digits, without trailing zeros.
  const nanos = (frac ?? "").slice(0, 9).replace(/0+$/, "");
  const two = (n: number) => String(n).padStart(2, "0");
  return `${m[1]}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(sec)}${nanos ? `.${nanos}` : ""}${offset}`;
}

/**
 * How gopkg.in/yaml.v3 resolves an untagged plain scalar that YAML 1.2 might read otherwise, as
 * the program then sees it: a number, an RFC 3339 time, an {@link Unreadable}; or undefined when
 * it stays a string (null and booleans are the same in both and are left to the core types).
 */
export function goResolve(s: string): number | string | Unreadable | undefined {
  const c = s[0];
  if (c === undefined) return undefined;
  if (/^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(s))
    return new Unreadable("the Pulumi CLI reads it as an infinity or NaN, which it cannot pass to the program");
  if (c === ".") {
    if (!/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) return undefined;
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined;
  }
  if (!/[0-9+-]/.test(c)) return undefined;
  const time = goTime(s);
  if (time !== undefined) return time;
  const plain = s.replace(/_/g, "");
  const int = goParseInt(plain);
  if (int !== undefined) return Number(int);
  if (YAML_STYLE_FLOAT.test(plain)) {
    const v = Number(plain);
    // ParseFloat fails on overflow (the scalar then stays a string).
    return Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

const goScalar = new jsyaml.Type("tag:yaml.org,2002:go-scalar", {
  kind: "scalar",
  resolve: (data: string) => goResolve(data) !== undefined,
  construct: (data: string) => goResolve(data),
});

/** The Pulumi CLI's reading (yaml.v3) of plain scalars, with the core schema's null and booleans (yaml.v3 has the same ones). */
const PULUMI_CLI_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [TYPES.null, TYPES.bool, goScalar, TYPES.merge] });

/** Reads a stack file's text the way leasehold does (throws js-yaml's YAMLException on bad YAML). */
export function readStackYaml(text: string, file?: string): unknown {
  return jsyaml.load(text, { schema: STACK_SCHEMA, filename: file });
}

/** Reads a stack file's text the way the Pulumi CLI does, as the program then sees the values. */
export function readAsPulumiCli(text: string): unknown {
  return jsyaml.load(text, { schema: PULUMI_CLI_SCHEMA });
}

/** A place where the two readings of a stack file differ. */
export interface Divergence {
  /** The path under `config:` (`["leasehold:leases", 0, "gpu", "count"]`). */
  path: (string | number)[];
  /** leasehold's reading (YAML 1.2). */
  ours: unknown;
  /** The Pulumi CLI's reading, as the program sees it. */
  cli: unknown;
}

/**
 * The places under `config:` where the Pulumi CLI's reading of a stack file differs from
 * leasehold's, for the keys `keep` selects (by default every key). `ours` is the file as
 * leasehold read it (so the text is parsed once more only here). `prefilter` skips files with no
 * plain token that could read otherwise (tests turn it off to prove it sound).
 */
export function divergences(text: string, ours: unknown, keep: (key: string) => boolean = () => true, prefilter = true): Divergence[] {
  if (prefilter && !mayDiverge(text)) return [];
  let cli: unknown;
  try {
    cli = readAsPulumiCli(text);
  } catch (e) {
    // Tags this model of the CLI does not know (`!!int`): cliHazards names them.
    if (/(^|[\s[{,:])!/m.test(text)) return [];
    // A text the core schema reads but this one does not: a key that resolves to another scalar
    // and collides with a second one (`010:` and `8:`). Not a stack file anyone writes.
    return [{ path: [], ours: "the file", cli: new Unreadable(`the Pulumi CLI's reading fails (${(e as Error).message.split("\n")[0]})`) }];
  }
  const out: Divergence[] = [];
  const a = (ours as { config?: unknown } | null)?.config;
  const b = (cli as { config?: unknown } | null)?.config;
  if (!isObject(a) || !isObject(b)) return out;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (keep(key)) compare(a[key], b[key], [key], out);
  }
  return out;
}

// Plain tokens both readers read alike: decimal numbers, dotted addresses and CIDRs, canonical
// RFC 3339 times (the CLI's time prints back as the same text), a lone sign or dot (a list item's dash). Only a token that starts with a
// digit, a sign or a dot and is none of these can read differently.
const PLAIN_TOKEN = /(?:^|[:,[{]|- )[ \t]*(?:&\S+[ \t]+)?([-+]?[.0-9][^\s,\]}#]*)/gm;
const READ_ALIKE =
  /^([-+.]|-?(0|[1-9][0-9]*)(\.[0-9]+)?|\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?(Z|[+-](?!00:00)\d{2}:\d{2}))$/;

/** Whether a stack file has a plain token the two readers might read otherwise (then both parse it). */
function mayDiverge(text: string): boolean {
  for (const m of text.matchAll(PLAIN_TOKEN)) if (!READ_ALIKE.test(m[1]!)) return true;
  return false;
}

function compare(x: unknown, y: unknown, at: (string | number)[], out: Divergence[]): void {
  if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
    x.forEach((v, i) => compare(v, y[i], [...at, i], out));
    return;
  }
  if (isObject(x) && isObject(y)) {
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length === ky.length && kx.every((k) => Object.hasOwn(y, k))) {
      for (const k of kx) compare(x[k], y[k], [...at, k], out);
      return;
    }
    // A key read differently (`010:` is "10" here, "8" there): blame the map.
    out.push({ path: at, ours: kx, cli: ky });
    return;
  }
  if (Object.is(x, y) || (x === 0 && y === 0)) return;
  out.push({ path: at, ours: x, cli: y });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Unreadable);
}

/** A construct of a stack file the Pulumi CLI reads otherwise than leasehold, or cannot read. */
export interface Hazard {
  /** The path under `config:` when the construct is inside a value. */
  path?: (string | number)[];
  /** The 1-based line. */
  line: number;
  /** What the Pulumi CLI does with the construct, and how to write it instead. */
  message: string;
}

const LINE_BREAKS_1_1: Record<string, string> = {
  "\u0085": "U+0085 (NEXT LINE)",
  "\u2028": "U+2028 (LINE SEPARATOR)",
  "\u2029": "U+2029 (PARAGRAPH SEPARATOR)",
};

/**
 * What the two YAML readers (js-yaml for leasehold, gopkg.in/yaml.v3 for the Pulumi CLI) parse
 * otherwise, beyond plain scalars; each found by attacking the loader against the real CLI:
 * YAML 1.1 line breaks (U+0085, U+2028, U+2029) and `%YAML 1.2` directives, tabs on blank lines,
 * config keys with two colons, complex keys, merge keys given twice or aliased to a sequence, the
 * `\/` escape (the CLI cannot read these); and under `leasehold:` keys, tags (`! 010` is 8 there),
 * block scalars that start with a blank line (dropped there), a quoted `"<<"` key (merged there)
 * and map keys that are not plain strings (`1e6:`, `~:`, a time: the CLI rewrites them).
 */
export function cliHazards(text: string): Hazard[] {
  const out: Hazard[] = [];
  const lineAt = (index: number) => text.slice(0, index).split(/\r\n|\r|\n/).length;
  for (const m of text.matchAll(/[\u0085\u2028\u2029]/g)) {
    out.push({
      line: lineAt(m.index),
      message: `the character ${LINE_BREAKS_1_1[m[0]]} is a line break for the Pulumi CLI (YAML 1.1) and not for leasehold (YAML 1.2): remove it`,
    });
  }
  for (const m of text.matchAll(/^%YAML[ \t]+(\S+)/gm)) {
    if (m[1] !== "1.1")
      out.push({ line: lineAt(m.index), message: `the Pulumi CLI (gopkg.in/yaml.v3) cannot read a %YAML ${m[1]} directive: remove it` });
  }
  for (const m of text.matchAll(/^[ \t]*\t[ \t]*$/gm)) {
    out.push({
      line: lineAt(m.index),
      message: "a blank line holding a tab: the Pulumi CLI refuses a tab where it expects indentation: remove it",
    });
  }
  if (!/[!?|>\\]|<</.test(text)) return out;
  // The rarer constructs need the document's nodes; most stack files have none of them.
  const doc = parseDocument(text, { uniqueKeys: false });
  const config = doc.get("config", true);
  if (!isMap(config)) return out;
  const line = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineAt(range[0]) : 1;
  };
  const at = (path: (string | number)[], node: unknown, message: string) => out.push({ path, line: line(node), message });
  const walk = (node: unknown, path: (string | number)[], ours: boolean) => {
    if (ours && (isScalar(node) || isMap(node) || isSeq(node)) && node.tag !== undefined) {
      at(
        path,
        node,
        `a YAML tag (${node.tag === "!" ? "!" : `!!${node.tag.replace("tag:yaml.org,2002:", "")}`}) here: leasehold takes no tags under its keys, as the Pulumi CLI (gopkg.in/yaml.v3) resolves some tagged values otherwise (\`! 010\` is 8 there): drop the tag, and quote the value if it is text`,
      );
    }
    if (isScalar(node)) {
      const raw = node.range ? text.slice(node.range[0], node.range[1]) : "";
      if (node.type === "QUOTE_DOUBLE" && /\\\//.test(raw))
        at(path, node, "the escape \\/ in a double-quoted string: the Pulumi CLI (gopkg.in/yaml.v3) cannot read it: write / instead");
      if (
        ours &&
        (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") &&
        typeof node.value === "string" &&
        node.value.startsWith("\n")
      ) {
        at(
          path,
          node,
          "a block scalar that starts with a blank line: the Pulumi CLI drops its leading blank lines, leasehold keeps them: remove the blank line",
        );
      }
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i], ours));
      return;
    }
    if (!isMap(node)) return;
    let merges = 0;
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key)) {
        at(path, key, "a complex (non-scalar) map key: the Pulumi CLI cannot read it: use a plain string key");
        continue;
      }
      const name = String(key.value);
      if (name === "<<" && key.type === "PLAIN") {
        merges++;
        if (merges === 2)
          at(path, key, "a second merge key (<<) in one map: the Pulumi CLI refuses it: merge a list instead (<<: [*a, *b])");
        if (isAlias(pair.value) && isSeq(pair.value.resolve(doc)))
          at(path, key, "a merge key (<<) aliased to a list: the Pulumi CLI refuses it: merge a list of aliases (<<: [*a, *b])");
        continue;
      }
      if (ours && name === "<<")
        at(
          path,
          key,
          'a quoted "<<" key: the Pulumi CLI merges it like <<, leasehold keeps it as a key: remove the quotes to merge, or rename the key',
        );
      else if (ours && key.type === "PLAIN" && (typeof key.value !== "string" || goResolve(key.source ?? name) !== undefined)) {
        at(
          [...path, name],
          key,
          `the map key ${key.source ?? name} is not a plain string for the Pulumi CLI, which rewrites it: quote it ("${key.source ?? name}")`,
        );
      }
      walk(pair.value, [...path, name], ours);
    }
  };
  for (const pair of config.items) {
    if (!isScalar(pair.key)) {
      at([], pair.key, "a complex (non-scalar) config key: the Pulumi CLI cannot read it");
      continue;
    }
    const key = String(pair.key.value);
    walk(pair.value, [key], key.startsWith("leasehold:"));
  }
  return out;
}
