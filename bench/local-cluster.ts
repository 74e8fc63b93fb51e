import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { controlPlaneDown, controlPlaneUp, ensureStack, pulumi, pulumiEnv, registerPoolNodes, ROOT, sh, syncProject, toolchainPath } from "../scripts/local/toolchain";

const AT = "2026-12-20T00:00:00Z";

/** True when the local toolchain is built (the figures below need it). */
export function toolchainBuilt(): string | undefined {
  try {
    const PATH = toolchainPath();
    return sh("bash", ["-c", "command -v pulumi && command -v kube-apiserver && command -v kubectl"], { env: { ...process.env, PATH } }).code === 0 ? PATH : undefined;
  } catch {
    return undefined;
  }
}

function seconds(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Side by side against one local API server: `pulumi up` of a fresh tenant stack vs `kubectl
 * apply --server-side` of the same objects (from `leasehold render`, in a namespace of their own),
 * and a no-op `pulumi preview` vs `kubectl diff` of those objects.
 */
export function pulumiVsKubectl(PATH: string, runs: number, extraEnv: NodeJS.ProcessEnv = {}): { up: number[]; apply: number[]; preview: number[]; diff: number[] } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-cluster-"));
  const state = path.join(work, "controlplane");
  const base = { ...process.env, PATH };
  const kubeconfig = controlPlaneUp(state, base);
  const kenv = { ...base, KUBECONFIG: kubeconfig };
  const out = { up: [] as number[], apply: [] as number[], preview: [] as number[], diff: [] as number[] };
  try {
    registerPoolNodes(path.join(ROOT, "stacks"), kenv);
    const project = path.join(work, "project");
    syncProject(project);
    const env = pulumiEnv({ ...kenv, LEASEHOLD_AT: AT, ...extraEnv }, path.join(work, "pulumi-home"), "bench");
    const backend = path.join(work, "state");
    ensureStack(project, env, backend, "platform-local");
    pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", "platform-local"]);
    const rendered = sh(process.execPath, [path.join(ROOT, "bin/leasehold.js"), "render", "--stack", "tenant-acme", "--at", AT, "--stacks", path.join(project, "stacks")]).stdout;
    for (let i = 0; i < runs; i++) {
      const stack = `tenant-acme`;
      ensureStack(project, env, backend, stack);
      out.up.push(seconds(() => pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", stack])));
      out.preview.push(seconds(() => pulumi(project, env, ["preview", "--stack", stack])));
      // A fresh stack each run: the tenant namespace is protected (tenant data), so it is left out of
      // the destroy, the stack is removed, and the namespace deleted by hand.
      pulumi(project, env, ["destroy", "--yes", "--skip-preview", "--exclude-protected", "--stack", stack]);
      pulumi(project, env, ["stack", "rm", "--yes", "--force", "--preserve-config", "--stack", stack]);
      sh("kubectl", ["delete", "namespace", "acme", "--wait=true"], { env: kenv });
      // The same objects for kubectl, in a namespace of their own so both runs start fresh.
      const ns = `acme-kubectl-${i}`;
      const docs = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string; metadata: Record<string, any> });
      const objects = docs.map((o) => {
        const c = structuredClone(o);
        if (c.kind === "Namespace") c.metadata.name = ns;
        else if (c.metadata.namespace) c.metadata.namespace = ns;
        return c;
      });
      const file = path.join(work, `${ns}.yaml`);
      fs.writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
      out.apply.push(seconds(() => sh("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager=bench", "-f", file], { env: kenv })));
      out.diff.push(seconds(() => sh("kubectl", ["diff", "--server-side", "--force-conflicts", "--field-manager=bench", "-f", file], { env: kenv, allowFail: true })));
    }
  } finally {
    controlPlaneDown(state, base);
    fs.rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * The floor under any Pulumi Node.js figure: `pulumi preview` of a program that only loads
 * @pulumi/pulumi and @pulumi/kubernetes and declares nothing (CLI, language host, Node, the SDK).
 */
export function emptyProgramPreview(PATH: string, runs: number): number[] {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-floor-"));
  try {
    const proj = path.join(work, "project");
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, "Pulumi.yaml"), "name: floor\nruntime: nodejs\n");
    fs.writeFileSync(path.join(proj, "package.json"), '{"name": "floor", "main": "index.js"}\n');
    fs.writeFileSync(path.join(proj, "index.js"), 'const pulumi = require("@pulumi/pulumi");\nrequire("@pulumi/kubernetes");\nexports.stack = pulumi.getStack();\n');
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(proj, "node_modules"));
    const env = pulumiEnv({ ...process.env, PATH }, path.join(work, "pulumi-home"), "bench");
    fs.mkdirSync(path.join(work, "state"));
    sh("pulumi", ["login", `file://${path.join(work, "state")}`], { env, cwd: proj });
    sh("pulumi", ["stack", "init", "floor"], { env, cwd: proj });
    sh("pulumi", ["preview", "--stack", "floor", "--non-interactive"], { env, cwd: proj });
    return Array.from({ length: runs }, () => seconds(() => sh("pulumi", ["preview", "--stack", "floor", "--non-interactive"], { env, cwd: proj })));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
