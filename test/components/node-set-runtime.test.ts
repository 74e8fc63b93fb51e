import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeNodeApi, type FakeNode } from "./fake-node-api";
import type { Taint } from "../../lease/node-taints";
import {
  NODE_SET_RUNTIME,
  poolNodesProvider,
  tenantNodesProvider,
  type LeaseClaim,
  type PoolNodesInputs,
  type PoolNodesState,
  type TenantNodesInputs,
  type TenantNodesState,
} from "../../components/node-set-runtime";

// The TenantNodes and PoolNodes providers against a fake API server (fake-node-api.ts) that does
// what kube-apiserver does for the requests they make: GET and paginated LIST of nodes, and
// server-side apply under a resourceVersion precondition, with granular label and annotation
// ownership and an atomic taint list.

const api = new FakeNodeApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => api.reset());
const savedParallelism = process.env.LEASEHOLD_NODE_PARALLELISM;
afterEach(() => {
  if (savedParallelism === undefined) delete process.env.LEASEHOLD_NODE_PARALLELISM;
  else process.env.LEASEHOLD_NODE_PARALLELISM = savedParallelism;
});

const notReady: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule", timeAdded: "2027-01-01T00:00:00Z" };
const gpuHealth: Taint = { key: "nvidia.com/gpu-health", value: "xid-79", effect: "NoExecute", timeAdded: "2027-01-03T00:00:00Z" };
/** A tenant entry as the API server returns it (the idle value omitted). */
const entry = (tenant: string): Taint =>
  tenant === "" ? { key: "leasehold.io/tenant", effect: "NoExecute" } : { key: "leasehold.io/tenant", value: tenant, effect: "NoExecute" };
const idle = entry("");
const Q1 = "2027-01-01T00:00:00Z";
const Q2 = "2027-04-01T00:00:00Z";
/** What the engine hands the provider: the loader of this runtime. */
const LOADER = `exports.handler = /* loads ${NODE_SET_RUNTIME} */`;

const gpu = (i: number, width = 3) => `gpu-${String(i).padStart(width, "0")}`;
const range = (from: number, to: number, width = 3) => Array.from({ length: to - from + 1 }, (_, i) => gpu(from + i, width));
/** Pooled nodes, as PoolNodes left them: the pool labels, the not-ready taint and the idle entry. */
function pooled(names: string[], taints: Taint[] = [notReady, idle]): void {
  for (const n of names) api.add(n, { labels: { "kubernetes.io/hostname": n, "leasehold.io/pool": "h100" }, taints });
}

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
const acme = (claims: LeaseClaim[], over: Partial<TenantNodesInputs> = {}) => tenantInputs("acme", claims, over);
const stateOf = (inputs: TenantNodesInputs, over: Partial<TenantNodesState> = {}): TenantNodesState => ({
  ...inputs,
  yielded: [],
  conforming: true,
  ...over,
});
/** The labels, annotations and taints a node carries, without the fake's bookkeeping. */
const shape = (n: FakeNode | undefined) =>
  n && { labels: n.metadata.labels ?? {}, annotations: n.metadata.annotations ?? {}, taints: n.spec.taints ?? [] };
const heldShape = (name: string, tenant: string, lease: string, start: string, taints: Taint[] = [notReady, entry(tenant)]) => ({
  labels: { "kubernetes.io/hostname": name, "leasehold.io/pool": "h100", "leasehold.io/tenant": tenant, "leasehold.io/lease": lease },
  annotations: { "leasehold.io/lease-start": start },
  taints,
});
const idleShape = (name: string) => ({
  labels: { "kubernetes.io/hostname": name, "leasehold.io/pool": "h100" },
  annotations: {},
  taints: [notReady, idle],
});
const versions = (names: string[]) => names.map((n) => api.node(n)!.metadata.resourceVersion);
const lists = () => api.seen.filter((s) => s.method === "GET" && s.path === "/api/v1/nodes");
const gets = () => api.seen.filter((s) => s.method === "GET" && s.path !== "/api/v1/nodes");
async function created(inputs: TenantNodesInputs): Promise<TenantNodesState> {
  return (await tenantNodesProvider.create(inputs)).outs!;
}
async function createdPools(inputs: PoolNodesInputs): Promise<PoolNodesState> {
  return (await poolNodesProvider.create(inputs)).outs!;
}
const failureOf = async (p: Promise<unknown>): Promise<Error> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
};

