// `npm run up:local`: the main job on its embedded default. Builds the toolchain if needed,
// starts the local control plane, registers the example pools' nodes, and deploys every stack
// of stacks/ (platforms first, then tenants) with the policy pack, on a file backend inside the
// project (.leasehold/, git-ignored). `npm run down:local` undoes it.
import * as fs from "node:fs";
import * as path from "node:path";
import { listStackFiles, loadStackFile, type Stack } from "../../lease/load";
import { deployInstantFrom, isoInstant } from "../../lease/fields";
import { buildToolchain, controlPlaneUp, ensureStack, pulumi, pulumiEnv, registerPoolNodes, ROOT, runExampleWorkloads, sh, syncProject } from "./toolchain";

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
  if (skipped.length > 0) console.error(`[up:local] skipping ${skipped.join(", ")}: EKS platforms and their tenants need AWS, not the local control plane`);
  for (const stack of deployOrder()) {
    ensureStack(PROJECT, env, BACKEND, stack.name);
    const cfg = path.join(LOCAL, `policy-config.${stack.name}.json`);
    sh(process.execPath, [path.join(ROOT, "bin/leasehold.js"), "policy-config", "--stack", stack.name, "--stacks", path.join(PROJECT, "stacks"), "--out", cfg], { env });
    console.error(`[up:local] pulumi up --stack ${stack.name} --policy-pack policies`);
    const up = pulumi(PROJECT, env, ["up", "--yes", "--skip-preview", "--stack", stack.name, "--policy-pack", "policies", "--policy-pack-config", cfg], true);
    if (up.code !== 0) {
      process.stderr.write(up.stdout.slice(-6000) + up.stderr.slice(-3000));
      process.stderr.write(`up:local: pulumi up of ${stack.name} failed\n`);
      process.exit(1);
    }
    const outputs = pulumi(PROJECT, env, ["stack", "output", "--stack", stack.name, "--json"]).stdout;
    console.log(`${stack.name}: ${outputs.trim()}`);
  }
  console.error(`[up:local] example workloads, created as each tenant (a GPU Deployment per lease in force at ${isoInstant(instant)}, a CPU-only notebook):`);
  console.log(runExampleWorkloads(path.join(PROJECT, "stacks"), env, instant));
  fs.writeFileSync(path.join(LOCAL, "env"), `export KUBECONFIG=${env.KUBECONFIG}\nexport PATH=${env.PATH}\n`);
  console.error(`[up:local] done in ${Math.round((Date.now() - t0) / 1000)} s. Try: source .leasehold/env && kubectl get pods -A -o wide`);
}

if (require.main === module) main();
