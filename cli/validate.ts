import * as path from "node:path";
import { checkFleet } from "../lease/fleet";
import { listStackFiles, loadPlatformStack, loadStackFile } from "../lease/load";
import type { Problem } from "../lease/problems";
import { EXIT, printJson, printProblems, requireDir, type Io } from "./common";

/** Options of `leasehold validate`. */
export interface ValidateOptions {
  /** The folder whose `Pulumi.*.yaml` files are checked when no file is named. */
  stacks: string;
  /** Print machine-readable results. */
  json?: boolean;
}

/**
 * `leasehold validate [FILE...]`: schema-checks stack files, each on its own; a tenant stack with
 * the platform stack of its folder (GPU types, pools, nodes, names), as `check` judges the pair.
 */
export function validate(files: string[], opts: ValidateOptions, io: Io): number {
  if (files.length === 0) {
    requireDir(opts.stacks);
    files = listStackFiles(opts.stacks);
  }
  const problems: Problem[] = [];
  const results = files.map((file) => {
    let r = loadStackFile(file);
    // A tenant is judged with the platform in its folder: its GPU types, pools and nodes.
    if (r.ok && r.stack.role === "tenant") {
      const platform = loadPlatformStack(path.dirname(file), r.stack.config.platform, file);
      const against = Array.isArray(platform) ? platform : checkFleet([platform, r.stack]);
      if (against.length > 0) r = { ok: false, problems: against };
    }
    if (!r.ok) problems.push(...r.problems);
    return r.ok ? { file, ok: true, stack: r.stack.name, role: r.stack.role } : { file, ok: false, problems: r.problems.length };
  });
  const ok = problems.length === 0 && files.length > 0;
  if (opts.json) {
    printJson(io, { ok, files: results, problems });
  } else {
    printProblems(io, problems);
    if (files.length === 0) io.err(`no stack files (Pulumi.<stack>.yaml) in ${opts.stacks}`);
    else {
      const bad = results.filter((r) => !r.ok).length;
      io.out(
        bad === 0
          ? `ok: ${files.length} stack file(s) valid (${files.map((f) => path.basename(f)).join(", ")})`
          : `${bad} of ${files.length} stack file(s) invalid, ${problems.length} problem(s)`,
      );
    }
  }
  return ok ? EXIT.ok : EXIT.rule;
}
