import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeNodeApi, type FakePod } from "./fake-node-api";
import { toleratesTaint, type Taint, type Toleration } from "../../lease/node-taints";
import {
  NODE_SET_RUNTIME,
  poolNodesProvider,
  tenantNodesProvider,
  type LeaseClaim,
  type TenantNodesInputs,
  type TenantNodesState,
} from "../../components/node-set-runtime";

// Attacks on the pod eviction a tenant deploy does when nodes leave a tenant (commit 27c0c62:
// components/node-set-runtime.ts evictPods, lease/node-ownership.ts evictingTaints,
// lease/node-taints.ts toleratesTaint), as a hostile tenant, a careless landlord, a lying or
// flaky API server, and a reviewer holding it against Kubernetes' taint-eviction controller
// (k8s.io/kubernetes v1.34.4 pkg/controller/tainteviction) would try it. Tests that hold assert the
// right behaviour; the ones whose comment says "Was BROKEN" found a defect, fixed since (the
// comment says what the runtime did before).

const api = new FakeNodeApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => api.reset());
const savedParallelism = process.env.LEASEHOLD_NODE_PARALLELISM;
afterEach(() => {
  if (savedParallelism === undefined) delete process.env.LEASEHOLD_NODE_PARALLELISM;
  else process.env.LEASEHOLD_NODE_PARALLELISM = savedParallelism;
});

const TENANT = "leasehold.io/tenant";
const LEGACY = "leasehold.io/lease";
const notReady: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule", timeAdded: "2027-01-01T00:00:00Z" };
const gpuHealth: Taint = { key: "nvidia.com/gpu-health", value: "xid-79", effect: "NoExecute", timeAdded: "2027-01-03T00:00:00Z" };
/** A tenant entry as the API server returns it (the idle value omitted). */
const entry = (tenant: string, effect: Taint["effect"] = "NoExecute"): Taint =>
  tenant === "" ? { key: TENANT, effect } : { key: TENANT, value: tenant, effect };
const idle = entry("");
const legacy = (lease: string): Taint =>
  lease === "" ? { key: LEGACY, effect: "NoExecute" } : { key: LEGACY, value: lease, effect: "NoExecute" };
const Q1 = "2027-01-01T00:00:00Z";
const Q2 = "2027-04-01T00:00:00Z";
const LOADER = `exports.handler = /* loads ${NODE_SET_RUNTIME} */`;

const gpu = (i: number, width = 3) => `gpu-${String(i).padStart(width, "0")}`;
const range = (from: number, to: number, width = 3) => Array.from({ length: to - from + 1 }, (_, i) => gpu(from + i, width));
/** Pooled nodes, as PoolNodes left them: the pool label, the not-ready taint and the idle entry. */
function pooled(names: string[], taints: Taint[] = [notReady, idle]): void {
  for (const n of names) api.add(n, { labels: { "kubernetes.io/hostname": n, "leasehold.io/pool": "h100" }, taints });
}
/** A node a tenant's earlier deploy holds (an Apply by the tenant's field manager). */
const held = (name: string, tenant: string, lease: string, start: string, taints: Taint[]) =>
  api.add(
    name,
    {
      labels: { "leasehold.io/pool": "h100", "leasehold.io/tenant": tenant, "leasehold.io/lease": lease },
      annotations: { "leasehold.io/lease-start": start },
      taints,
    },
    `leasehold-nodes-${tenant}`,
    "Apply",
  );

const claim = (lease: string, start: string, nodes: string[]): LeaseClaim => ({ lease, start, nodes });
const tenantInputs = (tenant: string, claims: LeaseClaim[], over: Partial<TenantNodesInputs> = {}): TenantNodesInputs =>
  ({
    kubeconfig: api.kubeconfig(),
    tenant,
    fieldManager: `leasehold-nodes-${tenant}`,
    claims,
    __provider: LOADER,
    ...over,
  }) as TenantNodesInputs;
const acme = (claims: LeaseClaim[]) => tenantInputs("acme", claims);
const bluefin = (claims: LeaseClaim[]) => tenantInputs("bluefin", claims);
const stateOf = (inputs: TenantNodesInputs): TenantNodesState => ({ ...inputs, yielded: [], conforming: true });
async function created(inputs: TenantNodesInputs): Promise<TenantNodesState> {
  return (await tenantNodesProvider.create(inputs)).outs!;
}
const failureOf = async (p: Promise<unknown>): Promise<Error> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
};

const ofAcme: Toleration = { key: TENANT, operator: "Equal", value: "acme", effect: "NoExecute" };
const ofBluefin: Toleration = { key: TENANT, operator: "Equal", value: "bluefin", effect: "NoExecute" };
const podCalls = () => api.seen.filter((s) => s.path.includes("/pods"));
const podLists = () => api.seen.filter((s) => s.method === "GET" && s.path === "/api/v1/pods");
const podWrites = () => api.seen.filter((s) => s.path.includes("/namespaces/") && s.method !== "GET");
const deleted = () => api.deletedPods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
const remaining = () => [...api.pods.keys()].sort();
/** A Kubernetes Status answer. */
const statusBody = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code,
});
/** The node a pod LIST asks for (the fault hook runs while the fake answers that request, which it recorded last). */
const listedNode = () => /^spec\.nodeName=(.+)$/.exec(api.seen.at(-1)!.query.get("fieldSelector") ?? "")?.[1];
/** acme holding `nodes` under lease acme-q1 (created by its own stack), and that state. */
async function acmeHolds(nodes: string[]): Promise<TenantNodesState> {
  pooled(nodes);
  return created(acme([claim("acme-q1", Q1, nodes)]));
}

/**
 * Kubernetes' own decision, transcribed from Go for the test's oracle (k8s.io/api v0.34.4
 * core/v1 toleration.go ToleratesTaint; k8s.io/kubernetes v1.34.4 v1helper.GetMatchingTolerations
 * and tainteviction's getMinTolerationTime): whether the taint-eviction controller deletes the pod
 * at once given the node's NoExecute taints.
 */
