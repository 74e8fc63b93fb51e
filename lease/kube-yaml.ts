import * as jsyaml from "js-yaml";
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node as YamlNode } from "yaml";

// Manifests read the way kubectl reads them. kubectl turns YAML into JSON with sigs.k8s.io/yaml,
// which decodes with go-yaml v2: YAML 1.1 scalars (yes/no/on/off booleans, 0777 octal, 0x hex,
// 1_000), merge keys (`<<: *anchor`), and no timestamps or sexagesimal numbers (they stay strings).
// go-yaml v2 applies a merge key where it stands in the mapping: merged keys overwrite the keys
// written before it and are overwritten by those after it (a list of merges: earlier maps win).
// The `yaml` package parses YAML 1.1; the conversion to plain values follows go-yaml v2.

/** One document of a manifest file: its value, or why it cannot be read. */
export interface ManifestDocument {
  /** The document as plain data (maps, lists, strings, numbers, booleans; null when empty); absent with `error`. */
  value?: unknown;
  /** Why the document cannot be read, e.g. `not valid YAML: ...`; absent when it reads. */
  error?: string;
}

const GO_YAML_V2_TAGS = (tags: { tag: string; format?: string }[]) =>
  tags.filter((t) => t.tag !== "tag:yaml.org,2002:merge" && t.tag !== "tag:yaml.org,2002:timestamp" && t.format !== "TIME");

class MergeError extends Error {}

/** Sets a key as JSON would (an own property, even `__proto__`). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}
const assign = (out: Record<string, unknown>, src: unknown) => {
  for (const [k, v] of Object.entries(src as Record<string, unknown>)) put(out, k, v);
};

/** Values one document may expand to through its aliases (go-yaml v2 refuses excessive aliasing too). */
const MAX_VALUES = 1_000_000;

/**
 * A plain scalar YAML 1.1 leaves a string but go-yaml v2 reads as an integer: it tries Go's
 * `strconv.ParseInt(s, 0, 64)` (then ParseUint) on the token with its underscores removed, and
 * base 0 takes the `0o`/`0O` octal, `0X` hex and `0B` binary prefixes YAML 1.1 lacks, and a sign
 * before any prefix (`0o20` is 16 to kubectl). Undefined when Go reads no integer either.
 */
export function goInt(token: string): number | undefined {
  // go-yaml v2 tries numbers only for a token that starts with a digit or a sign.
  if (!/^[0-9+-]/.test(token)) return undefined;
  const t = token.replace(/_/g, "");
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return undefined;
  const body = m[2]!;
  const digits = /^0[oO]/.test(body)
    ? `0o${body.slice(2)}`
    : /^0[bB]/.test(body)
      ? `0b${body.slice(2)}`
      : /^0[xX]/.test(body)
        ? `0x${body.slice(2)}`
        : /^0[0-7]+$/.test(body)
          ? `0o${body.slice(1)}`
          : body;
  const n = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  if (n < -(2n ** 63n) || n >= 2n ** 64n) return undefined;
  return Number(n);
}

