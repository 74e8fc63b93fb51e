import * as fs from "node:fs";
import * as path from "node:path";
import { isMap } from "yaml";

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