function goToleratesTaint(t: Toleration, taint: Taint): boolean {
  if ((t.effect ?? "").length > 0 && t.effect !== taint.effect) return false;
  if ((t.key ?? "").length > 0 && t.key !== taint.key) return false;
  switch (t.operator ?? "") {
    case "":
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}
function controllerDeletesNow(tolerations: readonly Toleration[], nodeTaints: readonly Taint[]): boolean {
  const taints = nodeTaints.filter((t) => t.effect === "NoExecute");
  if (taints.length === 0) return false;
  const used: Toleration[] = [];
  for (const taint of taints) {
    const first = tolerations.find((t) => goToleratesTaint(t, taint));
    if (!first) return true;
    used.push(first);
  }
  return used.some((t) => t.tolerationSeconds !== undefined && t.tolerationSeconds <= 0);
}

describe("toleratesTaint against Kubernetes' Toleration.ToleratesTaint", () => {
  // The whole function was also run against Go's (k8s.io/api v0.34.4, compiled offline) over a
  // generated corpus: 172,800 toleration × taint pairs (keys "", absent, the tenant key, the legacy
  // key, another; operators absent, "", Equal, Exists, Gt, Lt, exists, equal; values absent, "",
  // acme, bluefin, Acme; effects absent, "", the three, noexecute; tolerationSeconds absent, 0, -1,
  // 600) and 20,000 random sets through v1helper.GetMatchingTolerations against the runtime's
  // `taints.every(t => tolerations.some(tol => toleratesTaint(tol, t)))`: no difference. Below, the
  // cases of that corpus that surprise (HELD).
  it.each([
    ["an empty toleration {} tolerates every empty-valued taint (Equal with key ''): the idle entry too", {}, idle, true],
    ["an empty toleration {} does not tolerate acme's entry", {}, entry("acme"), false],
    ["a key-only toleration is Equal with value '': the idle entry only", { key: TENANT }, idle, true],
    ["a key-only toleration does not tolerate acme's entry", { key: TENANT }, entry("acme"), false],
    ["an empty effect matches NoExecute", { key: TENANT, operator: "Exists", effect: "" }, entry("acme"), true],
    ["Exists with no key tolerates every taint", { operator: "Exists" }, entry("bluefin"), true],
    ["Exists with effect NoSchedule does not tolerate a NoExecute taint", { operator: "Exists", effect: "NoSchedule" }, idle, false],
    ["operator names are case-sensitive ('exists' matches nothing)", { key: TENANT, operator: "exists" }, idle, false],
    ["values are case-sensitive", { key: TENANT, value: "Acme" }, entry("acme"), false],
    ["Gt (a v1.35 operator) matches nothing in v1.34", { key: TENANT, operator: "Gt", value: "0" }, entry("1"), false],
    ["effects are case-sensitive", { key: TENANT, operator: "Exists", effect: "noexecute" }, idle, false],
    ["tolerationSeconds does not change whether it tolerates", { key: TENANT, operator: "Exists", tolerationSeconds: -1 }, idle, true],
    ["a value given to Exists is ignored", { key: TENANT, operator: "Exists", value: "zzz" }, entry("acme"), true],
    ["the legacy key's toleration does not tolerate the tenant key", { key: LEGACY, operator: "Exists" }, entry("bluefin"), false],
  ] as [string, Toleration, Taint, boolean][])("%s", (_, toleration, taint, want) => {
    expect(toleratesTaint(toleration, taint)).toBe(want);
    expect(goToleratesTaint(toleration, taint)).toBe(want);
  });

  it("agrees with the Go transcription on every combination of a small corpus (HELD)", () => {
    const opt = <T>(xs: T[]) => [undefined, ...xs];
    const tolerations: Toleration[] = [];
    for (const key of opt(["", TENANT, LEGACY]))
      for (const operator of opt(["", "Equal", "Exists", "Lt"]))
        for (const value of opt(["", "acme"]))
          for (const effect of opt(["", "NoExecute", "NoSchedule"]))
            tolerations.push({
              ...(key === undefined ? {} : { key }),
              ...(operator === undefined ? {} : { operator }),
              ...(value === undefined ? {} : { value }),
              ...(effect === undefined ? {} : { effect }),
            });
    const taints: Taint[] = [idle, entry("acme"), { ...idle, value: "" }, legacy("acme-q1"), entry("acme", "NoSchedule"), gpuHealth];
    for (const tol of tolerations)
      for (const t of taints) expect([tol, t, toleratesTaint(tol, t)]).toEqual([tol, t, goToleratesTaint(tol, t)]);
  });
});

describe("pods that must never be deleted, and pods that must go", () => {
  it("a release keeps every landlord pod that tolerates the idle entry and deletes every tenant pod that does not (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    const keep: [string, Toleration[]][] = [
      ["device-plugin", [{ operator: "Exists" }]],
      ["dcgm", [{ key: TENANT, operator: "Exists", effect: "NoExecute" }]],
      ["node-exporter", [{ key: TENANT, operator: "Exists" }]],
      ["empty-effect", [{ key: TENANT, operator: "Exists", effect: "" }]],
      // kubelet's static pods: every NoExecute taint.
      ["static", [{ operator: "Exists", effect: "NoExecute" }]],
      // A NoExecute toleration for a while: the controller's clock, not the deploy's.
      ["for-a-while", [{ key: TENANT, operator: "Exists", effect: "NoExecute", tolerationSeconds: 3600 }]],
      ["for-no-time", [{ key: TENANT, operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 }]],
      // acme's value and the idle value both: tolerates the release (admission refuses it to a tenant).
      ["both-values", [ofAcme, { key: TENANT, operator: "Equal", value: "", effect: "NoExecute" }]],
    ];
    const go: [string, Toleration[]][] = [
      ["acme-job", [ofAcme]],
      ["acme-empty-effect", [{ key: TENANT, value: "acme" }]],
      ["acme-exists-noschedule", [ofAcme, { key: TENANT, operator: "Exists", effect: "NoSchedule" }]],
      ["acme-prefer", [ofAcme, { operator: "Exists", effect: "PreferNoSchedule" }]],
      ["acme-legacy-too", [ofAcme, { key: LEGACY, operator: "Exists" }]],
    ];
    for (const [name, tolerations] of keep) api.addPod("kube-system", name, "gpu-001", tolerations);
    for (const [name, tolerations] of go) api.addPod("tenant-acme", name, "gpu-001", tolerations);
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(deleted()).toEqual(go.map(([n]) => `tenant-acme/${n}`).sort());
    expect(remaining()).toEqual(keep.map(([n]) => `kube-system/${n}`).sort());
    // Kubernetes would delete the same ones at once, and for-no-time on its own clock (0 s).
    for (const [name, tolerations] of [...keep, ...go])
      expect([name, controllerDeletesNow(tolerations, api.taints("gpu-001"))]).toEqual([
        name,
        go.some(([n]) => n === name) || name === "for-no-time",
      ]);
  });

  it("a handover to bluefin deletes the landlord pod that tolerated only the values it saw (acme's and idle), keeps the catch-alls (HELD)", async () => {
    pooled(["gpu-001"]);
    await created(acme([claim("acme-q1", Q1, ["gpu-001"])]));
    api.addPod("kube-system", "catch-all", "gpu-001", [{ operator: "Exists" }]);
    api.addPod("kube-system", "two-values", "gpu-001", [ofAcme, { key: TENANT }]);
    api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
    await tenantNodesProvider.create(bluefin([claim("bluefin-q2", Q2, ["gpu-001"])]));
    expect(deleted()).toEqual(["kube-system/two-values", "tenant-acme/job"]);
    expect(remaining()).toEqual(["kube-system/catch-all"]);
  });

  it("a pod already terminating is neither patched nor deleted again; one whose DisruptionTarget is already True is deleted without a patch (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    const leaving = api.addPod("tenant-acme", "leaving", "gpu-001", [ofAcme]);
    leaving.metadata.deletionTimestamp = "2027-01-05T00:00:00Z";
    const preempted = api.addPod("tenant-acme", "preempted", "gpu-001", [ofAcme]);
    preempted.status.conditions.push({ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" });
    const notYet = api.addPod("tenant-acme", "false-condition", "gpu-001", [ofAcme]);
    notYet.status.conditions.push({ type: "DisruptionTarget", status: "False", reason: "Whatever" });
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(deleted()).toEqual(["tenant-acme/false-condition", "tenant-acme/preempted"]);
    expect(remaining()).toEqual(["tenant-acme/leaving"]);
    // In list order: leaving skipped, preempted deleted at once, false-condition patched, then deleted.
    expect(podWrites().map((s) => `${s.method} ${s.path}`)).toEqual([
      "DELETE /api/v1/namespaces/tenant-acme/pods/preempted",
      "PATCH /api/v1/namespaces/tenant-acme/pods/false-condition/status",
      "DELETE /api/v1/namespaces/tenant-acme/pods/false-condition",
    ]);
    // The scheduler's reason stays (the controller would rewrite it to its own: a minor difference).
    expect(api.deletedPods.find((p) => p.metadata.name === "preempted")!.status.conditions).toEqual([
      { type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" },
    ]);
    expect(api.deletedPods.find((p) => p.metadata.name === "false-condition")!.status.conditions).toEqual([
      expect.objectContaining({ type: "DisruptionTarget", status: "True", reason: "DeletionByLeasehold" }),
    ]);
  });

  it("pods named with the odd characters a DNS subdomain allows go to their own URL, dots and 253 characters included (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
    expect(long).toHaveLength(253);
    const names = ["web.v2", "x--y", "0", long, "a.b.c"];
    for (const n of names) api.addPod("tenant-acme", n, "gpu-001", [ofAcme]);
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods.map((p) => p.metadata.name).sort()).toEqual([...names].sort());
    expect(api.pods.size).toBe(0);
  });
  it("a finished pod (Succeeded) on a released node is deleted too, as the controller does: it does not look at the phase (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.addPod("tenant-acme", "done", "gpu-001", [ofAcme]).status.phase = "Succeeded";
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(deleted()).toEqual(["tenant-acme/done"]);
  });
});

