import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { BUILTIN_CATALOG, gpuResourceOf } from "../lease/catalog";
import { formatQuantity, parseQuantity, scaleQuantity } from "../lease/quantity";
import { LABELS, TENANT_TAINT_EFFECT, TENANT_TAINT_KEY } from "../lease/tenancy";
import {
  controlPlaneDown,
  controlPlaneUp,
  ensureStack,
  IDLE_TAINT,
  pulumi,
  pulumiEnv,
  ROOT,
  sh,
  syncProject,
} from "../scripts/local/toolchain";

// `npm run bench -- --only scale`: leasehold at the scale of one large tenant, on a control plane
// of its own. A pool of 10,000 GPU nodes (Node objects created in bulk) and one tenant leasing
// 8,192 of them (65,536 GPUs): the platform's deploy, the lease's first deploy, a no-op deploy and
// the lease's end, the lease's deploy and end beside `kubectl label` + `kubectl taint` of the same
// nodes in the same run on the same API server; the lease's deploy at 1,000 and 4,096 nodes too
// (how it grows); the checkpoints' sizes; and a reclaim of a 1,024-node lease that runs one pod
// per node (how long its pods outlive the deploy). Sizes: LEASEHOLD_BENCH_SCALE_NODES, _LEASE,
// _RECLAIM and _GROWTH (500, 256, 64 and 32,128 for a first try: about 8 minutes); the
// checkpoints measured are kept in LEASEHOLD_BENCH_SCALE_EXPORTS when it names a folder. The
// controller manager runs at Kubernetes' default client rate (20 QPS) unless LEASEHOLD_KCM_API_QPS
// (and _BURST) say otherwise (scripts/controlplane/up.sh): the reclaim's figure names the rate.
// LEASEHOLD_BENCH_SCALE_KEEP=1 keeps the control plane and the project after the run.

/** The sizes of a scale run. */
export interface ScaleSizes {
  /** Pool nodes (Node objects). */
  nodes: number;
  /** Nodes of the large lease. */
  lease: number;
  /** Nodes of the reclaimed lease (kwok runs them: one pod each). */
  reclaim: number;
  /** Smaller lease sizes measured for the growth, below `lease`. */
  growth: number[];
}

/** One figure of the run, with its goal; `pass` undefined for a reference figure. */
export interface ScaleFigure {
  /** What was measured. */
  name: string;
  /** The value. */
  value: number;
  /** Its unit. */
  unit: string;
  /** The goal, in words ("< 60 s"), or "(reference)". */
  goal: string;
  /** Whether the goal is met; undefined for a reference figure. */
  pass?: boolean;
  /** Context printed beside the figure (the load, the deploy's own seconds, per-node costs). */
  detail?: string;
}

