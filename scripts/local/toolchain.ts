import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { listStackFiles, loadStackFile, type PlatformStack } from "../../lease/load";
import { formatQuantity, parseQuantity, scaleQuantity } from "../../lease/quantity";
import { gpuResourceOf } from "../../lease/catalog";
import { inForce } from "../../lease/lifecycle";
import { IDLE_TENANT_VALUE, LABELS, TENANT_TAINT_EFFECT, TENANT_TAINT_KEY } from "../../lease/tenancy";

// The real systems the e2e suite and `npm run up:local` drive: the toolchain built by
// scripts/toolchain/build.sh, the control plane of scripts/controlplane, the Pulumi CLI with a
// file backend. Shared by both, so the main job and the tests deploy the same way.

/** The project root. */
export const ROOT = path.resolve(__dirname, "../..");

/** Runs a command; throws with its output when it fails (unless `allowFail`). */
export function sh(
  cmd: string,
  args: string[],
  opts: SpawnSyncOptions & { allowFail?: boolean; input?: string } = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  const out = { code: r.status ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
  if (r.error) throw r.error;
  if (out.code !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}\n${out.stdout.slice(-4000)}\n${out.stderr.slice(-4000)}`);
  }
  return out;
}

/** Builds what is missing (progress on this process's stderr) and returns the PATH with the toolchain first. */
export function buildToolchain(): string {
  sh("bash", [path.join(ROOT, "scripts/toolchain/build.sh")], { stdio: ["ignore", "inherit", "inherit"] });
  return toolchainPath();
}

/** PATH with the toolchain's folders first (build.sh --print-path), without building. */
export function toolchainPath(): string {
  const exports = sh("bash", [path.join(ROOT, "scripts/toolchain/build.sh"), "--print-path"]).stdout;
  const m = /export PATH="?([^"\n]+)"?/.exec(exports);
  if (!m) throw new Error(`build.sh --print-path printed no PATH: ${exports}`);
  return m[1]!.replace(/\$PATH|\$\{PATH\}/, process.env.PATH ?? "");
}

/** Starts the control plane with its state in `stateDir`; returns the admin kubeconfig path. */
export function controlPlaneUp(stateDir: string, env: NodeJS.ProcessEnv): string {
  const r = sh("bash", [path.join(ROOT, "scripts/controlplane/up.sh")], {
    env: { ...env, LEASEHOLD_CONTROLPLANE_DIR: stateDir },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = r.stdout.trim().split("\n");
  return lines[lines.length - 1]!;
}

/** Stops the control plane of `stateDir` and deletes its state. */
export function controlPlaneDown(stateDir: string, env: NodeJS.ProcessEnv): void {
  sh("bash", [path.join(ROOT, "scripts/controlplane/down.sh")], {
    env: { ...env, LEASEHOLD_CONTROLPLANE_DIR: stateDir },
    stdio: ["ignore", "inherit", "inherit"],
    allowFail: true,
  });
}

/** The landlord's non-GPU node every local cluster gets (system pods, tenants' CPU-only pods). */
export const SYSTEM_NODE = { name: "system-001", cpu: "32", memory: "128Gi", "ephemeral-storage": "500Gi" } as const;

/**
 * A Node for kwok to manage: Ready once kwok sees it, with this capacity (the kubelet's part) and
 * these taints (the kubelet's `--register-with-taints`).
 */
function kwokNode(name: string, capacity: Record<string, string>, taints: object[] = []): object {
  const status = { capacity: { ...capacity, pods: "110" }, allocatable: { ...capacity, pods: "110" } };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    ...(taints.length > 0 ? { spec: { taints } } : {}),
    status,
  };
}

/** The taint a pool node registers with: the idle value of the tenant taint. */
export const IDLE_TAINT = { key: TENANT_TAINT_KEY, value: IDLE_TENANT_VALUE, effect: TENANT_TAINT_EFFECT } as const;

/**
 * Registers the local cluster's nodes, as kwok-managed Nodes (Ready, with a Lease, running the
 * pods bound to them): the landlord's system node (no GPU), and every node of every
 * existing-cluster pool of the platform stacks in `stacksDir`, advertising one node of its GPU
 * type per the catalog (`gpusPerNode` of its resource, and `perGpu` x `gpusPerNode` CPU, memory
 * and ephemeral storage). A pool node registers with the idle tenant taint
 * (`leasehold.io/tenant=:NoExecute`, as a kubelet's `--register-with-taints` would give it): closed
 * to every tenant from its first instant, until the platform's deploy and a tenant's lease.
 * Waits until every node is Ready and the node lifecycle controller has lifted the
 * `node.kubernetes.io/not-ready` taint the API server puts on new nodes. Returns the pool nodes.
 */
export function registerPoolNodes(stacksDir: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): string[] {
  const { name: system, ...systemCapacity } = SYSTEM_NODE;
  const nodes: object[] = [kwokNode(system, systemCapacity)];
  const poolNodes: string[] = [];
  for (const f of listStackFiles(stacksDir)) {
    const r = loadStackFile(f);
    if (!r.ok || r.stack.role !== "platform" || r.stack.config.cluster.provider !== "existing") continue;
    const p = r.stack as PlatformStack;
    for (const pool of p.config.pools) {
      const t = p.catalog[pool.gpuType];
      if (!t) continue;
      const per = (v: string) => formatQuantity(scaleQuantity(parseQuantity(v), t.gpusPerNode));
      for (const node of pool.nodes ?? []) {
        // Local disk for containers' ephemeral storage: the catalog's storage per GPU (sized to the node's NVMe).
        nodes.push(
          kwokNode(
            node,
            {
              [gpuResourceOf(t)]: String(t.gpusPerNode),
              cpu: per(t.perGpu.cpu),
              memory: per(t.perGpu.memory),
              "ephemeral-storage": per(t.perGpu.storage),
            },
            [IDLE_TAINT],
          ),
        );
        poolNodes.push(node);
      }
    }
  }
  const names = nodes.map((n) => (n as { metadata: { name: string } }).metadata.name);
  const existing = new Set(
    sh("kubectl", ["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"], { env }).stdout.split(/\s+/).filter(Boolean),
  );
  const fresh = nodes.filter((_, i) => !existing.has(names[i]!));
  if (fresh.length > 0)
    sh("kubectl", ["create", "-f", "-"], { env, input: JSON.stringify({ apiVersion: "v1", kind: "List", items: fresh }) });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = JSON.parse(sh("kubectl", ["get", "nodes", "-o", "json"], { env }).stdout) as {
      items: {
        metadata: { name: string };
        spec: { taints?: { key: string }[] };
        status: { conditions?: { type: string; status: string }[] };
      }[];
    };
    const waiting = names.filter((n) => {
      const node = live.items.find((x) => x.metadata.name === n);
      const ready = node?.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return !ready || (node?.spec.taints ?? []).some((t) => t.key === "node.kubernetes.io/not-ready");
    });
    if (waiting.length === 0) return poolNodes;
    if (Date.now() > deadline)
      throw new Error(`nodes not Ready (or still tainted not-ready) after ${timeoutMs / 1000} s: ${waiting.join(", ")}`);
    spawnSync("sleep", ["0.5"]);
  }
}

/**
 * Example workloads, created as each tenant would (impersonating its first admin group): per lease
 * in force at `at`, a Deployment of one pod per leased node asking for a whole node's GPUs,
 * pinned to the lease and tolerating its taint; per tenant, a CPU-only pod that selects no lease.
 * Waits until every pod is Running (kwok plays the kubelet) and returns `kubectl get pods -o wide`
 * of the tenants' namespaces: where the scheduler put them.
 */
export function runExampleWorkloads(stacksDir: string, env: NodeJS.ProcessEnv, at: number, timeoutMs = 120_000): string {
  const stacks = listStackFiles(stacksDir)
    .map((f) => loadStackFile(f))
    .filter((r) => r.ok)
    .map((r) => (r as Extract<typeof r, { ok: true }>).stack);
  const platforms = new Map(
    stacks.filter((s): s is PlatformStack => s.role === "platform" && s.config.cluster.provider === "existing").map((p) => [p.name, p]),
  );
  const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
  const podSecurity = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
  const namespaces: string[] = [];
  for (const t of stacks) {
    if (t.role !== "tenant" || !platforms.has(t.config.platform)) continue;
    const catalog = platforms.get(t.config.platform)!.catalog;
    const ns = t.config.tenant.name;
    const as = t.config.tenant.access.admins[0] ? ["--as=example", `--as-group=${t.config.tenant.access.admins[0]}`] : [];
    const objects: object[] = [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "notebook", namespace: ns },
        spec: {
          securityContext: podSecurity,
          containers: [{ name: "notebook", image: "registry.example/notebook:1", securityContext: restricted }],
        },
      },
    ];
    for (const l of t.config.leases.filter((x) => inForce(x, at))) {
      const type = catalog[l.gpu.type];
      if (!type) continue;
      const labels = { app: `train-${l.id}` };
      objects.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: `train-${l.id}`, namespace: ns },
        spec: {
          replicas: l.placement.nodes?.length ?? 1,
          strategy: { type: "Recreate" },
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              securityContext: podSecurity,
              // The tenant's nodes of the lease's GPU type; a renewal changes neither line.
              nodeSelector: { [LABELS.tenant]: ns, [LABELS.gpuType]: l.gpu.type },
              tolerations: [{ key: TENANT_TAINT_KEY, operator: "Equal", value: ns, effect: TENANT_TAINT_EFFECT }],
              containers: [
                {
                  name: "train",
                  image: "registry.example/train:1",
                  securityContext: restricted,
                  resources: { limits: { [gpuResourceOf(type)]: String(Math.min(type.gpusPerNode, l.gpu.count)) } },
                },
              ],
            },
          },
        },
      });
    }
    sh("kubectl", [...as, "apply", "-f", "-"], { env, input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) });
    namespaces.push(ns);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = namespaces.flatMap(
      (ns) =>
        (JSON.parse(sh("kubectl", ["get", "pods", "-n", ns, "-o", "json"], { env }).stdout) as { items: { status: { phase: string } }[] })
          .items,
    );
    const expected = namespaces.length;
    if (pods.length >= expected && pods.every((p) => p.status.phase === "Running")) break;
    if (Date.now() > deadline) break;
    spawnSync("sleep", ["0.5"]);
  }
  return namespaces.map((ns) => sh("kubectl", ["get", "pods", "-n", ns, "-o", "wide"], { env }).stdout.trim()).join("\n\n");
}

/** The environment of every Pulumi CLI run: no update checks, no plugin downloads, a file backend. */
export function pulumiEnv(base: NodeJS.ProcessEnv, home: string, passphrase: string): NodeJS.ProcessEnv {
  return {
    ...base,
    PULUMI_HOME: home,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}

/**
 * A working copy of the project for the Pulumi CLI: the tracked sources (so the CLI's
 * `encryptionsalt` never lands in the repository's stack files), node_modules linked. Stack
 * files are refreshed from `stacksDir` on every call, keeping the salt of the previous copy.
 */
export function syncProject(dest: string, stacksDir = path.join(ROOT, "stacks")): void {
  fs.mkdirSync(dest, { recursive: true });
  const files = sh("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT })
    .stdout.split("\0")
    .filter((f) => f && !f.startsWith("stacks/") && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dest, f));
  }
  if (!fs.existsSync(path.join(dest, "node_modules"))) fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dest, "node_modules"));
  fs.mkdirSync(path.join(dest, "stacks"), { recursive: true });
  for (const f of fs.readdirSync(stacksDir).filter((x) => /^Pulumi\..+\.yaml$/.test(x))) {
    const target = path.join(dest, "stacks", f);
    const salt = fs.existsSync(target) ? /^encryptionsalt:.*$/m.exec(fs.readFileSync(target, "utf8"))?.[0] : undefined;
    fs.writeFileSync(target, fs.readFileSync(path.join(stacksDir, f), "utf8") + (salt ? `\n${salt}\n` : ""));
  }
}

/** Runs the Pulumi CLI in `cwd`. */
export function pulumi(cwd: string, env: NodeJS.ProcessEnv, args: string[], allowFail = false) {
  return sh("pulumi", [...args, "--non-interactive"], { cwd, env, allowFail });
}

/** Logs in to a file backend and makes sure the stack exists. */
export function ensureStack(cwd: string, env: NodeJS.ProcessEnv, backend: string, stack: string): void {
  fs.mkdirSync(backend, { recursive: true });
  pulumi(cwd, env, ["login", `file://${backend}`]);
  const ls = pulumi(cwd, env, ["stack", "ls", "--json"]).stdout;
  const names = (JSON.parse(ls) as { name: string }[]).map((s) => s.name);
  if (!names.includes(stack)) pulumi(cwd, env, ["stack", "init", stack]);
}
