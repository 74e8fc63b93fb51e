import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  controlPlaneDown,
  controlPlaneUp,
  ensureStack,
  pulumi,
  pulumiEnv,
  registerPoolNodes,
  ROOT,
  sh,
  syncProject,
  toolchainPath,
} from "../scripts/local/toolchain";

const AT = "2026-12-20T00:00:00Z";

/** True when the local toolchain is built (the figures below need it). */
export function toolchainBuilt(): string | undefined {
  try {
    const PATH = toolchainPath();
    return sh("bash", ["-c", "command -v pulumi && command -v kube-apiserver && command -v kubectl"], { env: { ...process.env, PATH } })
      .code === 0
      ? PATH
      : undefined;
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
export function pulumiVsKubectl(
  PATH: string,
  runs: number,
  extraEnv: NodeJS.ProcessEnv = {},
): { up: number[]; apply: number[]; preview: number[]; diff: number[] } {
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
    const rendered = sh(process.execPath, [
      path.join(ROOT, "bin/leasehold.js"),
      "render",
      "--stack",
      "tenant-acme",
      "--at",
      AT,
      "--stacks",
      path.join(project, "stacks"),
    ]).stdout;
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
      out.apply.push(
        seconds(() => sh("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager=bench", "-f", file], { env: kenv })),
      );
      out.diff.push(
        seconds(() =>
          sh("kubectl", ["diff", "--server-side", "--force-conflicts", "--field-manager=bench", "-f", file], {
            env: kenv,
            allowFail: true,
          }),
        ),
      );
    }
  } finally {
    controlPlaneDown(state, base);
    fs.rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * How fast a lease that stops being in force takes its nodes back, on the local control plane
 * (real kube-scheduler, taint-eviction controller; kwok kubelets): tenant-acme runs one 8-GPU pod
 * on each of its two H100 lease's nodes; a reclaim notice whose `effectiveAt` has passed is
 * written, and the lease clock's deploy (`pulumi up`) runs. Measured per run: the deploy's wall
 * time, and from the deploy's end until no pod of the tenant is left on the reclaimed nodes. The
 * lease is then restored (deploy, pods Running again) for the next run.
 */
export function leaseEviction(PATH: string, runs: number): { deploy: number[]; evicted: number[] } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-eviction-"));
  const state = path.join(work, "controlplane");
  const base = { ...process.env, PATH };
  const kubeconfig = controlPlaneUp(state, base);
  const kenv = { ...base, KUBECONFIG: kubeconfig };
  const out = { deploy: [] as number[], evicted: [] as number[] };
  const nodes = ["gpu-001", "gpu-002"];
  const podsOnNodes = () =>
    (
      JSON.parse(sh("kubectl", ["get", "pods", "-n", "acme", "-o", "json"], { env: kenv }).stdout) as {
        items: { spec: { nodeName?: string }; status: { phase: string } }[];
      }
    ).items.filter((p) => nodes.includes(p.spec.nodeName ?? ""));
  const until = (what: string, ok: () => boolean, ms = 120_000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
      sh("sleep", ["0.05"]);
    }
  };
  try {
    registerPoolNodes(path.join(ROOT, "stacks"), kenv);
    const project = path.join(work, "project");
    syncProject(project);
    const env = pulumiEnv({ ...kenv, LEASEHOLD_AT: AT }, path.join(work, "pulumi-home"), "bench");
    const backend = path.join(work, "state");
    for (const stack of ["platform-local", "tenant-acme"]) {
      ensureStack(project, env, backend, stack);
      pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", stack]);
    }
    const lease = "acme-h100-2026q4";
    const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
    const deploy = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "train", namespace: "acme" },
      spec: {
        replicas: 2,
        strategy: { type: "Recreate" },
        selector: { matchLabels: { app: "train" } },
        template: {
          metadata: { labels: { app: "train" } },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            nodeSelector: { "leasehold.io/lease": lease },
            tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: lease, effect: "NoExecute" }],
            containers: [
              { name: "train", image: "train:1", securityContext: restricted, resources: { limits: { "nvidia.com/gpu": "8" } } },
            ],
          },
        },
      },
    };
    sh("kubectl", ["--as=bench", "--as-group=acme:admins", "apply", "-f", "-"], { env: kenv, input: JSON.stringify(deploy) });
    const file = path.join(project, "stacks", "Pulumi.tenant-acme.yaml");
    const original = fs.readFileSync(file, "utf8");
    const doc = parse(original);
    doc.config["leasehold:leases"][0].reclaim.notice = {
      issuedAt: "2026-12-10T00:00:00Z",
      effectiveAt: "2026-12-13T00:00:00Z",
      reason: "Capacity recalled (bench).",
    };
    const reclaimed = stringify(doc);
    for (let i = 0; i < runs; i++) {
      until("acme's pods Running on the lease's nodes", () => podsOnNodes().filter((p) => p.status.phase === "Running").length === 2);
      fs.writeFileSync(file, reclaimed);
      out.deploy.push(seconds(() => pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", "tenant-acme"])));
      out.evicted.push(seconds(() => until("acme's pods gone from the reclaimed nodes", () => podsOnNodes().length === 0)));
      fs.writeFileSync(file, original);
      pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", "tenant-acme"]);
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
    fs.writeFileSync(
      path.join(proj, "index.js"),
      'const pulumi = require("@pulumi/pulumi");\nrequire("@pulumi/kubernetes");\nexports.stack = pulumi.getStack();\n',
    );
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(proj, "node_modules"));
    const env = pulumiEnv({ ...process.env, PATH }, path.join(work, "pulumi-home"), "bench");
    fs.mkdirSync(path.join(work, "state"));
    sh("pulumi", ["login", `file://${path.join(work, "state")}`], { env, cwd: proj });
    sh("pulumi", ["stack", "init", "floor"], { env, cwd: proj });
    sh("pulumi", ["preview", "--stack", "floor", "--non-interactive"], { env, cwd: proj });
    return Array.from({ length: runs }, () =>
      seconds(() => sh("pulumi", ["preview", "--stack", "floor", "--non-interactive"], { env, cwd: proj })),
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