describe("deploys that must delete nothing", () => {
  it("a renewal, a claim of an idle node with a burn-in pod on it, a no-op update, diff and read list no pods (HELD)", async () => {
    pooled(range(1, 3));
    // A landlord's burn-in job on an idle node: it tolerates only the idle value. acme's claim
    // makes the controller evict it; the deploy leaves that to the controller (no tenant's pod).
    api.addPod("kube-system", "burn-in", "gpu-003", [{ key: TENANT, operator: "Equal", value: "", effect: "NoExecute" }]);
    const outs = await created(acme([claim("acme-q1", Q1, range(1, 2))]));
    api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
    const renewed = acme([claim("acme-q2", Q2, range(1, 3))]);
    const { outs: after } = await tenantNodesProvider.update!("tenant/acme", outs, renewed);
    const { outs: again } = await tenantNodesProvider.update!("tenant/acme", after!, renewed);
    expect(await tenantNodesProvider.diff!("tenant/acme", again!, renewed)).toMatchObject({ changes: false });
    await tenantNodesProvider.read!("tenant/acme", again!);
    expect(podCalls()).toEqual([]);
    expect(api.deletedPods).toEqual([]);
  });

  it("a release and a renewal in one deploy list the released node's pods only (HELD)", async () => {
    pooled(range(1, 2));
    const outs = await created(acme([claim("acme-q1", Q1, range(1, 2))]));
    api.addPod("tenant-acme", "stays", "gpu-001", [ofAcme]);
    api.addPod("tenant-acme", "goes", "gpu-002", [ofAcme]);
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, acme([claim("acme-q2", Q2, ["gpu-001"])]));
    expect(podLists().map((s) => s.query.get("fieldSelector"))).toEqual(["spec.nodeName=gpu-002"]);
    expect(deleted()).toEqual(["tenant-acme/goes"]);
  });

  it("a deploy at a stale instant that yields the node, and that stack's destroy, list no pods (HELD)", async () => {
    pooled(["gpu-001"]);
    await created(bluefin([claim("bluefin-q2", Q2, ["gpu-001"])]));
    api.addPod("tenant-bluefin", "job", "gpu-001", [ofBluefin]);
    api.seen = [];
    // acme's stack at a stale instant: bluefin's later lease holds the node.
    const outs = await created(acme([claim("acme-q1", Q1, ["gpu-001"])]));
    expect(outs.yielded).toEqual([`gpu-001 (held by lease bluefin-q2 of tenant bluefin, from ${Q2})`]);
    await tenantNodesProvider.delete!("tenant/acme", outs);
    expect(podCalls()).toEqual([]);
    expect(remaining()).toEqual(["tenant-bluefin/job"]);
  });

  it("the platform's pool stack (create, a node leaving the pool, destroy) never lists or deletes pods (HELD)", async () => {
    const outs = await acmeHolds(range(1, 2));
    api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
    api.addPod("kube-system", "burn-in", "gpu-002", [{ key: TENANT, operator: "Exists" }]);
    const pools = (nodes: string[]) =>
      ({
        kubeconfig: api.kubeconfig(),
        fieldManager: "leasehold-pools",
        pools: [{ pool: "h100", gpuType: "h100-80gb", nodes }],
        __provider: LOADER,
      }) as never;
    api.seen = [];
    const { outs: poolState } = await poolNodesProvider.create(pools(range(1, 2)));
    const { outs: fewer } = await poolNodesProvider.update!("pools", poolState!, pools(["gpu-002"]));
    await poolNodesProvider.delete!("pools", fewer!);
    expect(podCalls()).toEqual([]);
    expect(api.deletedPods).toEqual([]);
    expect(outs.conforming).toBe(true);
  });

  it("a stack destroy (delete) is a release: it deletes the tenant's pods (HELD)", async () => {
    const outs = await acmeHolds(range(1, 2));
    api.addPod("tenant-acme", "job", "gpu-002", [ofAcme]);
    await tenantNodesProvider.delete!("tenant/acme", outs);
    expect(deleted()).toEqual(["tenant-acme/job"]);
  });
});