/** The sizes from the environment; the issue's by default (10,000-node pool, 8,192-node lease, 1,024-node reclaim). */
export function scaleSizes(env: NodeJS.ProcessEnv = process.env): ScaleSizes {
  const int = (name: string, dflt: number): number => {
    const v = env[name];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a whole number of nodes, 1 or more, got ${JSON.stringify(v)}`);
    return n;
  };
  const nodes = int("LEASEHOLD_BENCH_SCALE_NODES", 10_000);
  const lease = int("LEASEHOLD_BENCH_SCALE_LEASE", 8_192);
  const reclaim = int("LEASEHOLD_BENCH_SCALE_RECLAIM", 1_024);
  if (lease + reclaim > nodes)
    throw new Error(
      `LEASEHOLD_BENCH_SCALE_LEASE + LEASEHOLD_BENCH_SCALE_RECLAIM (${lease} + ${reclaim}) must fit in the pool of ${nodes} nodes`,
    );
  const growthEnv = env.LEASEHOLD_BENCH_SCALE_GROWTH;
  const growth = (
    growthEnv ? growthEnv.split(",").map(Number) : lease >= 8_192 ? [1_000, 4_096] : [Math.round(lease / 8), Math.round(lease / 2)]
  ).filter((n) => Number.isInteger(n) && n >= 1 && n < lease);
  return { nodes, lease, reclaim, growth: [...new Set(growth)].sort((a, b) => a - b) };
}

/** The GPU type of the pool. */
const GPU_TYPE = "h100-80gb";
const POOL = "h100-s";
const PLATFORM = "platform-scale";

/**
 * kwok's node Lease duration on the bench's control plane, seconds. The node lifecycle controller
 * marks a node whose kubelet has not been heard of for this + 10 s NotReady and taints it; the
 * plain Node objects here have no kubelet (they register Ready, as a kubelet would, and carry no
 * pods), so the grace must outlast the run, or the controller's own taint writes on thousands of
 * nodes would land in the middle of the figures. The kwok nodes renew every quarter of it.
 */
const NODE_LEASE_SECONDS = "7200";

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
/** The first of month `m` of 2027 (months past December roll into 2028). */
const month = (m: number, day = 1) => Date.UTC(2027, m, day);

function seconds(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Wall seconds of an async function. */
async function secondsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The 1-minute load average, and the machine's cores, as printed beside each figure. */
const load = () => `load ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores`;

/** Runs a command without blocking the event loop; rejects with its output when it fails. */
function shAsync(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; input?: string; allowFail?: boolean }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (err = (err + String(d)).slice(-4000)));
    child.on("close", (code) =>
      code === 0 || opts.allowFail ? resolve(out) : reject(new Error(`${cmd} ${args.slice(0, 6).join(" ")} ... exited ${code}: ${err}`)),
    );
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * A pool node as its kubelet registers it: the capacity of one node of the GPU type (the catalog's
 * per-GPU CPU, memory and storage times its GPUs, as registerPoolNodes gives them) and the idle
 * tenant taint (`--register-with-taints`). A `kwok` node is annotated for kwok, which plays its
 * kubelet (Ready, a node Lease, the pods bound to it); any other is a plain object that registers
 * Ready and is never heard of again: no kubelet's CPU for nodes that run nothing.
 */
function poolNode(name: string, kwok: boolean, now: string): object {
  const t = BUILTIN_CATALOG[GPU_TYPE]!;
  const per = (v: string) => formatQuantity(scaleQuantity(parseQuantity(v), t.gpusPerNode));
  const capacity = {
    [gpuResourceOf(t)]: String(t.gpusPerNode),
    cpu: per(t.perGpu.cpu),
    memory: per(t.perGpu.memory),
    "ephemeral-storage": per(t.perGpu.storage),
    pods: "110",
  };
  const ready = { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: kwok ? { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" } : {},
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        ...(kwok ? { type: "kwok" } : {}),
      },
    },
    spec: { taints: [IDLE_TAINT] },
    status: {
      capacity,
      allocatable: capacity,
      ...(kwok ? {} : { conditions: [{ ...ready, lastHeartbeatTime: now, lastTransitionTime: now }] }),
    },
  };
}

/** Every node's Ready status and taint keys (one chunked LIST through kubectl). */
function nodeStates(kenv: NodeJS.ProcessEnv): { name: string; ready: boolean; taints: string[]; tenant: string }[] {
  const tenant = `{.metadata.labels.${LABELS.tenant.replace(/\./g, "\\.")}}`;
  const jsonpath = `{range .items[*]}{.metadata.name}{"\\t"}{.status.conditions[?(@.type=="Ready")].status}{"\\t"}{.spec.taints[*].key}{"\\t"}${tenant}{"\\n"}{end}`;
  return sh("kubectl", ["get", "nodes", "--chunk-size=1000", "-o", `jsonpath=${jsonpath}`], { env: kenv })
    .stdout.split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name = "", ready = "", taints = "", tenant = ""] = line.split("\t");
      return { name, ready: ready === "True", taints: taints.split(" ").filter(Boolean), tenant };
    });
}

/** The pods of a namespace: node and phase (kubectl, JSONPath). */
function podStates(kenv: NodeJS.ProcessEnv, ns: string): { node: string; phase: string; deleting: boolean }[] {
  const jsonpath = `{range .items[*]}{.spec.nodeName}{"\\t"}{.status.phase}{"\\t"}{.metadata.deletionTimestamp}{"\\n"}{end}`;
  return sh("kubectl", ["get", "pods", "-n", ns, "--chunk-size=1000", "-o", `jsonpath=${jsonpath}`], { env: kenv })
    .stdout.split("\n")
    .filter(Boolean)
    .map((line) => {
      const [node = "", phase = "", deletion = ""] = line.split("\t");
      return { node, phase, deleting: deletion !== "" };
    });
}

/** Polls `check` until it returns true; the seconds it took, or throws after `timeoutMs` with `status()`. */
function until(what: string, check: () => boolean, timeoutMs: number, pollMs: number, status: () => string = () => ""): number {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`bench: timed out after ${timeoutMs / 1000} s waiting for ${what}${status() ? ` (${status()})` : ""}`);
    sh("sleep", [String(pollMs / 1000)]);
  }
  return (Date.now() - t0) / 1000;
}

/** A tenant stack file with one lease of whole nodes. */
function tenantStack(tenant: string, lease: { id: string; start: number; end: number; nodes: string; gpus: number }): string {
  return stringify({
    config: {
      "leasehold:role": "tenant",
      "leasehold:platform": PLATFORM,
      "leasehold:tenant": { name: tenant, access: { admins: [`${tenant}:admins`], viewers: [] } },
      "leasehold:leases": [
        {
          id: lease.id,
          gpu: { type: GPU_TYPE, count: lease.gpus },
          window: { start: iso(lease.start), end: iso(lease.end) },
          placement: { pool: POOL, nodes: lease.nodes },
          reclaim: { noticeHours: 72 },
        },
      ],
    },
  });
}

/**
 * Runs the scale bench against a control plane of its own (started here, always stopped), and
 * hands each figure to `emit` as soon as it is measured, so that a run that stops part way still
 * shows what it measured. Throws when a step fails (the figures so far were emitted).
 */
export async function scaleBench(
  PATH: string,
  sizes: ScaleSizes,
  emit: (f: ScaleFigure) => void,
  log: (s: string) => void = () => {},
): Promise<void> {
  const gpusPerNode = BUILTIN_CATALOG[GPU_TYPE]!.gpusPerNode;
  const width = Math.max(5, String(sizes.nodes).length);
  const nodeName = (i: number) => `gpu-${String(i).padStart(width, "0")}`;
  const hostlist = (first: number, last: number) => `gpu-[${String(first).padStart(width, "0")}-${String(last).padStart(width, "0")}]`;
  const names = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, k) => nodeName(first + k));
  const n = (x: number) => x.toLocaleString("en");
  // Node ranges: the large lease (and the growth's smaller ones) from the pool's first node, the
  // reclaimed lease right after it (the only nodes kwok runs), the rest idle.
  const reclaimFirst = sizes.lease + 1;
  const reclaimLast = sizes.lease + sizes.reclaim;

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-scale-"));
  const state = path.join(work, "controlplane");
  const base = { ...process.env, PATH };
  const nodeLease = process.env.LEASEHOLD_BENCH_NODE_LEASE_SECONDS ?? NODE_LEASE_SECONDS;
  log(`uptime: ${sh("uptime", []).stdout.trim()}`);
  log(`control plane of its own in ${state} (kwok node leases of ${nodeLease} s)`);
  const kubeconfig = controlPlaneUp(state, { ...base, LEASEHOLD_NODE_LEASE_SECONDS: nodeLease });
  const kenv = { ...base, KUBECONFIG: kubeconfig };
  try {
    // ---- the pool's Node objects, in bulk -------------------------------------------------
    const now = iso(Date.now() - (Date.now() % 1000));
    const all = Array.from({ length: sizes.nodes }, (_, k) => k + 1).map((i) =>
      poolNode(nodeName(i), i >= reclaimFirst && i <= reclaimLast, now),
    );
    log(`creating ${n(sizes.nodes)} Node objects (${n(sizes.reclaim)} of them kwok's), kubectl create of Lists of 1,000, 4 at a time`);
    const created = process.hrtime.bigint();
    const lists = chunks(all, 1_000);
    let nextList = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (nextList < lists.length) {
          const items = lists[nextList++]!;
          await shAsync("kubectl", ["create", "-f", "-", "-o", "name"], {
            env: kenv,
            input: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
          });
        }
      }),
    );
    const createSeconds = Number(process.hrtime.bigint() - created) / 1e9;
    // The API server puts node.kubernetes.io/not-ready on every new node, and the node lifecycle
    // controller lifts it once the node is Ready (the plain ones from their status, kwok's once
    // kwok has marked them): two requests a node under the controller manager's client limit of
    // 20 per second, 10 nodes a second, 17 minutes for 10,000. The bench lifts it itself from the
    // nodes already Ready (kubectl taint, 125 nodes to a command, 32 commands at a time: kubectl
    // throttles itself to about 10 requests a second): the same end state, before any figure, so
    // that no controller write lands in the middle of one.
    const settled = process.hrtime.bigint();
    const settleLimit = Math.max(300, sizes.nodes * 0.06);
    for (;;) {
      const s = nodeStates(kenv);
      const stuck = s.filter((x) => x.ready && x.taints.includes("node.kubernetes.io/not-ready")).map((x) => x.name);
      const waiting = s.filter((x) => !x.ready || x.taints.some((t) => t.startsWith("node.kubernetes.io/")));
      if (s.length === sizes.nodes && waiting.length === 0) break;
      if (Number(process.hrtime.bigint() - settled) / 1e9 > settleLimit)
        throw new Error(
          `nodes not Ready, or still tainted node.kubernetes.io/*, after ${settleLimit} s: ${waiting.length} of ${s.length} (first: ${waiting[0]?.name} ${waiting[0]?.taints.join(",")})`,
        );
      // "Not found" on a node the controller got to first: kubectl goes on with the others.
      await eachLimited(chunks(stuck, 125), 32, (b) =>
        shAsync("kubectl", ["taint", "nodes", ...b, "node.kubernetes.io/not-ready:NoSchedule-"], { env: kenv, allowFail: true }).then(
          () => undefined,
        ),
      );
      if (stuck.length === 0) sh("sleep", ["2"]);
    }
    const settle = Number(process.hrtime.bigint() - settled) / 1e9;
    emit({
      name: `${n(sizes.nodes)} Node objects created (kubectl create)`,
      value: createSeconds,
      unit: "s",
      goal: "(reference)",
      detail: `all Ready and without the not-ready taint ${settle.toFixed(0)} s later; ${load()}`,
    });

    // ---- the project and its stacks ------------------------------------------------------
    const stacksIn = path.join(work, "stacks-in");
    fs.mkdirSync(stacksIn);
    fs.writeFileSync(
      path.join(stacksIn, `Pulumi.${PLATFORM}.yaml`),
      stringify({
        config: {
          "leasehold:role": "platform",
          "leasehold:cluster": { provider: "existing" },
          "leasehold:pools": [{ name: POOL, gpuType: GPU_TYPE, nodes: hostlist(1, sizes.nodes) }],
        },
      }),
    );
    // Each growth tenant leases its nodes for a month of its own (January, February, ...), the
    // large lease the month after, and the reclaimed lease the whole time on its own nodes: no
    // two leases hold a node at once.
    const growth = sizes.growth.map((size, k) => ({ size, tenant: `grow-${size}`, start: month(k), end: month(k + 1) }));
    const big = { size: sizes.lease, tenant: "scale", start: month(growth.length), end: month(growth.length + 1) };
    for (const g of [...growth, big])
      fs.writeFileSync(
        path.join(stacksIn, `Pulumi.tenant-${g.tenant}.yaml`),
        tenantStack(g.tenant, { id: `${g.tenant}-l0`, start: g.start, end: g.end, nodes: hostlist(1, g.size), gpus: g.size * gpusPerNode }),
      );
    const reclaimT = { tenant: "reclaim", start: month(0), end: month(24) };
    fs.writeFileSync(
      path.join(stacksIn, `Pulumi.tenant-${reclaimT.tenant}.yaml`),
      tenantStack(reclaimT.tenant, {
        id: `${reclaimT.tenant}-l0`,
        start: reclaimT.start,
        end: reclaimT.end,
        nodes: hostlist(reclaimFirst, reclaimLast),
        gpus: sizes.reclaim * gpusPerNode,
      }),
    );
    const project = path.join(work, "project");
    syncProject(project, stacksIn);
    const stacksDir = path.join(project, "stacks");
    const env = pulumiEnv(kenv, path.join(work, "pulumi-home"), "bench");
    const backend = path.join(work, "state");

    /** `leasehold up` of one stack at an instant (LEASEHOLD_AT): wall time of the CLI, and its own report. */
    const up = (stack: string, at: number): { seconds: number; stackSeconds: number; changes: string } => {
      ensureStack(project, env, backend, stack);
      let r: ReturnType<typeof sh> = { code: -1, stdout: "", stderr: "" };
      const wall = seconds(() => {
        r = sh(process.execPath, [path.join(ROOT, "bin/leasehold.js"), "up", "--stack", stack, "--stacks", stacksDir, "--json"], {
          cwd: project,
          env: { ...env, LEASEHOLD_AT: iso(at) },
          allowFail: true,
        });
      });
      let report: { stacks?: { stack: string; result: string; seconds: number; changes?: Record<string, number>; message?: string }[] } =
        {};
      try {
        report = JSON.parse(r.stdout);
      } catch {
        // Reported below with the output.
      }
      const mine = report.stacks?.find((s) => s.stack === stack);
      if (r.code !== 0 || mine?.result !== "succeeded")
        throw new Error(
          `leasehold up --stack ${stack} at ${iso(at)} exited ${r.code} (${mine?.result ?? "no report"}): ${mine?.message ?? ""}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
        );
      const changes = Object.entries(mine.changes ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      return { seconds: wall, stackSeconds: mine.seconds, changes };
    };
    // LEASEHOLD_BENCH_SCALE_EXPORTS=<folder> keeps each checkpoint measured there, for a look at what fills it.
    const checkpointBytes = (stack: string) => {
      const exported = pulumi(project, env, ["stack", "export", "--stack", stack]).stdout;
      const keep = process.env.LEASEHOLD_BENCH_SCALE_EXPORTS;
      if (keep) {
        fs.mkdirSync(keep, { recursive: true });
        fs.writeFileSync(path.join(keep, `${stack}.json`), exported);
      }
      return Buffer.byteLength(exported);
    };
    const detailOf = (u: { stackSeconds: number; changes: string }) =>
      `the stack's own ${u.stackSeconds.toFixed(1)} s; ${u.changes || "no changes"}; ${load()}`;

    // ---- platform up ----------------------------------------------------------------------
    log(`leasehold up --stack ${PLATFORM}: pool ${POOL} of ${n(sizes.nodes)} nodes (${hostlist(1, sizes.nodes)})`);
    const platform = up(PLATFORM, month(0, 1));
    emit({
      name: `platform up: pool of ${n(sizes.nodes)} nodes`,
      value: platform.seconds,
      unit: "s",
      goal: "(reference)",
      detail: detailOf(platform),
    });
    const platformBytes = checkpointBytes(PLATFORM);
    emit({ name: `platform checkpoint (${n(sizes.nodes)} pool nodes)`, value: platformBytes, unit: "B", goal: "(reference)" });

    // ---- the reclaimed lease's first deploy (its pods come later; it also warms the caches of
    // a tenant's first deploy, so that the growth's smallest size does not carry them) --------
    const ns = reclaimT.tenant;
    const reclaimStack = `tenant-${ns}`;
    log(`leasehold up --stack ${reclaimStack}: a lease of ${n(sizes.reclaim)} kwok nodes (${hostlist(reclaimFirst, reclaimLast)})`);
    const reclaimUp = up(reclaimStack, reclaimT.start + 14 * 86_400_000);
    emit({
      name: `lease up: ${n(sizes.reclaim)} kwok nodes (the reclaim's)`,
      value: reclaimUp.seconds,
      unit: "s",
      goal: "(reference)",
      detail: `${((reclaimUp.seconds / sizes.reclaim) * 1000).toFixed(2)} ms per node; ${detailOf(reclaimUp)}`,
    });

    // ---- the growth: the lease's first deploy at smaller sizes, then its end ---------------
    const upAt: { size: number; seconds: number }[] = [];
    for (const g of growth) {
      log(`leasehold up --stack tenant-${g.tenant}: a lease of ${n(g.size)} nodes (first deploy), then its end`);
      const u = up(`tenant-${g.tenant}`, g.start + 14 * 86_400_000);
      upAt.push({ size: g.size, seconds: u.seconds });
      emit({
        name: `lease up: ${n(g.size)} nodes (${n(g.size * gpusPerNode)} GPUs)`,
        value: u.seconds,
        unit: "s",
        goal: "(reference)",
        detail: `${((u.seconds / g.size) * 1000).toFixed(2)} ms per node; ${detailOf(u)}`,
      });
      const e = up(`tenant-${g.tenant}`, g.end + 14 * 86_400_000);
      emit({
        name: `lease end: ${n(g.size)} nodes`,
        value: e.seconds,
        unit: "s",
        goal: "(reference)",
        detail: `${((e.seconds / g.size) * 1000).toFixed(2)} ms per node; ${detailOf(e)}`,
      });
    }

    // ---- the large lease: up, no-op, checkpoint, end -------------------------------------
    const bigStack = `tenant-${big.tenant}`;
    const bigAt = big.start + 14 * 86_400_000;
    log(
      `leasehold up --stack ${bigStack}: a lease of ${n(sizes.lease)} nodes, ${n(sizes.lease * gpusPerNode)} GPUs (${hostlist(1, sizes.lease)})`,
    );
    const leaseUp = up(bigStack, bigAt);
    upAt.push({ size: sizes.lease, seconds: leaseUp.seconds });
    emit({
      name: `lease up: ${n(sizes.lease)} nodes (${n(sizes.lease * gpusPerNode)} GPUs)`,
      value: leaseUp.seconds,
      unit: "s",
      goal: "< 60 s",
      pass: leaseUp.seconds < 60,
      detail: `${((leaseUp.seconds / sizes.lease) * 1000).toFixed(2)} ms per node; ${detailOf(leaseUp)}`,
    });
    const held = nodeStates(kenv).filter((x) => x.tenant === big.tenant).length;
    if (held !== sizes.lease)
      throw new Error(`after the lease's deploy, ${held} nodes carry ${LABELS.tenant}=${big.tenant}, not ${sizes.lease}`);
    log(`check: ${n(held)} nodes labelled ${LABELS.tenant}=${big.tenant}`);
    const tenantBytes = checkpointBytes(bigStack);
    emit({
      name: `tenant checkpoint (a lease of ${n(sizes.lease)} nodes)`,
      value: tenantBytes,
      unit: "B",
      goal: "< 1 MB (1,048,576 B)",
      pass: tenantBytes < 2 ** 20,
      detail: `${(tenantBytes / sizes.lease).toFixed(1)} B per node`,
    });
    log(`leasehold up --stack ${bigStack} again (no-op)`);
    const noop = up(bigStack, bigAt);
    emit({
      name: `no-op: the ${n(sizes.lease)}-node lease again`,
      value: noop.seconds,
      unit: "s",
      goal: "< 10 s",
      pass: noop.seconds < 10,
      detail: detailOf(noop),
    });
    log(`leasehold up --stack ${bigStack} after the lease's end (every node released)`);
    const leaseEnd = up(bigStack, big.end + 14 * 86_400_000);
    emit({
      name: `lease end: ${n(sizes.lease)} nodes`,
      value: leaseEnd.seconds,
      unit: "s",
      goal: "(reference)",
      detail: `${((leaseEnd.seconds / sizes.lease) * 1000).toFixed(2)} ms per node; ${detailOf(leaseEnd)}`,
    });

    // What every deploy of a tenant costs whatever its nodes: the same stack again, no lease in force.
    const idleNoop = up(bigStack, big.end + 14 * 86_400_000);
    emit({
      name: `no-op: the same tenant, no lease in force`,
      value: idleNoop.seconds,
      unit: "s",
      goal: "(reference)",
      detail: detailOf(idleNoop),
    });

    // ---- the floor: kubectl, the same writes on the same nodes (released again) ----------
    // Each node is as before the lease's first deploy (pool labels, the idle taint): kubectl
    // labels it for a tenant and its lease, and replaces the idle taint by the tenant's. Node
    // names on the command line, as a hostlist expands. One kubectl writes one node after the
    // other, a GET and a PATCH each, and throttles itself to about 10 requests a second (client
    // side): one command for 8,192 nodes would take half an hour. So the nodes are split into as
    // many commands as leasehold writes nodes at once (LEASEHOLD_NODE_PARALLELISM, 16), all run
    // at the same time (LEASEHOLD_BENCH_SCALE_KUBECTL_PARALLEL to change). leasehold also writes
    // the annotation leasehold.io/lease-start on each node, in the same request.
    const leased = names(1, sizes.lease);
    const kubectlParallel = Number(process.env.LEASEHOLD_BENCH_SCALE_KUBECTL_PARALLEL ?? process.env.LEASEHOLD_NODE_PARALLELISM ?? 16);
    const batches = chunks(leased, Math.ceil(sizes.lease / kubectlParallel));
    const kubectlAll = (args: (b: string[]) => string[]) =>
      secondsAsync(() => eachLimited(batches, kubectlParallel, (b) => shAsync("kubectl", args(b), { env: kenv }).then(() => undefined)));
    log(
      `kubectl label + kubectl taint of the same ${n(sizes.lease)} nodes (${batches.length} commands of ${batches[0]!.length} nodes each, all at once)`,
    );
    const label = await kubectlAll((b) => ["label", "nodes", ...b, `${LABELS.tenant}=floor`, `${LABELS.lease}=floor-l0`, "--overwrite"]);
    const taint = await kubectlAll((b) => ["taint", "nodes", ...b, `${TENANT_TAINT_KEY}=floor:${TENANT_TAINT_EFFECT}`, "--overwrite"]);
    const floor = label + taint;
    emit({
      name: `kubectl label + taint: the same ${n(sizes.lease)} nodes`,
      value: floor,
      unit: "s",
      goal: "(reference)",
      detail: `label ${label.toFixed(1)} s, taint ${taint.toFixed(1)} s; ${batches.length} commands of ${batches[0]!.length} nodes at once, ${(batches[0]!.length / label).toFixed(1)} nodes/s each; ${load()}`,
    });
    emit({
      name: `lease up / kubectl label + taint (${n(sizes.lease)} nodes)`,
      value: leaseUp.seconds / floor,
      unit: "x",
      goal: "<= 3",
      pass: leaseUp.seconds / floor <= 3,
      detail: `${leaseUp.seconds.toFixed(1)} s / ${floor.toFixed(1)} s`,
    });
    // The release by kubectl: the labels off, the idle taint back.
    const unlabel = await kubectlAll((b) => ["label", "nodes", ...b, `${LABELS.tenant}-`, `${LABELS.lease}-`]);
    const untaint = await kubectlAll((b) => ["taint", "nodes", ...b, `${TENANT_TAINT_KEY}=:${TENANT_TAINT_EFFECT}`, "--overwrite"]);
    emit({
      name: `kubectl label - + taint idle: the same ${n(sizes.lease)} nodes`,
      value: unlabel + untaint,
      unit: "s",
      goal: "(reference)",
      detail: `label ${unlabel.toFixed(1)} s, taint ${untaint.toFixed(1)} s; lease end / kubectl: ${(leaseEnd.seconds / (unlabel + untaint)).toFixed(2)} x`,
    });

    // ---- the growth: per-node cost from the smallest size to the largest -----------------
    if (upAt.length >= 2) {
      const first = upAt[0]!;
      const last = upAt[upAt.length - 1]!;
      const perNode = (x: { size: number; seconds: number }) => x.seconds / x.size;
      const growthRatio = perNode(last) / perNode(first);
      const marginal = ((last.seconds - first.seconds) / (last.size - first.size)) * 1000;
      emit({
        name: `lease up growth: per node at ${n(last.size)} / at ${n(first.size)}`,
        value: growthRatio,
        unit: "x",
        goal: "<= 1.5 (linear, not worse)",
        pass: growthRatio <= 1.5,
        detail: `${upAt.map((x) => `${n(x.size)}: ${x.seconds.toFixed(1)} s, ${(perNode(x) * 1000).toFixed(2)} ms/node`).join("; ")}; marginal ${marginal.toFixed(2)} ms per added node`,
      });
    }

    // ---- the reclaim: a lease running one pod per node, its pods gone after the deploy ----
    const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
    const pods = Array.from({ length: sizes.reclaim }, (_, i) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `train-${i}`, namespace: ns },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        nodeSelector: { [LABELS.tenant]: ns },
        tolerations: [{ key: TENANT_TAINT_KEY, operator: "Equal", value: ns, effect: TENANT_TAINT_EFFECT }],
        containers: [
          {
            name: "train",
            image: "registry.example/train:1",
            securityContext: restricted,
            resources: { limits: { [gpuResourceOf(BUILTIN_CATALOG[GPU_TYPE])]: String(gpusPerNode) } },
          },
        ],
      },
    }));
    log(`${n(sizes.reclaim)} pods of ${gpusPerNode} GPUs, created as tenant ${ns} (one per node)`);
    const podsCreated = seconds(() => {
      for (const c of chunks(pods, 256))
        sh("kubectl", ["--as=bench", `--as-group=${ns}:admins`, "create", "-f", "-", "-o", "name"], {
          env: kenv,
          input: JSON.stringify({ apiVersion: "v1", kind: "List", items: c }),
        });
    });
    const reclaimed = new Set(names(reclaimFirst, reclaimLast));
    const running = until(
      `${n(sizes.reclaim)} pods Running`,
      () => {
        const p = podStates(kenv, ns);
        return p.length === sizes.reclaim && p.every((x) => x.phase === "Running" && reclaimed.has(x.node));
      },
      Math.max(300_000, sizes.reclaim * 500),
      1_000,
      () => {
        const p = podStates(kenv, ns);
        return `${p.filter((x) => x.phase === "Running").length} Running, ${p.filter((x) => !x.node).length} unscheduled, of ${p.length}`;
      },
    );
    emit({
      name: `${n(sizes.reclaim)} pods created and Running`,
      value: podsCreated + running,
      unit: "s",
      goal: "(reference)",
      detail: `created ${podsCreated.toFixed(1)} s, Running ${running.toFixed(1)} s later; ${load()}`,
    });
    // A reclaim notice whose effectiveAt has passed at the lease clock's next deploy.
    const file = path.join(stacksDir, `Pulumi.${reclaimStack}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8"));
    const reclaimAt = big.end + 30 * 86_400_000;
    doc.config["leasehold:leases"][0].reclaim.notice = {
      issuedAt: iso(reclaimAt - 9 * 86_400_000),
      effectiveAt: iso(reclaimAt - 4 * 86_400_000),
      reason: "Capacity recalled (scale bench).",
    };
    fs.writeFileSync(file, stringify(doc));
    log(`leasehold up --stack ${reclaimStack} after the reclaim notice's effectiveAt`);
    const reclaimDeploy = up(reclaimStack, reclaimAt);
    const deployed = Date.now();
    // Sampled on the way: how many pods are left, and how many of them are being deleted
    // (deletionTimestamp set: by the deploy itself, or the taint-eviction controller; kwok, as their
    // kubelet, removes them).
    const samples: { t: number; left: number; deleting: number }[] = [];
    let gone = Number.NaN;
    for (;;) {
      const on = podStates(kenv, ns).filter((p) => reclaimed.has(p.node));
      const t = (Date.now() - deployed) / 1000;
      samples.push({ t, left: on.length, deleting: on.filter((p) => p.deleting).length });
      if (on.length === 0) {
        gone = t;
        break;
      }
      if (t > 600) break;
      sh("sleep", ["0.25"]);
    }
    const at = (s: number) => samples.find((x) => x.t >= s) ?? samples[samples.length - 1]!;
    const curve = [5, 15, 30, 60, 120]
      .filter((s) => samples[samples.length - 1]!.t >= s)
      .map((s) => `${at(s).left} left (${at(s).deleting} deleting) at ${s} s`)
      .join(", ");
    // The controller manager's client waits over 1 s (client-side throttling), which client-go logs at most once in 10 s.
    const kcmLog = path.join(state, "logs", "kube-controller-manager.log");
    const throttled = fs.existsSync(kcmLog) ? (fs.readFileSync(kcmLog, "utf8").match(/client-side throttling/g) ?? []).length : 0;
    emit({
      name: `reclaim deploy: ${n(sizes.reclaim)} nodes running a pod each`,
      value: reclaimDeploy.seconds,
      unit: "s",
      goal: "(reference)",
      detail: detailOf(reclaimDeploy),
    });
    // The deploy deletes the pods the reclaim evicts itself (components/node-set-runtime.ts). Left to
    // the taint-eviction controller, they would go no faster than its floor: its client makes 3
    // calls per pod it evicts (GET, a PATCH of the DisruptionTarget condition, DELETE:
    // pkg/controller/tainteviction, Kubernetes 1.34), at the controller manager's --kube-api-qps
    // (Kubernetes' default 20), its first --kube-api-burst calls (default 30) at once.
    const qps = Number(process.env.LEASEHOLD_KCM_API_QPS || 20);
    const burst = Number(process.env.LEASEHOLD_KCM_API_BURST || 30);
    const evictionFloor = Math.max(0, 3 * sizes.reclaim - burst) / qps;
    emit({
      name: `reclaim: the ${n(sizes.reclaim)} pods gone after the deploy (kube-controller-manager at ${qps} QPS)`,
      value: Number.isNaN(gone) ? samples[samples.length - 1]!.t : gone,
      unit: "s",
      goal: "< 60 s",
      pass: gone < 60,
      detail: `${Number.isNaN(gone) ? `still ${samples[samples.length - 1]!.left} pods after 600 s; ` : ""}at the deploy's end ${samples[0]!.left} left (${samples[0]!.deleting} deleting); ${curve || "all gone within 5 s"}; ${(sizes.reclaim / (Number.isNaN(gone) ? 600 : gone)).toFixed(1)} pods/s; ${(reclaimDeploy.seconds + (Number.isNaN(gone) ? 600 : gone)).toFixed(1)} s from the deploy's start; the taint-eviction controller alone: at least ${evictionFloor.toFixed(1)} s (its floor at ${qps} QPS, burst ${burst}, 3 calls per pod); kube-controller-manager log: ${throttled} client-side throttling lines in the run (a wait over 1 s, at most one per 10 s); ${load()}`,
    });

    // The plain nodes stayed Ready through the run: no node lifecycle controller taint landed in it.
    const marked = nodeStates(kenv).filter((x) => !x.ready || x.taints.some((t) => t.startsWith("node.kubernetes.io/")));
    log(
      marked.length === 0
        ? `check: every node still Ready, no node.kubernetes.io taint (uptime: ${sh("uptime", []).stdout.trim()})`
        : `WARNING: ${marked.length} nodes NotReady or tainted by the node lifecycle controller during the run (first: ${marked[0]!.name} ${marked[0]!.taints.join(",")})`,
    );
  } finally {
    // LEASEHOLD_BENCH_SCALE_KEEP=1 leaves the control plane running and the project in place, for a
    // look at a deploy of this size by hand (scripts/controlplane/down.sh stops it).
    if (process.env.LEASEHOLD_BENCH_SCALE_KEEP === "1")
      log(
        `kept: KUBECONFIG=${kubeconfig}, the project in ${path.join(work, "project")}, Pulumi's state in ${path.join(work, "state")}; stop with LEASEHOLD_CONTROLPLANE_DIR=${state} scripts/controlplane/down.sh`,
      );
    else {
      controlPlaneDown(state, base);
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}