describe("TenantNodes provider: create", () => {
  it("claims 8 nodes by a GET each: one LIST of the tenant's label, then one server-side apply per node under the read resourceVersion and uid", async () => {
    const nodes = range(1, 8);
    pooled(nodes);
    const inputs = acme([claim("acme-q1", Q1, nodes)]);
    const before = new Map(nodes.map((n) => [n, api.node(n)!]));
    const { id, outs } = await tenantNodesProvider.create(inputs);
    expect(id).toBe("tenant/acme");
    expect(outs).toEqual({ ...inputs, yielded: [], conforming: true });

    expect(lists().map((s) => s.query.get("labelSelector"))).toEqual(["leasehold.io/tenant=acme"]);
    expect(
      gets()
        .map((s) => s.path)
        .sort(),
    ).toEqual(nodes.map((n) => `/api/v1/nodes/${n}`));
    const patches = api.seen.filter((s) => s.method === "PATCH");
    expect(patches.map((s) => s.path).sort()).toEqual(nodes.map((n) => `/api/v1/nodes/${n}`));
    for (const p of patches) {
      const name = p.path.slice("/api/v1/nodes/".length);
      expect(p.contentType).toBe("application/apply-patch+yaml");
      expect(Object.fromEntries(p.query)).toEqual({ fieldManager: "leasehold-nodes-acme", force: "true" });
      expect(p.body).toEqual({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          uid: before.get(name)!.metadata.uid,
          resourceVersion: before.get(name)!.metadata.resourceVersion,
          labels: { "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" },
          annotations: { "leasehold.io/lease-start": Q1 },
        },
        spec: { taints: [notReady, { key: "leasehold.io/tenant", value: "acme", effect: "NoExecute" }] },
      });
    }
    for (const n of nodes) {
      expect(shape(api.node(n))).toEqual(heldShape(n, "acme", "acme-q1", Q1));
      const mine = api.node(n)!.metadata.managedFields!.find((f) => f.manager === "leasehold-nodes-acme")!;
      expect(mine).toMatchObject({ operation: "Apply" });
      expect(mine.fieldsV1).toEqual({
        "f:metadata": {
          "f:labels": { "f:leasehold.io/tenant": {}, "f:leasehold.io/lease": {} },
          "f:annotations": { "f:leasehold.io/lease-start": {} },
        },
        "f:spec": { "f:taints": {} },
      });
    }
  });

  it("claims 100 nodes of a 1,200-node cluster by one paginated LIST (500 a page), no GET per node, and touches no other node", async () => {
    pooled(range(1, 1200, 4));
    const claimed = range(101, 200, 4);
    const untouched = [...range(1, 100, 4), ...range(201, 1200, 4)];
    const before = versions(untouched);
    await tenantNodesProvider.create(acme([claim("acme-q1", Q1, claimed)]));
    expect(gets()).toEqual([]);
    const pages = lists().filter((s) => !s.query.has("labelSelector"));
    expect(pages.map((s) => [s.query.get("limit"), s.query.has("continue")])).toEqual([
      ["500", false],
      ["500", true],
      ["500", true],
    ]);
    // The tenant's labelled nodes come from the same full LIST: no second LIST by label selector.
    expect(lists().filter((s) => s.query.has("labelSelector"))).toHaveLength(0);
    expect(api.patched().sort()).toEqual(claimed);
    for (const n of claimed) expect(shape(api.node(n))).toEqual(heldShape(n, "acme", "acme-q1", Q1));
    expect(versions(untouched)).toEqual(before);
  });

  it("takes a lease's nodes as one hostlist (what the component stores): the same writes as the list, and a state with the list compares equal", async () => {
    pooled(range(1, 100, 4));
    const compact: LeaseClaim = { lease: "acme-q1", start: Q1, nodes: "gpu-[0001-0100]" };
    const outs = await created(acme([compact]));
    expect(outs.claims).toEqual([compact]);
    expect(api.patched().sort()).toEqual(range(1, 100, 4));
    for (const n of range(1, 100, 4)) expect(shape(api.node(n))).toEqual(heldShape(n, "acme", "acme-q1", Q1));
    // A state written with the list of names, and the program's hostlist now: no change to make.
    api.seen = [];
    const asList = stateOf(acme([claim("acme-q1", Q1, range(1, 100, 4))]));
    const diff = await tenantNodesProvider.diff!(
      "tenant/acme",
      { ...asList, __provider: LOADER } as never,
      {
        ...acme([compact]),
        __provider: LOADER,
      } as never,
    );
    expect(diff.changes).toBe(false);
    expect(api.patched()).toEqual([]);
  });

  it("claims the nodes of several leases, each with its lease label and start", async () => {
    pooled(range(1, 4));
    await tenantNodesProvider.create(acme([claim("acme-a", Q1, range(1, 2)), claim("acme-b", Q2, range(3, 4))]));
    expect(shape(api.node("gpu-001"))).toEqual(heldShape("gpu-001", "acme", "acme-a", Q1));
    expect(shape(api.node("gpu-004"))).toEqual(heldShape("gpu-004", "acme", "acme-b", Q2));
  });

  it("fails naming a node that does not exist, after writing the others; a second create, once it registered, writes only that node", async () => {
    pooled(range(1, 4));
    const inputs = acme([claim("acme-q1", Q1, [...range(1, 4), "gpu-009"])]);
    const e = await failureOf(tenantNodesProvider.create(inputs));
    expect(e.message).toBe(
      "claiming tenant acme's nodes: 1 node(s) failed (gpu-009: does not exist in the cluster); the other 4 node(s) were written and are consistent: deploy again to finish",
    );
    expect(e.stack).toBe(e.message);
    for (const n of range(1, 4)) expect(shape(api.node(n))).toEqual(heldShape(n, "acme", "acme-q1", Q1));
    pooled(["gpu-009"]);
    api.seen = [];
    await expect(tenantNodesProvider.create(inputs)).resolves.toMatchObject({ outs: { conforming: true } });
    expect(api.patched()).toEqual(["gpu-009"]);
    expect(shape(api.node("gpu-009"))).toEqual(heldShape("gpu-009", "acme", "acme-q1", Q1));
  });

  it("retries a node on 409: re-reads it and keeps what the concurrent writer added", async () => {
    pooled(range(1, 3));
    api.beforeNextPatch("gpu-002", () => api.edit("gpu-002", (n) => n.taints.push(gpuHealth), "gpu-health-checker"));
    await tenantNodesProvider.create(acme([claim("acme-q1", Q1, range(1, 3))]));
    const bodies = api.seen.filter((s) => s.method === "PATCH" && s.path.endsWith("gpu-002")).map((s) => s.body);
    expect(bodies).toHaveLength(2);
    expect(Number(bodies[1].metadata.resourceVersion)).toBeGreaterThan(Number(bodies[0].metadata.resourceVersion));
    expect(api.taints("gpu-002")).toEqual([notReady, entry("acme"), gpuHealth]);
    // The re-read was one GET of that node.
    expect(gets().filter((s) => s.path.endsWith("gpu-002"))).toHaveLength(2);
  });

  it("gives up on a node after 5 conflicts in a row, naming it, after writing the others", async () => {
    pooled(range(1, 3));
    for (let i = 0; i < 5; i++) api.beforeNextPatch("gpu-002", () => api.edit("gpu-002", (n) => void (n.annotations.touched = String(i))));
    const e = await failureOf(tenantNodesProvider.create(acme([claim("acme-q1", Q1, range(1, 3))])));
    expect(e.message).toBe(
      "claiming tenant acme's nodes: 1 node(s) failed (gpu-002: it changed under us 5 times in a row (409 Conflict)); the other 2 node(s) were written and are consistent: deploy again to finish",
    );
    expect(api.patched().filter((n) => n === "gpu-002")).toHaveLength(5);
    expect(api.taints("gpu-002")).toEqual([notReady, idle]);
  });
});

