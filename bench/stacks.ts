import { listStackFiles, loadStackFile, type Stack } from "../lease/load";

/** Every stack of a generated folder; a generated stack that does not load is a bug of the generator. */
export function loadFolderStacks(dir: string): Stack[] {
  return listStackFiles(dir).map((f) => {
    const r = loadStackFile(f);
    if (!r.ok) throw new Error(`${f} is invalid: ${JSON.stringify(r.problems[0])}`);
    return r.stack;
  });
}