describe("the legacy key leasehold.io/lease", () => {
  it("a handover of a node held under the legacy key deletes what does not tolerate bluefin's entry, as the controller would (HELD)", async () => {
    held("gpu-001", "acme", "acme-q1", Q1, [legacy("acme-q1"), notReady]);
    api.addPod("tenant-acme", "old-style", "gpu-001", [{ key: LEGACY, value: "acme-q1", effect: "NoExecute" }]);
    api.addPod("kube-system", "legacy-daemon", "gpu-001", [{ key: LEGACY, operator: "Exists" }]);
    api.addPod("kube-system", "daemon", "gpu-001", [
      { key: LEGACY, operator: "Exists" },
      { key: TENANT, operator: "Exists" },
    ]);
    await tenantNodesProvider.create(bluefin([claim("bluefin-q2", Q2, ["gpu-001"])]));
    expect(api.taints("gpu-001")).toEqual([notReady, entry("bluefin")]);
    expect(deleted()).toEqual(["kube-system/legacy-daemon", "tenant-acme/old-style"]);
  });

  it("acme's own migration from the legacy key to the tenant key (a renewal) deletes the pods that tolerate only the legacy entry, as the controller would (HELD)", async () => {
    held("gpu-001", "acme", "acme-q1", Q1, [legacy("acme-q1")]);
    api.addPod("tenant-acme", "old-style", "gpu-001", [{ key: LEGACY, value: "acme-q1", effect: "NoExecute" }]);
    api.addPod("tenant-acme", "both", "gpu-001", [{ key: LEGACY, value: "acme-q1", effect: "NoExecute" }, ofAcme]);
    const state = stateOf(acme([claim("acme-q1", Q1, ["gpu-001"])]));
    await tenantNodesProvider.update!("tenant/acme", state, acme([claim("acme-q2", Q2, ["gpu-001"])]));
    expect(api.taints("gpu-001")).toEqual([entry("acme")]);
    expect(deleted()).toEqual(["tenant-acme/old-style"]);
    expect(controllerDeletesNow([{ key: LEGACY, value: "acme-q1", effect: "NoExecute" }], api.taints("gpu-001"))).toBe(true);
  });

  it("a release of a node acme holds under the legacy key changes no taint, and deletes nothing (HELD: the controller would not either)", async () => {
    held("gpu-001", "acme", "acme-q1", Q1, [legacy("acme-q1")]);
    api.addPod("tenant-acme", "old-style", "gpu-001", [{ key: LEGACY, value: "acme-q1", effect: "NoExecute" }]);
    await tenantNodesProvider.update!("tenant/acme", stateOf(acme([claim("acme-q1", Q1, ["gpu-001"])])), acme([]));
    expect(api.taints("gpu-001")).toEqual([legacy("acme-q1")]);
    expect(api.deletedPods).toEqual([]);
  });
});