describe("TenantNodes provider: diff and read", () => {
  it.each([
    ["8 nodes (a GET each)", 8],
    ["100 nodes (one LIST)", 100],
  ])("a no-op diff of %s reads them, reports no change and writes nothing", async (_, count) => {
    const nodes = range(1, count);
    pooled(nodes);
    const inputs = acme([claim("acme-q1", Q1, nodes)]);
    const outs = await created(inputs);
    api.seen = [];
    expect(await tenantNodesProvider.diff!("tenant/acme", outs, inputs)).toEqual({ changes: false, replaces: [] });
    expect(api.seen.length).toBeGreaterThan(0);
    expect(api.seen.every((s) => s.method === "GET")).toBe(true);
  });

  it("a taint removed by hand makes diff report changes, and update writes that node only", async () => {
    const nodes = range(1, 6);
    pooled(nodes);
    const inputs = acme([claim("acme-q1", Q1, nodes)]);
    const outs = await created(inputs);
    api.edit("gpu-003", (n) => (n.taints = n.taints.filter((t) => t.key !== "leasehold.io/tenant")), "kubectl-taint");
    const others = nodes.filter((n) => n !== "gpu-003");
    const before = versions(others);
    expect(await tenantNodesProvider.diff!("tenant/acme", outs, inputs)).toEqual({ changes: true, replaces: [] });
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, inputs);
    expect(api.patched()).toEqual(["gpu-003"]);
    expect(api.taints("gpu-003")).toEqual([notReady, entry("acme")]);
    expect(versions(others)).toEqual(before);
  });

  it("a node re-registered with no labels: read says not conforming, diff reports changes, update writes that node only", async () => {
    const nodes = range(1, 4);
    pooled(nodes);
    const inputs = acme([claim("acme-q1", Q1, nodes)]);
    const outs = await created(inputs);
    api.reRegister("gpu-002", [notReady]);
    const read = await tenantNodesProvider.read!("tenant/acme", outs);
    expect(read).toEqual({ id: "tenant/acme", props: { ...outs, conforming: false } });
    api.seen = [];
    // After the refresh, diff needs no read: the state says the nodes drifted.
    expect(await tenantNodesProvider.diff!("tenant/acme", read.props!, inputs)).toEqual({ changes: true, replaces: [] });
    expect(api.seen).toEqual([]);
    // Without a refresh, diff finds it by reading.
    expect(await tenantNodesProvider.diff!("tenant/acme", outs, inputs)).toEqual({ changes: true, replaces: [] });
    api.seen = [];
    const { outs: fixed } = await tenantNodesProvider.update!("tenant/acme", read.props!, inputs);
    expect(fixed).toMatchObject({ conforming: true, yielded: [] });
    expect(api.patched()).toEqual(["gpu-002"]);
    expect(shape(api.node("gpu-002"))).toEqual({
      labels: { "kubernetes.io/hostname": "gpu-002", "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" },
      annotations: { "leasehold.io/lease-start": Q1 },
      taints: [notReady, entry("acme")],
    });
    expect((await tenantNodesProvider.read!("tenant/acme", fixed!)).props).toMatchObject({ conforming: true });
  });

  it("reports changes without reading when the inputs differ, and a replace when the tenant does", async () => {
    const inputs = acme([claim("acme-q1", Q1, ["gpu-001"])]);
    const p = tenantNodesProvider;
    expect(await p.diff!("tenant/acme", stateOf(inputs), acme([claim("acme-q2", Q2, ["gpu-001"])]))).toEqual({
      changes: true,
      replaces: [],
    });
    expect(await p.diff!("tenant/acme", stateOf(inputs), tenantInputs("bluefin", inputs.claims))).toEqual({
      changes: true,
      replaces: ["tenant"],
    });
    // A state written by another provider (no loader of this runtime) is rewritten.
    expect(await p.diff!("tenant/acme", stateOf(inputs), { ...inputs, __provider: "exports.handler = x" } as TenantNodesInputs)).toEqual({
      changes: true,
      replaces: [],
    });
    expect(api.seen).toEqual([]);
  });

  it("read keeps the inputs and says conforming when the nodes are as the claims want", async () => {
    pooled(range(1, 2));
    const inputs = acme([claim("acme-q1", Q1, range(1, 2))]);
    const outs = await created(inputs);
    expect(await tenantNodesProvider.read!("tenant/acme", outs)).toEqual({ id: "tenant/acme", props: outs });
  });
});

