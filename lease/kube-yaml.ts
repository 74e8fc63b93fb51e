import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node as YamlNode } from "yaml";

// Manifests read the way kubectl reads them. kubectl turns YAML into JSON with sigs.k8s.io/yaml,
// which decodes with go-yaml v2: YAML 1.1 scalars (yes/no/on/off booleans, 0777 octal, 0x hex,
// 1_000), merge keys (`<<: *anchor`), and no timestamps or sexagesimal numbers (they stay strings).
// go-yaml v2 applies a merge key where it stands in the mapping: merged keys overwrite the keys
// written before it and are overwritten by those after it (a list of merges: earlier maps win).
// The `yaml` package parses YAML 1.1; the conversion to plain values follows go-yaml v2.

/** One document of a manifest file: its value, or why it cannot be read. */
export interface ManifestDocument {
  value?: unknown;
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

/** A node as go-yaml v2 decodes it into interface{}, then to JSON (map keys as strings). */
function toPlain(node: unknown, doc: Document, depth = 0, budget = { left: MAX_VALUES }): unknown {
  if (depth > 1000) throw new MergeError("aliases nest too deep");
  if (--budget.left < 0) throw new MergeError("document contains excessive aliasing");
  if (isAlias(node)) return toPlain(node.resolve(doc), doc, depth + 1, budget);
  if (isScalar(node)) {
    const v = node.value;
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
      put(out, k === null || k === undefined ? "null" : typeof k === "object" ? JSON.stringify(k) : String(k), pair.value === null ? null : toPlain(pair.value, doc, depth + 1, budget));
    }
    return out;
  }
  return node ?? null;
}

/** The documents of a manifest file as kubectl reads them (empty documents skipped). */
export function parseManifests(text: string): ManifestDocument[] {
  const docs = parseAllDocuments(text, { version: "1.1", merge: false, uniqueKeys: false, customTags: GO_YAML_V2_TAGS as never, prettyErrors: true });
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
