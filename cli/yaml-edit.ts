import * as fs from "node:fs";
import * as path from "node:path";
import { diffArrays } from "diff";
import { isMap, isScalar, visit, type Document } from "yaml";
import { goResolve } from "../lease/stack-yaml";

// Editing stack files in place: the yaml Document API keeps comments and key order, these
// settings keep the untouched parts as they were written, and writes are atomic.

/** A child node of a YAML map (or undefined). */
export function child(parent: unknown, key: string): unknown {
  return isMap(parent) ? parent.get(key, true) : undefined;
}

/** Serializer settings that leave the untouched parts of a hand-written file as they were. */
export const STRINGIFY = { flowCollectionPadding: false, lineWidth: 0 } as const;

/** Writes through a temporary file in the same folder and a rename, so a crash never leaves half a file. */
export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * The edited text in the layout of the file it was edited from: the original's byte-order mark
 * and line ends (CRLF or LF, whichever it mostly uses) are kept, and every line the edit did not
 * change stays byte for byte as it was, so a file saved by a Windows editor shows only the
 * changed lines in a diff. `edited` is the yaml Document's output (LF, no byte-order mark).
 */
export function inOriginalLayout(original: string, edited: string): string {
  const bom = original.startsWith("\uFEFF");
  const body = bom ? original.slice(1) : original;
  const count = (re: RegExp) => (body.match(re) ?? []).length;
  const ends: [string, number][] = [
    ["\n", count(/(?<!\r)\n/g)],
    ["\r\n", count(/\r\n/g)],
    ["\r", count(/\r(?!\n)/g)],
  ];
  const eol = ends.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const oldLines = body.split(/(?<=\r\n|\r(?!\n)|\n)/);
  const newLines = edited.split(/(?<=\n)/);
  const bare = (l: string) => l.replace(/(\r\n|\r|\n)$/, "");
  let out = "";
  let i = 0;
  const emit = (line: string) => {
    // A last line without a line end that is no longer last gets one.
    if (out !== "" && !/[\r\n]$/.test(out)) out += eol;
    out += line;
  };
  for (const part of diffArrays(oldLines.map(bare), newLines.map(bare))) {
    if (part.removed) {
      i += part.count ?? part.value.length;
    } else if (part.added) {
      for (const line of part.value) emit(line + eol);
    } else {
      for (let k = 0; k < part.value.length; k++) emit(oldLines[i++]!);
    }
  }
  // The edited text decides whether the file ends with a line end.
  if (!edited.endsWith("\n") && out.endsWith(eol)) out = out.slice(0, -eol.length);
  if (edited.endsWith("\n") && !/[\r\n]$/.test(out)) out += eol;
  return (bom ? "\uFEFF" : "") + out;
}

/**
 * A stack file's text as the yaml Document API should parse it for an edit: without its
 * byte-order mark, every line end a "\n" (the Document API reads a lone CR otherwise than the
 * loader does). {@link inOriginalLayout} puts the file's own layout back.
 */
export function forEditing(original: string): string {
  return original.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

/**
 * Quotes every string the edit would write plain that the Pulumi CLI reads otherwise (a reason of
 * `1_000` is 1000 there, `2027-1-2` a time): the yaml Document API quotes only what YAML 1.2
 * would misread. Untouched scalars are never such strings (the loader refuses those).
 */
export function quoteForPulumiCli(doc: Document): void {
  visit(doc, {
    Scalar(_, node) {
      if (!isScalar(node) || typeof node.value !== "string" || (node.type !== undefined && node.type !== "PLAIN")) return;
      const cli = goResolve(node.value);
      if (cli !== undefined && cli !== node.value) node.type = "QUOTE_DOUBLE";
    },
  });
}