describe("TenantNodes provider: update and delete", () => {
  it("a renewal on the same nodes (the lease id changes) writes the lease label and start only: the taints go back exactly as read", async () => {
    const nodes = range(1, 4);
    pooled(nodes);
    const q1 = acme([claim("acme-q1", Q1, nodes)]);
    const outs = await created(q1);
    // The node lifecycle controller stamps what it touches: the stamp must survive the renewal.
    for (const n of nodes)
      api.edit(
        n,
        (x) => (x.taints = x.taints.map((t) => (t.key === "leasehold.io/tenant" ? { ...t, timeAdded: "2027-01-01T00:00:09Z" } : t))),
        "node-controller",
      );
    const taintsBefore = new Map(nodes.map((n) => [n, api.taints(n)]));
    api.seen = [];
    const q2 = acme([claim("acme-q2", Q2, nodes)]);
    expect(await tenantNodesProvider.diff!("tenant/acme", outs, q2)).toEqual({ changes: true, replaces: [] });
    await tenantNodesProvider.update!("tenant/acme", outs, q2);
    const patches = api.seen.filter((s) => s.method === "PATCH");
    expect(patches).toHaveLength(4);
    for (const p of patches) {
      const n = p.path.slice("/api/v1/nodes/".length);
      expect(p.body.spec.taints).toEqual(taintsBefore.get(n));
      expect(api.taints(n)).toEqual(taintsBefore.get(n));
      expect(shape(api.node(n))!.labels["leasehold.io/lease"]).toBe("acme-q2");
      expect(shape(api.node(n))!.annotations).toEqual({ "leasehold.io/lease-start": Q2 });
    }
  });

  it("a lease that ends gives its nodes back idle, and keeps the nodes of the leases still in force", async () => {
    pooled(range(1, 4));
    const both = acme([claim("acme-a", Q1, range(1, 2)), claim("acme-b", Q1, range(3, 4))]);
    const outs = await created(both);
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, acme([claim("acme-b", Q1, range(3, 4))]));
    expect(api.patched().sort()).toEqual(["gpu-001", "gpu-002"]);
    expect(shape(api.node("gpu-001"))).toEqual({ ...idleShape("gpu-001"), taints: [notReady, idle] });
    expect(shape(api.node("gpu-004"))).toEqual(heldShape("gpu-004", "acme", "acme-b", Q1));
  });

  it("delete releases the tenant's own nodes only, not one another tenant's later lease took over", async () => {
    const nodes = range(1, 4);
    pooled(nodes);
    const inputs = acme([claim("acme-q1", Q1, nodes)]);
    const outs = await created(inputs);
    await tenantNodesProvider.create(tenantInputs("bluefin", [claim("bluefin-q2", Q2, ["gpu-003"])]));
    expect(shape(api.node("gpu-003"))).toEqual(heldShape("gpu-003", "bluefin", "bluefin-q2", Q2));
    const bluefinVersion = versions(["gpu-003"]);
    api.seen = [];
    await tenantNodesProvider.delete!("tenant/acme", outs);
    expect(api.patched().sort()).toEqual(["gpu-001", "gpu-002", "gpu-004"]);
    for (const n of ["gpu-001", "gpu-002", "gpu-004"]) {
      expect(shape(api.node(n))).toEqual(idleShape(n));
      expect(api.node(n)!.metadata.managedFields!.find((f) => f.manager === "leasehold-nodes-acme")?.fieldsV1).toEqual({
        "f:spec": { "f:taints": {} },
      });
    }
    expect(shape(api.node("gpu-003"))).toEqual(heldShape("gpu-003", "bluefin", "bluefin-q2", Q2));
    expect(versions(["gpu-003"])).toEqual(bluefinVersion);
  });

  it("a deploy at a stale instant does not take a node a later lease holds, and reports it in yielded", async () => {
    pooled(range(1, 2));
    await tenantNodesProvider.create(tenantInputs("bluefin", [claim("bluefin-q2", Q2, ["gpu-002"])]));
    const before = api.node("gpu-002");
    api.seen = [];
    const stale = acme([claim("acme-q1", Q1, range(1, 2))]);
    const { outs } = await tenantNodesProvider.update!("tenant/acme", stateOf(acme([])), stale);
    expect(outs!.yielded).toEqual(["gpu-002 (held by lease bluefin-q2 of tenant bluefin, from 2027-04-01T00:00:00Z)"]);
    expect(outs!.conforming).toBe(true);
    expect(api.patched()).toEqual(["gpu-001"]);
    expect(api.node("gpu-002")).toEqual(before);
    // Neither a refresh nor a diff counts the yielded node as drift.
    expect((await tenantNodesProvider.read!("tenant/acme", outs!)).props).toEqual(outs);
    expect(await tenantNodesProvider.diff!("tenant/acme", outs!, stale)).toEqual({ changes: false, replaces: [] });
    // Releasing the stale state leaves bluefin's node alone too.
    await tenantNodesProvider.delete!("tenant/acme", outs!);
    expect(api.node("gpu-002")).toEqual(before);
  });
});