describe("a lying or flaky API server", () => {
  it("a pod the list names on another node is left alone (HELD)", async () => {
    const outs = await acmeHolds(range(1, 2));
    api.addPod("tenant-acme", "elsewhere", "gpu-002", [ofAcme]);
    api.fault = (r) => {
      if (!r.pod || !r.list || listedNode() !== "gpu-001") return undefined;
      const liar = structuredClone(api.pods.get("tenant-acme/elsewhere")!);
      return { status: 200, body: { kind: "PodList", apiVersion: "v1", metadata: {}, items: [liar] } };
    };
    // Only gpu-001 is released: gpu-002 stays acme's.
    await tenantNodesProvider.update!("tenant/acme", outs, acme([claim("acme-q1", Q1, ["gpu-002"])]));
    expect(api.deletedPods).toEqual([]);
  });

  it.each([
    [
      "a login page (200, HTML)",
      { status: 200, body: "<html>\r\n<body>Sign in</body>\r\n</html>" },
      "list pods on node gpu-001: 200 the answer is not a PodList",
    ],
    ["a 200 JSON without items", { status: 200, body: { kind: "Status" } }, "list pods on node gpu-001: 200 the answer is not a PodList"],
    [
      "a proxy's 502 page",
      { status: 502, body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>" },
      "list pods on node gpu-001: 502 <html> <head><title>502 Bad Gateway</title></head> </html>",
    ],
    [
      "a 403",
      {
        status: 403,
        body: statusBody(403, "Forbidden", 'pods is forbidden: User "ci" cannot list resource "pods" in API group "" at the cluster scope'),
      },
      'list pods on node gpu-001: 403 pods is forbidden: User "ci" cannot list resource "pods" in API group "" at the cluster scope',
    ],
  ])(
    "a pod list answered by %s fails the deploy on one line, naming the node, after the node was written (HELD)",
    async (_, fault, why) => {
      const outs = await acmeHolds(["gpu-001"]);
      api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
      api.fault = (r) => (r.pod && r.list ? fault : undefined);
      const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
      expect(e.message).toBe(
        `deleting the pods of nodes that left their tenant: 1 failed (${why}); 0 pod(s) were deleted; the nodes are written, and the taint-eviction controller deletes the rest at its own pace`,
      );
      expect(e.stack).toBe(e.message);
      expect(api.taints("gpu-001")).toEqual([notReady, idle]);
    },
  );

  it("a page that hands back the same continue token twice stops the listing with an error (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
    api.fault = (r) =>
      r.pod && r.list ? { status: 200, body: { kind: "PodList", metadata: { continue: "same" }, items: [] } } : undefined;
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toContain("list pods on node gpu-001: 200 a continue token seen before");
    expect(podLists()).toHaveLength(2);
  });

  // Was BROKEN, fixed since (low: only a broken or hostile server or proxy does this). evictPods only compares a
  // page's continue token with the previous one ("the same continue token twice"); a server that
  // alternates two tokens (A, B, A, B, ...) is paged for ever: here the fake gives up after 40
  // pages with a 500, and the runtime asked for all 40. Right: stop at the first token seen before.
  it("a server that cycles between two continue tokens is noticed at the first repeat", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.fault = (r) => {
      if (!r.pod || !r.list) return undefined;
      if (podLists().length > 40) return { status: 500, body: statusBody(500, "InternalError", "the test stops the loop") };
      const cont = api.seen.at(-1)!.query.get("continue");
      return { status: 200, body: { kind: "PodList", metadata: { continue: cont === "A" ? "B" : "A" }, items: [] } };
    };
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(podLists().length).toBeLessThanOrEqual(3);
    expect(e.message).toContain("continue token");
  });

  // Was BROKEN, fixed since: now the pod LIST fails, naming the item, and nothing is requested for it
  // (low: a lying server or proxy; a real API server never lists a pod named "..").
  // evictPods builds the pod's URL from the listed name with encodeURIComponent, which leaves "."
  // alone, and kubeRequest's `new URL()` resolves dot segments: a pod named ".." is deleted at
  // DELETE /api/v1/namespaces/tenant-acme/ (the namespace itself; only the uid precondition, which
  // a namespace's uid does not match, keeps a real server from deleting it), and its status patch
  // goes to PATCH /api/v1/namespaces/tenant-acme/status, where a real server ignores a patch's empty
  // uid. The node runtime refuses such names for nodes (checkInputs: "." became /api/v1/nodes/).
  // Right: a listed pod whose namespace or name is not a valid path segment (non-empty, not "." or
  // "..", no "/" or "%") is never requested.
  it("a listed pod named '..' leads to no request outside that pod's own URL", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.fault = (r) =>
      r.pod && r.list
        ? {
            status: 200,
            body: {
              kind: "PodList",
              metadata: {},
              items: [
                { metadata: { namespace: "tenant-acme", name: "..", uid: "u-1" }, spec: { nodeName: "gpu-001" }, status: {} },
                {
                  metadata: { namespace: "tenant-acme", name: "..", uid: "u-2" },
                  spec: { nodeName: "gpu-001" },
                  status: { conditions: [{ type: "DisruptionTarget", status: "True" }] },
                },
              ],
            },
          }
        : undefined;
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toContain("a listed pod has no valid namespace, name and uid");
    // Seen: PATCH /api/v1/namespaces/tenant-acme/status and DELETE /api/v1/namespaces/tenant-acme/.
    const outside = podWrites().filter((s) => !/^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+(\/status)?$/.test(s.path));
    expect(outside.map((s) => `${s.method} ${s.path}`)).toEqual([]);
  });

  // Was BROKEN, fixed since: now the pod LIST fails, naming the item (low, same class): a listed
  // item without a name (or without metadata) is deleted at
  // DELETE /api/v1/namespaces/tenant-acme/pods/ (the collection: deletecollection, which only the
  // empty uid precondition, passed on to each pod, keeps from deleting every pod of the namespace).
  it("a listed pod without a name, already marked DisruptionTarget, leads to no DELETE of the pod collection", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.fault = (r) =>
      r.pod && r.list
        ? {
            status: 200,
            body: {
              kind: "PodList",
              metadata: {},
              items: [
                {
                  metadata: { namespace: "tenant-acme" },
                  spec: { nodeName: "gpu-001" },
                  status: { conditions: [{ type: "DisruptionTarget", status: "True" }] },
                },
              ],
            },
          }
        : undefined;
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toContain("a listed pod has no valid namespace, name and uid");
    expect(podWrites().map((s) => `${s.method} ${s.path}`)).toEqual([]);
  });

  it("a status patch answered 422 for another reason: that pod stays and is named, the others go (HELD: the controller does not delete a pod whose patch failed either)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.addPod("tenant-acme", "odd", "gpu-001", [ofAcme]);
    api.addPod("tenant-acme", "plain", "gpu-001", [ofAcme]);
    api.fault = (r) =>
      r.pod && r.method === "PATCH" && api.seen.at(-1)!.path.includes("/odd/")
        ? {
            status: 422,
            body: statusBody(422, "Invalid", 'Pod "odd" is invalid: status.conditions[3].type: Duplicate value: "DisruptionTarget"'),
          }
        : undefined;
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toBe(
      'deleting the pods of nodes that left their tenant: 1 failed (set DisruptionTarget on pod tenant-acme/odd: 422 Pod "odd" is invalid: status.conditions[3].type: Duplicate value: "DisruptionTarget"); 1 pod(s) were deleted; the nodes are written, and the taint-eviction controller deletes the rest at its own pace',
    );
    expect(remaining()).toEqual(["tenant-acme/odd"]);
  });

  it("404 and 409 on the DELETE are skipped; a 202 counts as deleted (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    for (const n of ["gone", "replaced", "accepted", "failing"]) api.addPod("tenant-acme", n, "gpu-001", [ofAcme]);
    api.fault = (r) => {
      if (!r.pod || r.method !== "DELETE") return undefined;
      const at = api.seen.at(-1)!.path;
      if (at.endsWith("/gone")) return { status: 404, body: statusBody(404, "NotFound", 'pods "gone" not found') };
      if (at.endsWith("/replaced")) return { status: 409, body: statusBody(409, "Conflict", "Precondition failed: UID in precondition") };
      if (at.endsWith("/accepted")) return { status: 202, body: {} };
      return { status: 500, body: statusBody(500, "InternalError", "etcdserver: request timed out") };
    };
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toBe(
      "deleting the pods of nodes that left their tenant: 1 failed (delete pod tenant-acme/failing: 500 etcdserver: request timed out); 1 pod(s) were deleted; the nodes are written, and the taint-eviction controller deletes the rest at its own pace",
    );
  });

  it("more than ten failed pods: the first ten named, then how many more (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    for (let i = 0; i < 13; i++) api.addPod("tenant-acme", `p-${String(i).padStart(2, "0")}`, "gpu-001", [ofAcme]);
    api.fault = (r) => (r.pod && r.method === "DELETE" ? { status: 403, body: statusBody(403, "Forbidden", "no") } : undefined);
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toMatch(
      /^deleting the pods of nodes that left their tenant: 13 failed \(delete pod tenant-acme\/p-00: 403 no; .*; and 3 more\); 0 pod\(s\) were deleted;/,
    );
    expect(e.message.match(/delete pod/g)).toHaveLength(10);
  });

  // Was BROKEN, fixed since (medium). The runtime sends the listed uid inside the status patch ({metadata: {uid}})
  // and skips a 409 as "another pod by that name now", but kube-apiserver does not answer 409 to
  // a PATCH whose metadata.uid differs from the stored object's: a patch has no preconditions
  // (rest.DefaultUpdatedObjectInfo(nil, ...).Preconditions() is nil), the patched object keeps the
  // patch's uid, and rest.BeforeUpdate's validateCommonFields -> ValidateObjectMetaUpdate ->
  // ValidateImmutableField(uid) answers 422 Invalid "metadata.uid: ... field is immutable"
  // (k8s.io/apiserver v0.34.4 pkg/registry/rest/update.go:98, apimachinery
  // pkg/api/validation/objectmeta.go:254). Only the DELETE's preconditions.uid is a 409
  // (storage.Preconditions.Check -> InterpretDeleteError). The fake answers 409 to both, so the
  // existing test "a pod replaced under the same name (another uid) ... the deploy succeeds" passes
  // against the fake only: against a real server that deploy fails with
  // `set DisruptionTarget on pod tenant-acme/db-0: 422 Pod "db-0" is invalid: metadata.uid: ...`.
  // A StatefulSet pod the controller deletes (it works on the same node at the same time) and the
  // StatefulSet re-creates between the deploy's LIST and its PATCH hits it. The controller itself
  // GETs the pod before patching, so it never sends a stale uid.
  it("a pod re-created under the same name before the status patch (real server: 422 on the uid) is skipped and the deploy succeeds", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    const oldUid = api.addPod("tenant-acme", "db-0", "gpu-001", [ofAcme]).metadata.uid;
    api.fault = (r) => {
      if (!r.pod || r.method !== "PATCH") return undefined;
      const pod = api.pods.get("tenant-acme/db-0")!;
      pod.metadata.uid = "uid-of-the-new-db-0";
      pod.spec.nodeName = "gpu-777";
      return {
        status: 422,
        body: {
          ...statusBody(422, "Invalid", `Pod "db-0" is invalid: metadata.uid: Invalid value: "${oldUid}": field is immutable`),
          details: {
            name: "db-0",
            kind: "Pod",
            causes: [{ reason: "FieldValueInvalid", message: `Invalid value: "${oldUid}": field is immutable`, field: "metadata.uid" }],
          },
        },
      };
    };
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods).toEqual([]);
    expect(api.pods.get("tenant-acme/db-0")!.metadata.uid).toBe("uid-of-the-new-db-0");
  });
});