/** A node as go-yaml v2 decodes it into interface{}, then to JSON (map keys as strings). */
function toPlain(node: unknown, doc: Document, depth = 0, budget = { left: MAX_VALUES }): unknown {
  if (depth > 1000) throw new MergeError("aliases nest too deep");
  if (--budget.left < 0) throw new MergeError("document contains excessive aliasing");
  if (isAlias(node)) return toPlain(node.resolve(doc), doc, depth + 1, budget);
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === "string" && node.type === "PLAIN" && !node.tag) {
      const n = goInt(v);
      if (n !== undefined) return n;
    }
    return typeof v === "bigint" ? Number(v) : v;
  }
  if (isSeq(node)) return node.items.map((i) => toPlain(i, doc, depth + 1, budget));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const merge = (src: unknown) => {
      const target = isAlias(src) ? src.resolve(doc) : src;
      if (isMap(target)) assign(out, toPlain(target, doc, depth + 1, budget));
      else if (isSeq(src)) {
        for (const m of [...src.items].reverse()) {
          const t = isAlias(m) ? m.resolve(doc) : m;
          if (!isMap(t)) throw new MergeError("map merge requires map or sequence of maps as the value");
          assign(out, toPlain(t, doc, depth + 1, budget));
        }
      } else throw new MergeError("map merge requires map or sequence of maps as the value");
    };
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      if (isScalar(key) && key.type === "PLAIN" && key.value === "<<" && !key.tag) {
        merge(pair.value);
        continue;
      }
      const k = key === null ? null : toPlain(key, doc, depth + 1, budget);
      put(
        out,
        k === null || k === undefined ? "null" : typeof k === "object" ? JSON.stringify(k) : String(k),
        pair.value === null ? null : toPlain(pair.value, doc, depth + 1, budget),
      );
    }
    return out;
  }
  return node ?? null;
}

// Plain tokens go-yaml v2 and YAML 1.2's core schema read alike: decimal numbers, quantities
// (`100m`, `16Gi`), dotted addresses, and any token that starts with a letter other than the
// YAML 1.1 booleans. Only tokens that are none of these, tags, merge keys, anchors and aliases,
// and YAML 1.1 line breaks need the full YAML 1.1 reading.
const PLAIN_TOKEN = /(?:^|[:,[{?]|- )[ \t]*(?:&\S+[ \t]+)?(?!-[ \t])([^\s,\]}#'"|>&*!%@`{[:](?:[^\s,\]}#:]|:(?![\s,\]}]|$))*)/gm;
const READ_ALIKE =
  /^(-?(0|[1-9][0-9]*)(\.[0-9]+)?|[1-9][0-9]*(\.[0-9]+)?(m|[kMGTPE]i?)|\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|(?!(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$)[A-Za-z_$/][^\s]*|---|\.\.\.)$/;
// Aliases too: go-yaml v2 refuses a document that aliasing blows up (a billion laughs), js-yaml shares the nodes.
const YAML_1_1_HINTS = /<<|!|[\u0085\u2028\u2029]|^%|(^|[\s,[{:-])[&*][^\s,\]}]/m;

/** Whether a manifest file may read otherwise in YAML 1.1 than in YAML 1.2's core schema. */
function mayReadOtherwise(text: string): boolean {
  if (YAML_1_1_HINTS.test(text)) return true;
  for (const m of text.matchAll(PLAIN_TOKEN)) if (!READ_ALIKE.test(m[1]!)) return true;
  return false;
}

/**
 * The documents of a manifest file as kubectl reads them (empty documents skipped). A file with
 * nothing YAML 1.1 reads otherwise (most manifests) is read by js-yaml, about ten times faster;
 * any other, or any js-yaml cannot read, goes through the full YAML 1.1 reading.
 */
export function parseManifests(text: string): ManifestDocument[] {
  if (!mayReadOtherwise(text)) {
    try {
      return jsyaml.loadAll(text, null, { schema: jsyaml.CORE_SCHEMA }).map((value) => ({ value: value === undefined ? null : value }));
    } catch {
      // The full reading gives kubectl's answer and its errors.
    }
  }
  return parseManifestsYaml11(text);
}

/** The documents of a manifest file, read as YAML 1.1 the way go-yaml v2 decodes them. */
export function parseManifestsYaml11(text: string): ManifestDocument[] {
  const docs = parseAllDocuments(text, {
    version: "1.1",
    merge: false,
    uniqueKeys: false,
    customTags: GO_YAML_V2_TAGS as never,
    prettyErrors: true,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((doc) => {
    if (doc.errors.length > 0) return { error: `not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}` };
    try {
      return { value: toPlain(doc.contents, doc as Document) };
    } catch (e) {
      if (e instanceof MergeError) return { error: `not valid YAML: ${e.message}` };
      throw e;
    }
  });
}