describe("TenantNodes provider: the pods a node's change of hands evicts", () => {
  const ofAcme = { key: "leasehold.io/tenant", operator: "Equal", value: "acme", effect: "NoExecute" };
  const everything = { operator: "Exists" };
  const podCalls = () => api.seen.filter((s) => s.path.includes("/pods"));

  it("a lease that ends deletes the tenant's pods on its nodes (DisruptionTarget first, under the pod's uid); pods that tolerate the idle entry stay", async () => {
    pooled(range(1, 3));
    const outs = await created(acme([claim("acme-q1", Q1, range(1, 3))]));
    const job = api.addPod("tenant-acme", "train-0", "gpu-001", [ofAcme]);
    api.addPod("tenant-acme", "train-1", "gpu-002", [ofAcme, { key: "leasehold.io/tenant", operator: "Exists", effect: "NoSchedule" }]);
    api.addPod("kube-system", "gpu-operator-x", "gpu-001", [everything]);
    api.addPod("kube-system", "exporter", "gpu-002", [{ key: "leasehold.io/tenant", operator: "Exists" }]);
    api.addPod("tenant-acme", "patient", "gpu-003", [{ ...ofAcme, value: "", tolerationSeconds: 600 } as never, ofAcme]);
    api.seen = [];
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      "tenant-acme/train-0",
      "tenant-acme/train-1",
    ]);
    // The condition was set before the delete, on that pod (its uid), as the taint-eviction controller does.
    const deleted = api.deletedPods.find((p) => p.metadata.name === "train-0")!;
    expect(deleted.status.conditions).toEqual([
      expect.objectContaining({ type: "DisruptionTarget", status: "True", reason: "DeletionByLeasehold" }),
    ]);
    expect(deleted.status.conditions[0]!.message).toContain("gpu-001");
    const calls = podCalls();
    const patch = calls.find((c) => c.method === "PATCH" && c.path.endsWith("/train-0/status"))!;
    expect(patch.contentType).toBe("application/strategic-merge-patch+json");
    expect(patch.body.metadata.uid).toBe(job.metadata.uid);
    const del = calls.find((c) => c.method === "DELETE" && c.path.endsWith("/train-0"))!;
    expect(del.body.preconditions).toEqual({ uid: job.metadata.uid });
    expect(calls.indexOf(patch)).toBeLessThan(calls.indexOf(del));
    // Only the released nodes' pods were listed, by field selector.
    expect(
      calls
        .filter((c) => c.method === "GET")
        .map((c) => c.query.get("fieldSelector"))
        .sort(),
    ).toEqual(range(1, 3).map((n) => `spec.nodeName=${n}`));
    expect([...api.pods.keys()].sort()).toEqual(["kube-system/exporter", "kube-system/gpu-operator-x", "tenant-acme/patient"]);
  });

  it("a renewal, a claim of idle nodes and a no-op list no pods and delete none", async () => {
    pooled(range(1, 2));
    api.addPod("kube-system", "daemon", "gpu-001", [everything]);
    const outs = await created(acme([claim("acme-q1", Q1, range(1, 2))]));
    api.addPod("tenant-acme", "train-0", "gpu-001", [ofAcme]);
    const renewed = acme([claim("acme-q2", Q2, range(1, 2))]);
    const { outs: after } = await tenantNodesProvider.update!("tenant/acme", outs, renewed);
    await tenantNodesProvider.diff!("tenant/acme", after!, renewed);
    expect(podCalls()).toEqual([]);
    expect(api.pods.size).toBe(2);
  });

  it("a handover to another tenant's later lease deletes the outgoing tenant's pods", async () => {
    pooled(range(1, 2));
    await created(acme([claim("acme-q1", Q1, range(1, 2))]));
    api.addPod("tenant-acme", "train-0", "gpu-002", [ofAcme]);
    api.addPod("tenant-acme", "train-1", "gpu-001", [ofAcme]);
    // acme's lease ended at Q2 without a deploy of acme's stack; bluefin's lease of gpu-002 starts then.
    await tenantNodesProvider.create(tenantInputs("bluefin", [claim("bluefin-q2", Q2, ["gpu-002"])]));
    expect(api.deletedPods.map((p) => p.metadata.name)).toEqual(["train-0"]);
    expect(api.pods.has("tenant-acme/train-1")).toBe(true);
  });

  it("a pod replaced under the same name (another uid) or already gone is left alone, and the deploy succeeds", async () => {
    pooled(range(1, 2));
    const outs = await created(acme([claim("acme-q1", Q1, range(1, 2))]));
    api.addPod("tenant-acme", "db-0", "gpu-001", [ofAcme]);
    api.addPod("tenant-acme", "db-1", "gpu-002", [ofAcme]);
    api.fault = (r) => {
      if (!r.pod || r.method !== "PATCH") return undefined;
      // Between our LIST and our PATCH: db-0 is re-created (a StatefulSet), db-1 is deleted.
      const zero = api.pods.get("tenant-acme/db-0");
      if (zero && zero.metadata.name === "db-0" && !zero.metadata.deletionTimestamp) zero.metadata.uid = "another-uid";
      api.pods.delete("tenant-acme/db-1");
      return undefined;
    };
    await tenantNodesProvider.update!("tenant/acme", outs, acme([]));
    expect(api.deletedPods).toEqual([]);
    expect(api.pods.get("tenant-acme/db-0")!.metadata.uid).toBe("another-uid");
  });

  it("a pod that cannot be deleted fails the deploy naming it, after the nodes were written and the other pods deleted", async () => {
    pooled(range(1, 2));
    const outs = await created(acme([claim("acme-q1", Q1, range(1, 2))]));
    api.addPod("tenant-acme", "stuck", "gpu-001", [ofAcme]);
    api.addPod("tenant-acme", "train", "gpu-002", [ofAcme]);
    api.fault = (r) =>
      r.pod && r.method === "DELETE" && api.seen.at(-1)!.path.endsWith("/stuck")
        ? { status: 403, body: { kind: "Status", message: 'pods "stuck" is forbidden: no' } }
        : undefined;
    const err = await tenantNodesProvider.update!("tenant/acme", outs, acme([])).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /1 failed \(delete pod tenant-acme\/stuck: 403 pods "stuck" is forbidden: no\); 1 pod\(s\) were deleted/,
    );
    expect((err as Error).message).toContain("taint-eviction controller");
    expect((err as Error).stack).toBe((err as Error).message);
    expect(api.deletedPods.map((p) => p.metadata.name)).toEqual(["train"]);
    for (const n of range(1, 2)) expect(shape(api.node(n))).toEqual(idleShape(n));
  });
});