describe("pagination, many pods, bounded parallelism", () => {
  /**
   * Pages a pod LIST as kube-apiserver does: `limit` items a page, and a continue token that reads
   * on from the snapshot of the first page (pods deleted since still listed, none skipped).
   */
  function paginatePods(): void {
    const snapshots: FakePod[][] = [];
    const snapshot = () =>
      [...api.pods.values()]
        .filter((p) => p.spec.nodeName === listedNode())
        .map((p) => structuredClone(p))
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    api.fault = (r) => {
      if (!r.pod || !r.list) return undefined;
      const q = api.seen.at(-1)!.query;
      const limit = Number(q.get("limit") ?? 0);
      const token = q.get("continue");
      const [id, from] = token
        ? (Buffer.from(token, "base64").toString("utf8").split("|").map(Number) as [number, number])
        : [snapshots.push(snapshot()) - 1, 0];
      const items = snapshots[id]!;
      const to = limit > 0 ? Math.min(items.length, from + limit) : items.length;
      const metadata = to < items.length ? { continue: Buffer.from(`${id}|${to}`).toString("base64") } : {};
      return { status: 200, body: { kind: "PodList", apiVersion: "v1", metadata, items: items.slice(from, to) } };
    };
  }

  it("1,200 pods on one node are read in pages of 500 under the continue token and all deleted (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    for (let i = 0; i < 1200; i++) api.addPod(`tenant-acme`, `w-${String(i).padStart(4, "0")}`, "gpu-001", [ofAcme]);
    for (let i = 0; i < 5; i++) api.addPod("kube-system", `daemon-${i}`, "gpu-001", [{ operator: "Exists" }]);
    paginatePods();
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    const lists = podLists();
    expect(lists.map((s) => s.query.get("limit"))).toEqual(["500", "500", "500"]);
    expect(lists[0]!.query.get("continue")).toBeNull();
    expect(lists.slice(1).every((s) => s.query.get("continue"))).toBe(true);
    expect(api.deletedPods).toHaveLength(1200);
    expect(remaining()).toEqual(Array.from({ length: 5 }, (_, i) => `kube-system/daemon-${i}`));
  });

  it("40 released nodes with 25 pods each: every pod deleted once, never more than 16 requests in flight (HELD)", async () => {
    const nodes = range(1, 40);
    const outs = await acmeHolds(nodes);
    for (const n of nodes) for (let i = 0; i < 25; i++) api.addPod("tenant-acme", `${n}-p${i}`, n, [ofAcme]);
    api.latencyMs = 3;
    // The most requests in flight while the pods are listed, patched and deleted (after every node write).
    let podMax = 0;
    api.fault = (r) => {
      if (r.pod) podMax = Math.max(podMax, api.inFlight);
      return undefined;
    };
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods).toHaveLength(1000);
    expect(new Set(api.deletedPods.map((p) => p.metadata.name)).size).toBe(1000);
    expect(podMax).toBe(16);
    expect(podLists()).toHaveLength(40);
  });

  it("the pods of one node go one request at a time, whatever the parallelism (OBSERVED: a node with many pods is as slow as its pod count; GPU nodes run at most ~110)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    for (let i = 0; i < 60; i++) api.addPod("tenant-acme", `p-${i}`, "gpu-001", [ofAcme]);
    api.latencyMs = 2;
    let podMax = 0;
    api.fault = (r) => {
      if (r.pod) podMax = Math.max(podMax, api.inFlight);
      return undefined;
    };
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods).toHaveLength(60);
    expect(podMax).toBe(1);
  });

  it("LEASEHOLD_NODE_PARALLELISM=2 bounds the evictions too (HELD)", async () => {
    const nodes = range(1, 6);
    const outs = await acmeHolds(nodes);
    for (const n of nodes) for (let i = 0; i < 3; i++) api.addPod("tenant-acme", `${n}-p${i}`, n, [ofAcme]);
    process.env.LEASEHOLD_NODE_PARALLELISM = "2";
    api.latencyMs = 5;
    api.maxInFlight = 0;
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods).toHaveLength(18);
    expect(api.maxInFlight).toBe(2);
  });
});

