// `npm run up:local`: the main job on its embedded default. Builds the toolchain if needed,
// starts the local control plane, registers the example pools' nodes, and deploys every stack
// of stacks/ with `leasehold up` (platforms first, then tenants, each with the policy pack), on a
// file backend inside the project (.leasehold/, git-ignored). `npm run down:local` undoes it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { listStackFiles, loadStackFile, type Stack } from "../../lease/load";
import { deployInstantFrom, isoInstant } from "../../lease/fields";
import {
  buildToolchain,
  controlPlaneUp,
  pulumi,
  pulumiEnv,
  registerPoolNodes,
  ROOT,
  runExampleWorkloads,
  sh,
  syncProject,
} from "./toolchain";

export const LOCAL = path.join(ROOT, ".leasehold");
export const PROJECT = path.join(LOCAL, "project");
export const BACKEND = path.join(LOCAL, "state");
export const CONTROLPLANE = path.join(LOCAL, "controlplane");
const PASSPHRASE = process.env.PULUMI_CONFIG_PASSPHRASE ?? "leasehold-local";

/**
 * The stacks of stacks/ the local control plane can hold, in deploy order: the existing-cluster
 * platforms first, then their tenants. EKS platforms and their tenants need AWS and are skipped.
 */
export function deployOrder(): Stack[] {
  const stacks = listStackFiles(path.join(ROOT, "stacks"))
    .map((f) => loadStackFile(f))
    .filter((r): r is Extract<typeof r, { ok: true }> => r.ok)
    .map((r) => r.stack);
  const platforms = stacks.filter((s) => s.role === "platform" && s.config.cluster.provider === "existing");
  const names = new Set(platforms.map((p) => p.name));
  return [...platforms, ...stacks.filter((s) => s.role === "tenant" && names.has(s.config.platform))];
}

/** The stacks deployOrder leaves out, with why. */
export function skippedStacks(): string[] {
  const kept = new Set(deployOrder().map((s) => s.name));
  return listStackFiles(path.join(ROOT, "stacks"))
    .map((f) => path.basename(f).replace(/^Pulumi\.(.+)\.yaml$/, "$1"))
    .filter((n) => !kept.has(n));
}

export function localEnv(): NodeJS.ProcessEnv {
  const PATH = buildToolchain();
  const base = { ...process.env, PATH };
  const kubeconfig = controlPlaneUp(CONTROLPLANE, base);
  return pulumiEnv({ ...base, KUBECONFIG: kubeconfig }, path.join(LOCAL, "pulumi-home"), PASSPHRASE);
}

function main(): void {
  const t0 = Date.now();
  const check = sh(process.execPath, [path.join(ROOT, "bin/leasehold.js"), "check"], { allowFail: true });
  if (check.code !== 0) {
    process.stderr.write(check.stderr);
    process.stderr.write("up:local: the fleet check fails; fix the stack files first\n");
    process.exit(1);
  }
  const instant = deployInstantFrom();
  if (typeof instant === "string") {
    process.stderr.write(`up:local: ${instant}\n`);
    process.exit(1);
  }
  const env = localEnv();
  const nodes = registerPoolNodes(path.join(ROOT, "stacks"), env);
  console.error(`[up:local] control plane up (KUBECONFIG=${env.KUBECONFIG}); ${nodes.length} pool nodes registered`);
  syncProject(PROJECT);
  const skipped = skippedStacks();
  if (skipped.length > 0)
    console.error(`[up:local] skipping ${skipped.join(", ")}: EKS platforms and their tenants need AWS, not the local control plane`);
  // One `leasehold up` for every stack: platforms first, each with the policy pack and its contract.
  fs.mkdirSync(BACKEND, { recursive: true });
  pulumi(PROJECT, env, ["login", `file://${BACKEND}`]);
  const names = deployOrder().map((s) => s.name);
  console.error(`[up:local] leasehold up --stack ${names.join(" ")}`);
  const up = spawnSync(
    process.execPath,
    [path.join(ROOT, "bin/leasehold.js"), "up", "--stack", ...names, "--stacks", path.join(PROJECT, "stacks")],
    { env, stdio: "inherit" },
  );
  if (up.status !== 0) {
    process.stderr.write("up:local: leasehold up failed (the summary above says which stack and why)\n");
    process.exit(1);
  }
  for (const name of names) console.log(`${name}: ${pulumi(PROJECT, env, ["stack", "output", "--stack", name, "--json"]).stdout.trim()}`);
  console.error(
    `[up:local] example workloads, created as each tenant (a GPU Deployment per lease in force at ${isoInstant(instant)}, a CPU-only notebook):`,
  );
  console.log(runExampleWorkloads(path.join(PROJECT, "stacks"), env, instant));
  fs.writeFileSync(path.join(LOCAL, "env"), `export KUBECONFIG=${env.KUBECONFIG}\nexport PATH=${env.PATH}\n`);
  console.error(`[up:local] done in ${Math.round((Date.now() - t0) / 1000)} s. Try: source .leasehold/env && kubectl get pods -A -o wide`);
}

if (require.main === module) main();