describe("TenantNodes provider: bounded parallelism and errors", () => {
  it("never has more than 16 requests in flight, and uses them (40 nodes, a GET each)", async () => {
    pooled(range(1, 40));
    api.latencyMs = 50;
    await tenantNodesProvider.create(acme([claim("acme-q1", Q1, range(1, 40))]));
    expect(api.patched()).toHaveLength(40);
    expect(api.maxInFlight).toBe(16);
  });

  it("never has more than LEASEHOLD_NODE_PARALLELISM requests in flight when it is set", async () => {
    process.env.LEASEHOLD_NODE_PARALLELISM = "3";
    pooled(range(1, 100));
    api.latencyMs = 5;
    await tenantNodesProvider.create(acme([claim("acme-q1", Q1, range(1, 100))]));
    expect(api.patched()).toHaveLength(100);
    expect(api.maxInFlight).toBe(3);
  });

  it("fails read, update and delete with the message as the stack (the plugin prints the stack)", async () => {
    pooled(range(1, 2));
    const inputs = acme([claim("acme-q1", Q1, range(1, 2))]);
    const outs = await created(inputs);
    // A node not labelled for the tenant is read by a GET of its own.
    api.edit("gpu-002", (n) => delete n.labels["leasehold.io/tenant"]);
    api.fault = (r) =>
      r.method === "GET" && r.name === "gpu-002"
        ? { status: 500, body: { kind: "Status", message: "etcdserver: request timed out" } }
        : undefined;
    const operations = [
      () => tenantNodesProvider.read!("tenant/acme", outs),
      () => tenantNodesProvider.update!("tenant/acme", outs, acme([claim("acme-q2", Q2, range(1, 2))])),
      () => tenantNodesProvider.delete!("tenant/acme", outs),
    ];
    for (const operation of operations) {
      const e = await failureOf(operation());
      expect(e.message).toBe("get node gpu-002: 500 etcdserver: request timed out");
      expect(e.stack).toBe(e.message);
    }
    api.fault = (r) =>
      r.list ? { status: 503, body: { kind: "Status", message: "the server is currently unable to handle the request" } } : undefined;
    for (const operation of operations) {
      const e = await failureOf(operation());
      expect(e.message).toBe("list node (leasehold.io/tenant=acme): 503 the server is currently unable to handle the request");
      expect(e.stack).toBe(e.message);
    }
  });

  it("fails a write of one node with the API server's message, naming the node, after writing the others", async () => {
    pooled(range(1, 3));
    api.fault = (r) =>
      r.method === "PATCH" && r.name === "gpu-001"
        ? { status: 403, body: { kind: "Status", message: 'nodes "gpu-001" is forbidden' } }
        : undefined;
    const e = await failureOf(tenantNodesProvider.create(acme([claim("acme-q1", Q1, range(1, 3))])));
    expect(e.message).toBe(
      `claiming tenant acme's nodes: 1 node(s) failed (gpu-001: 403 nodes "gpu-001" is forbidden); the other 2 node(s) were written and are consistent: deploy again to finish`,
    );
    expect(e.stack).toBe(e.message);
    expect(shape(api.node("gpu-003"))).toEqual(heldShape("gpu-003", "acme", "acme-q1", Q1));
  });
});