describe("a node set written in part", () => {
  it("a node whose write fails keeps its pods; the written node's pods go; the error names the node (HELD)", async () => {
    const outs = await acmeHolds(range(1, 2));
    api.addPod("tenant-acme", "on-1", "gpu-001", [ofAcme]);
    api.addPod("tenant-acme", "on-2", "gpu-002", [ofAcme]);
    api.fault = (r) =>
      !r.pod && r.method === "PATCH" && r.name === "gpu-002" ? { status: 500, body: statusBody(500, "InternalError", "boom") } : undefined;
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toBe(
      "writing tenant acme's nodes: 1 node(s) failed (gpu-002: 500 boom); the other 1 node(s) were written and are consistent: deploy again to finish",
    );
    expect(deleted()).toEqual(["tenant-acme/on-1"]);
    expect(podLists().map((s) => s.query.get("fieldSelector"))).toEqual(["spec.nodeName=gpu-001"]);
  });

  it("a node write and a pod deletion both failing give one error with both, the stack being the message (HELD)", async () => {
    const outs = await acmeHolds(range(1, 2));
    api.addPod("tenant-acme", "stuck", "gpu-001", [ofAcme]);
    api.fault = (r) => {
      if (!r.pod && r.method === "PATCH" && r.name === "gpu-002") return { status: 500, body: statusBody(500, "InternalError", "boom") };
      if (r.pod && r.method === "DELETE") return { status: 403, body: statusBody(403, "Forbidden", "no") };
      return undefined;
    };
    const e = await failureOf(tenantNodesProvider.update!("tenant/acme", outs, acme([])));
    expect(e.message).toBe(
      "writing tenant acme's nodes: 1 node(s) failed (gpu-002: 500 boom); the other 1 node(s) were written and are consistent: deploy again to finish; " +
        "and deleting the pods of nodes that left their tenant: 1 failed (delete pod tenant-acme/stuck: 403 no); 0 pod(s) were deleted; the nodes are written, and the taint-eviction controller deletes the rest at its own pace",
    );
    expect(e.stack).toBe(e.message);
  });

  it("a node that changed under the write (409, re-read) is evicted by the taints of the write actually made (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
    api.addPod("kube-system", "gpu-health-tolerant", "gpu-001", [{ key: TENANT, operator: "Exists" }]);
    // Before acme's release lands, a health checker adds its NoExecute taint (the first PATCH: 409).
    api.beforeNextPatch("gpu-001", () => api.edit("gpu-001", (n) => n.taints.push(gpuHealth), "gpu-health"));
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.taints("gpu-001")).toEqual([notReady, idle, gpuHealth]);
    // gpu-health-tolerant does not tolerate gpuHealth: the controller deletes it, not the deploy
    // (the deploy's taint is the idle entry, which it tolerates).
    expect(deleted()).toEqual(["tenant-acme/job"]);
  });
});

describe("a handover and a release at one boundary (two tenant stacks in one lease clock run)", () => {
  it("bluefin's stack taking the node first: bluefin's deploy evicts acme's pods, acme's release writes nothing and deletes nothing (HELD)", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.addPod("tenant-acme", "job", "gpu-001", [ofAcme]);
    await created(bluefin([claim("bluefin-q2", Q2, ["gpu-001"])]));
    api.addPod("tenant-bluefin", "serve", "gpu-001", [ofBluefin]);
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.patched()).toEqual([]);
    expect(podCalls()).toEqual([]);
    expect(deleted()).toEqual(["tenant-acme/job"]);
    expect(remaining()).toEqual(["tenant-bluefin/serve"]);
  });

  it("both stacks concurrently: whichever order, bluefin ends with the node and acme's pods go (HELD)", async () => {
    const outs = await acmeHolds(range(1, 4));
    for (const n of range(1, 4)) api.addPod("tenant-acme", `job-${n}`, n, [ofAcme]);
    api.latencyMs = 2;
    await Promise.all([
      tenantNodesProvider.update!("tenant/acme", outs, acme([])),
      tenantNodesProvider.create(bluefin([claim("bluefin-q2", Q2, range(1, 4))])),
    ]);
    for (const n of range(1, 4)) expect(api.taints(n)).toEqual([notReady, entry("bluefin")]);
    // Every acme pod went: by bluefin's deploy where it took the node from acme, by acme's where
    // acme released it first (bluefin then claimed it idle, which evicts nothing).
    expect(deleted()).toEqual(range(1, 4).map((n) => `tenant-acme/job-${n}`));
  });

  // Was BROKEN, fixed since (medium). evictPods decides on the taints acme's write added (the idle entry) without
  // looking at the node again. In the lease clock's run the two tenant stacks deploy in parallel
  // (cli/fleet-run.ts); when acme's release of gpu-001 lands first and bluefin's claim second,
  // bluefin's claim sees an idle node (evictingTaints: nothing), bluefin's pending pods are bound to
  // gpu-001 at once, and acme's deploy, listing gpu-001's pods later (after all its node writes and
  // the evictions of the nodes before), deletes bluefin's pods: they do not tolerate the idle entry,
  // which is no longer on the node. Kubernetes' controller would not (it judges a pod by the node's
  // taints now). Seen: tenant-bluefin/serve-0 deleted, with the condition "node gpu-001 left the
  // tenant". The window is acme's node writes plus its evictions: seconds for a 1,024-node lease.
  // Right: a pod is deleted only for an evicting taint still on the node when its pods are listed.
  it("acme's release first, bluefin's claim before acme lists the node's pods: bluefin's new pod is not deleted", async () => {
    const outs = await acmeHolds(["gpu-001"]);
    api.addPod("tenant-acme", "train-0", "gpu-001", [ofAcme]);
    let raced = false;
    api.fault = (r) => {
      if (!r.pod || !r.list || raced) return undefined;
      raced = true;
      // bluefin's stack's claim (what claimWrite writes on the idle node), and the scheduler binding
      // bluefin's pending pod to it.
      api.edit(
        "gpu-001",
        (n) => {
          n.labels["leasehold.io/tenant"] = "bluefin";
          n.labels["leasehold.io/lease"] = "bluefin-q2";
          n.annotations["leasehold.io/lease-start"] = Q2;
          n.taints = n.taints.map((t) => (t.key === TENANT ? entry("bluefin") : t));
        },
        "leasehold-nodes-bluefin",
      );
      api.addPod("tenant-bluefin", "serve-0", "gpu-001", [ofBluefin]);
      return undefined;
    };
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.taints("gpu-001")).toEqual([notReady, entry("bluefin")]);
    expect(api.deletedPods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).not.toContain("tenant-bluefin/serve-0");
    expect(api.pods.has("tenant-bluefin/serve-0")).toBe(true);
  });
});

