import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../cli/main";

/** The project root. */
export const ROOT = path.resolve(__dirname, "../..");

/** A fresh temp folder holding a copy of the example stacks. */
export function exampleStacks(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-cli-"));
  for (const f of fs.readdirSync(path.join(ROOT, "stacks"))) fs.copyFileSync(path.join(ROOT, "stacks", f), path.join(dir, f));
  return dir;
}

/** Every file of a folder with its bytes, to prove a refused command changed nothing. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) out[f] = fs.readFileSync(path.join(dir, f), "utf8");
  return out;
}

/** Runs the CLI in this process and captures its output. */
export async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    out: (t) => {
      stdout += t.endsWith("\n") ? t : `${t}\n`;
    },
    err: (t) => {
      stderr += t.endsWith("\n") ? t : `${t}\n`;
    },
  });
  return { code, stdout, stderr };
}

/** Runs the installed `leasehold` command as a user would, in `cwd`. */
export function runBin(cwd: string, ...argv: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/leasehold.js"), ...argv], { cwd, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