describe("PoolNodes provider", () => {
  const poolInputs = (pools: PoolNodesInputs["pools"]): PoolNodesInputs =>
    ({ kubeconfig: api.kubeconfig(), fieldManager: "leasehold-pools", pools, __provider: LOADER }) as PoolNodesInputs;
  const poolState = (inputs: PoolNodesInputs): PoolNodesState => ({ ...inputs, conforming: true });
  const legacy = (lease: string): Taint =>
    lease === "" ? { key: "leasehold.io/lease", effect: "NoExecute" } : { key: "leasehold.io/lease", value: lease, effect: "NoExecute" };

  function cluster() {
    api.add("gpu-001", { taints: [notReady] });
    api.add("gpu-002", {
      labels: { "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" },
      annotations: { "leasehold.io/lease-start": Q1 },
      taints: [entry("acme")],
    });
    api.add("gpu-003", { taints: [legacy("bluefin-old"), notReady] });
    api.add("gpu-004", { taints: [legacy(""), notReady] });
    api.add("gpu-005");
  }
  const h100 = (nodes: string[]) => ({ pool: "h100", gpuType: "h100-80gb", nodes });
  const poolLabels = { "leasehold.io/pool": "h100", "leasehold.io/gpu-type": "h100-80gb" };

  it("create labels every node of a pool and closes the unheld ones with the idle entry; a held node keeps its taints", async () => {
    cluster();
    const inputs = poolInputs([h100(range(1, 4)), { pool: "a100", gpuType: "a100-40gb", nodes: ["gpu-005"] }]);
    const { id, outs } = await poolNodesProvider.create(inputs);
    expect(id).toBe("pools");
    expect(outs).toEqual({ ...inputs, conforming: true });
    expect(shape(api.node("gpu-001"))).toEqual({ labels: poolLabels, annotations: {}, taints: [notReady, idle] });
    expect(shape(api.node("gpu-002"))).toEqual({
      labels: { ...poolLabels, "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" },
      annotations: { "leasehold.io/lease-start": Q1 },
      taints: [entry("acme")],
    });
    // Held under the earlier key by a stack not yet migrated: left to it.
    expect(api.taints("gpu-003")).toEqual([legacy("bluefin-old"), notReady]);
    // The earlier key's idle entry: replaced by the new one.
    expect(api.taints("gpu-004")).toEqual([notReady, idle]);
    expect(shape(api.node("gpu-005"))).toEqual({
      labels: { "leasehold.io/pool": "a100", "leasehold.io/gpu-type": "a100-40gb" },
      annotations: {},
      taints: [idle],
    });
    for (const n of range(1, 5))
      expect(api.node(n)!.metadata.managedFields!.some((f) => f.manager === "leasehold-pools" && f.operation === "Apply")).toBe(true);
  });

  it("a no-op diff reads and writes nothing; an idle entry removed by hand is drift that update writes back on that node only", async () => {
    cluster();
    const inputs = poolInputs([h100(range(1, 5))]);
    const outs = await createdPools(inputs);
    api.seen = [];
    expect(await poolNodesProvider.diff!("pools", outs, inputs)).toEqual({ changes: false });
    expect(api.seen.every((s) => s.method === "GET")).toBe(true);
    api.edit("gpu-001", (n) => (n.taints = [notReady]), "kubectl-taint");
    expect(await poolNodesProvider.diff!("pools", outs, inputs)).toEqual({ changes: true });
    expect((await poolNodesProvider.read!("pools", outs)).props).toEqual({ ...outs, conforming: false });
    api.seen = [];
    await poolNodesProvider.update!("pools", outs, inputs);
    expect(api.patched()).toEqual(["gpu-001"]);
    expect(api.taints("gpu-001")).toEqual([notReady, idle]);
  });

  it("a node that leaves the pools loses the pool labels and the idle entry; delete does so for all, leaving a tenant's entry", async () => {
    cluster();
    const inputs = poolInputs([h100(range(1, 4))]);
    const outs = await createdPools(inputs);
    api.seen = [];
    const { outs: fewer } = await poolNodesProvider.update!("pools", outs, poolInputs([h100(range(2, 4))]));
    expect(api.patched()).toEqual(["gpu-001"]);
    expect(shape(api.node("gpu-001"))).toEqual({ labels: {}, annotations: {}, taints: [notReady] });
    await poolNodesProvider.delete!("pools", fewer!);
    expect(shape(api.node("gpu-002"))).toEqual({
      labels: { "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" },
      annotations: { "leasehold.io/lease-start": Q1 },
      taints: [entry("acme")],
    });
    expect(shape(api.node("gpu-004"))).toEqual({ labels: {}, annotations: {}, taints: [notReady] });
  });

  it("fails naming a pool node that does not exist, after writing the others", async () => {
    api.add("gpu-001");
    const e = await failureOf(poolNodesProvider.create(poolInputs([h100(["gpu-001", "gpu-404"])])));
    expect(e.message).toBe(
      "labelling the pools' nodes: 1 node(s) failed (gpu-404: does not exist in the cluster); the other 1 node(s) were written and are consistent: deploy again to finish",
    );
    expect(e.stack).toBe(e.message);
    expect(api.taints("gpu-001")).toEqual([idle]);
  });

  it("reads a large pool by LIST and keeps 16 requests in flight at most", async () => {
    for (const n of range(1, 300)) api.add(n, { taints: [notReady] });
    api.latencyMs = 40;
    const outs = await createdPools(poolInputs([h100(range(1, 300))]));
    expect(gets()).toEqual([]);
    expect(api.patched()).toHaveLength(300);
    expect(api.maxInFlight).toBe(16);
    api.seen = [];
    expect(await poolNodesProvider.diff!("pools", outs, poolInputs([h100(range(1, 300))]))).toEqual({ changes: false });
    expect(api.patched()).toEqual([]);
    // Other pools than the state's: a change, judged without reading a node.
    api.seen = [];
    expect(await poolNodesProvider.diff!("pools", poolState(poolInputs([h100(range(1, 300))])), poolInputs([h100(range(1, 299))]))).toEqual(
      {
        changes: true,
      },
    );
    expect(api.seen).toEqual([]);
  });
});