describe("against the taint-eviction controller, over generated clusters (fast-check)", () => {
  const tolerationCorpus: Toleration[] = [
    ofAcme,
    { key: TENANT, value: "acme" },
    ofBluefin,
    { operator: "Exists" },
    { operator: "Exists", effect: "NoExecute" },
    { operator: "Exists", effect: "NoSchedule" },
    { key: TENANT, operator: "Exists" },
    { key: TENANT, operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 },
    { key: TENANT, operator: "Exists", effect: "NoExecute", tolerationSeconds: 600 },
    { key: TENANT },
    { key: TENANT, operator: "Equal", value: "", effect: "NoExecute" },
    { key: LEGACY, operator: "Exists" },
    { key: LEGACY, value: "acme-q1", effect: "NoExecute" },
    { key: "nvidia.com/gpu-health", operator: "Exists" },
    { key: TENANT, operator: "Gt", value: "0" },
    {},
  ];
  const starts: Record<string, Taint[]> = {
    acme: [notReady, entry("acme")],
    "acme+health": [entry("acme"), gpuHealth],
    "acme-legacy": [legacy("acme-q1"), notReady],
    "acme-noschedule-too": [entry("acme", "NoSchedule"), entry("acme")],
    idle: [notReady, idle],
  };
  type Deploy = "release" | "renewal" | "handover" | "destroy";

  it("the deploy deletes a pod only if the controller would at once, and, on a node that changed hands, every such pod (HELD)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...Object.keys(starts)), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(2), fc.subarray(tolerationCorpus, { maxLength: 3 })), { maxLength: 8 }),
        fc.constantFrom<Deploy>("release", "renewal", "handover", "destroy"),
        async (kinds, pods, deploy) => {
          api.reset();
          const nodes = kinds.map((_, i) => gpu(i + 1));
          kinds.forEach((k, i) => (k === "idle" ? pooled([nodes[i]!], starts[k]) : held(nodes[i]!, "acme", "acme-q1", Q1, starts[k]!)));
          const before = new Map(nodes.map((n) => [n, api.taints(n)]));
          const placed: { key: string; node: string; tolerations: Toleration[] }[] = [];
          pods.forEach(([at, tolerations], i) => {
            const node = nodes[at % nodes.length]!;
            // Only pods the node's taints let run there now (the controller evicted any other).
            if (controllerDeletesNow(tolerations, before.get(node)!)) return;
            api.addPod("ns", `p${i}`, node, tolerations);
            placed.push({ key: `ns/p${i}`, node, tolerations });
          });
          const heldNodes = nodes.filter((_, i) => kinds[i] !== "idle");
          const state = stateOf(acme([claim("acme-q1", Q1, heldNodes)]));
          if (deploy === "release") await tenantNodesProvider.update!("tenant/acme", state, acme([]));
          if (deploy === "destroy") await tenantNodesProvider.delete!("tenant/acme", state);
          if (deploy === "renewal") await tenantNodesProvider.update!("tenant/acme", state, acme([claim("acme-q2", Q2, nodes)]));
          if (deploy === "handover") await tenantNodesProvider.create(bluefin([claim("bluefin-q2", Q2, nodes)]));
          const gone = new Set(api.deletedPods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
          const ours = (ts: Taint[]) =>
            ts
              .filter((t) => (t.key === TENANT || t.key === LEGACY) && t.effect === "NoExecute")
              .map((t) => `${t.key}=${t.value ?? ""}`)
              .sort()
              .join(",");
          for (const p of placed) {
            const after = api.taints(p.node);
            const now = controllerDeletesNow(p.tolerations, after);
            const wasHeld = before
              .get(p.node)!
              .some((t) => (t.key === TENANT || t.key === LEGACY) && t.effect === "NoExecute" && (t.value ?? "") !== "");
            const changedHands = wasHeld && ours(before.get(p.node)!) !== ours(after);
            // Never more than Kubernetes.
            if (gone.has(p.key)) expect({ ...p, after, now }).toMatchObject({ now: true });
            // Exactly Kubernetes' immediate deletions on a node that left its tenant, except pods that
            // tolerate every taint for no time (tolerationSeconds <= 0: the controller's, at once).
            const allTolerated = after
              .filter((t) => t.effect === "NoExecute")
              .every((t) => p.tolerations.some((x) => goToleratesTaint(x, t)));
            if (changedHands && now && !allTolerated) expect({ ...p, after, gone: gone.has(p.key) }).toMatchObject({ gone: true });
            if (!changedHands) expect({ ...p, after, gone: gone.has(p.key) }).toMatchObject({ gone: false });
          }
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});
