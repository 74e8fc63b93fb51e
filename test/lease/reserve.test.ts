import { describe, expect, it } from "vitest";
import { judgeWorkload } from "../../lease/admit";
import { BUILTIN_CATALOG, mergeCatalog } from "../../lease/catalog";
import { instant } from "../../lease/fields";
import { leaseReserves, reserveDeployment, reserveName, RESERVE_PRIORITY_CLASS, SYSTEM_NAMESPACE } from "../../lease/reserve";
import { leaseSchema, type Lease } from "../../lease/schema";
import { reachableNodes } from "../../lease/workloads";

// A lease holds whole nodes; its reserve holds what its count leaves of them, so that the
// scheduler runs the tenant on exactly its leases' counts, per lease and so per GPU type.

const AT = instant("2027-01-15T00:00:00Z");
const lease = (
  id: string,
  type: string,
  count: number,
  nodes?: string[],
  window = { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" },
): Lease =>
  leaseSchema.parse({
    id,
    gpu: { type, count },
    window,
    placement: { pool: "p", ...(nodes ? { nodes } : {}) },
    reclaim: { noticeHours: 72 },
  });

describe("leaseReserves", () => {
  it("a lease of whole nodes has none; 12 GPUs on 8-GPU nodes hold 4 on the last node", () => {
    expect(leaseReserves("acme", [lease("a", "h100-80gb", 16, ["gpu-001", "gpu-002"])], BUILTIN_CATALOG, AT)).toEqual([]);
    expect(leaseReserves("acme", [lease("a", "h100-80gb", 12, ["gpu-001", "gpu-002"])], BUILTIN_CATALOG, AT)).toEqual([
      {
        lease: "a",
        gpuType: "h100-80gb",
        resource: "nvidia.com/gpu",
        nodeUnits: 16,
        granted: 12,
        units: 4,
        node: "gpu-002",
        name: "reserve-acme-gpu-002-5eeab8157e",
      },
    ]);
    expect(leaseReserves("acme", [lease("a", "l40s", 1, ["l40s-001"])], BUILTIN_CATALOG, AT)[0]?.units).toBe(7);
    // The last node in name order, whatever order the file writes them in (a renewal that lists
    // the same nodes otherwise keeps its reserve where it is).
    expect(leaseReserves("acme", [lease("a", "h100-80gb", 12, ["gpu-002", "gpu-001"])], BUILTIN_CATALOG, AT)[0]?.node).toBe("gpu-002");
  });

  it("only leases in force at the instant; one reserve per lease, on each lease's own last node", () => {
    const leases = [
      lease("past", "h100-80gb", 4, ["gpu-001"], { start: "2026-01-01T00:00:00Z", end: "2027-01-01T00:00:00Z" }),
      lease("h", "h100-80gb", 12, ["gpu-002", "gpu-003"]),
      lease("l", "l40s", 4, ["l40s-001"]),
      lease("future", "h100-80gb", 4, ["gpu-004"], { start: "2027-01-20T00:00:00Z", end: "2027-02-01T00:00:00Z" }),
    ];
    expect(leaseReserves("acme", leases, BUILTIN_CATALOG, AT).map((r) => [r.lease, r.node, r.units])).toEqual([
      ["h", "gpu-003", 4],
      ["l", "l40s-001", 4],
    ]);
    // The boundary: a window is [start, end).
    expect(leaseReserves("acme", leases, BUILTIN_CATALOG, instant("2027-01-20T00:00:00Z")).map((r) => r.lease)).toEqual([
      "h",
      "l",
      "future",
    ]);
  });

  it("the type's own resource and GPUs per node (a MIG profile of 7 per GPU x 8 GPUs)", () => {
    const catalog = mergeCatalog({ mig: { ...BUILTIN_CATALOG["h100-80gb"], gpusPerNode: 56, resource: "nvidia.com/mig-1g.10gb" } });
    expect(leaseReserves("acme", [lease("m", "mig", 50, ["n1"])], catalog, AT)).toMatchObject([
      { resource: "nvidia.com/mig-1g.10gb", nodeUnits: 56, units: 6 },
    ]);
  });

  it("with no named node (a node group), the reserve is the lease's and runs on any of its nodes", () => {
    const [r] = leaseReserves("acme", [lease("grp", "h100-80gb", 9)], BUILTIN_CATALOG, AT);
    expect(r).toMatchObject({ lease: "grp", units: 7, name: "reserve-acme-grp-2b3e85c2a5" });
    expect(r!.node).toBeUndefined();
    const spec = reserveDeployment("acme", r!).spec.template.spec;
    expect(spec.nodeSelector).toEqual({ "leasehold.io/tenant": "acme", "leasehold.io/lease": "grp" });
    expect(spec).not.toHaveProperty("affinity");
  });
});

describe("reserveName", () => {
  it("is the tenant and the node (a renewal on the same nodes keeps it), a DNS label of at most 63 characters", () => {
    expect(reserveName("acme", { lease: "a", node: "gpu-002" })).toBe("reserve-acme-gpu-002-5eeab8157e");
    // Another lease on the same node keeps it (a renewal); another tenant never shares it, even
    // where the readable parts read alike (team on a-gpu-001, team-a on gpu-001).
    expect(reserveName("acme", { lease: "b", node: "gpu-002" })).toBe("reserve-acme-gpu-002-5eeab8157e");
    expect(reserveName("team", { lease: "t", node: "a-gpu-001" })).not.toBe(reserveName("team-a", { lease: "t", node: "gpu-001" }));
    expect(reserveName("team", { lease: "a-x" })).not.toBe(reserveName("team-a", { lease: "x" }));
    const long = reserveName("a".repeat(63), { lease: "x", node: `rack-12.row-4.hall-b.${"n".repeat(200)}` });
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    // Distinct long names stay distinct (the hash is of the whole).
    expect(reserveName("a".repeat(63), { lease: "x", node: "n1" })).not.toBe(reserveName("a".repeat(63), { lease: "x", node: "n2" }));
    // Two tenants on one node (a handover) never share a reserve.
    expect(reserveName("acme", { lease: "a", node: "gpu-002" })).not.toBe(reserveName("bluefin", { lease: "b", node: "gpu-002" }));
  });
});

describe("reserveDeployment", () => {
  const [r] = leaseReserves("acme", [lease("a", "h100-80gb", 12, ["gpu-001", "gpu-002"])], BUILTIN_CATALOG, AT);
  const d = reserveDeployment("acme", r!);
  const pod = d.spec.template.spec;

  it("is one pod, in leasehold-system, at the reserve PriorityClass, recreated rather than surged", () => {
    expect(d.metadata).toMatchObject({ name: "reserve-acme-gpu-002-5eeab8157e", namespace: SYSTEM_NAMESPACE });
    expect(d.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    expect(pod.priorityClassName).toBe(RESERVE_PRIORITY_CLASS.name);
    expect(RESERVE_PRIORITY_CLASS.value).toBe(1_000_000_000);
    expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
  });

  it("holds the remainder of the lease's resource, on its last node only while its tenant holds it", () => {
    expect(pod.containers[0]!.resources.requests["nvidia.com/gpu"]).toBe("4");
    expect(pod.containers[0]!.resources.limits["nvidia.com/gpu"]).toBe("4");
    expect(pod.nodeSelector).toEqual({ "leasehold.io/tenant": "acme" });
    expect(pod.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["gpu-002"] }] },
    ]);
    // Its tenant's taint only: the node's release evicts it with the tenant's pods.
    expect(pod.tolerations).toEqual([
      { key: "leasehold.io/tenant", operator: "Equal", value: "acme", effect: "NoExecute" },
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
  });
});

describe("reachableNodes: the leases in force whose nodes a pod's selectors reach", () => {
  const leases = [
    { id: "h1", gpuType: "h100-80gb", pool: "h100-a", nodes: ["gpu-001", "gpu-002"] },
    { id: "h2", gpuType: "h100-80gb", pool: "h100-b", nodes: ["gpu-009"] },
    { id: "l", gpuType: "l40s", pool: "l40s-a", nodes: ["l40s-001"] },
  ];
  const ids = (spec: object) => [
    ...new Set(
      reachableNodes(
        spec as Record<string, unknown>,
        "acme",
        leases.map((l) => ({ ...l, nodeCount: l.nodes.length })),
      ).map((n) => n.lease.id),
    ),
  ];
  const terms = (...t: object[]) => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: t } } },
  });

  it("by nodeSelector: a lease, the tenant, a GPU type, a pool; another tenant's label reaches none", () => {
    expect(ids({ nodeSelector: { "leasehold.io/lease": "h1" } })).toEqual(["h1"]);
    expect(ids({ nodeSelector: { "leasehold.io/tenant": "acme" } })).toEqual(["h1", "h2", "l"]);
    expect(ids({ nodeSelector: { "leasehold.io/tenant": "acme", "leasehold.io/gpu-type": "h100-80gb" } })).toEqual(["h1", "h2"]);
    expect(ids({ nodeSelector: { "leasehold.io/pool": "h100-b" } })).toEqual(["h2"]);
    expect(ids({ nodeSelector: { "leasehold.io/tenant": "bluefin" } })).toEqual([]);
    // Other keys narrow nodes within a lease, never add one.
    expect(ids({ nodeSelector: { "leasehold.io/lease": "h1", "topology.kubernetes.io/zone": "a" } })).toEqual(["h1"]);
  });

  it("by required node affinity: any term, every expression of it; NotIn, Exists, DoesNotExist; matchFields on node names", () => {
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["h2", "l"] }] }))).toEqual(["h2", "l"]);
    expect(
      ids(
        terms(
          { matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["h1"] }] },
          { matchExpressions: [{ key: "leasehold.io/gpu-type", operator: "In", values: ["l40s"] }] },
        ),
      ),
    ).toEqual(["h1", "l"]);
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/gpu-type", operator: "NotIn", values: ["l40s"] }] }))).toEqual(["h1", "h2"]);
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/lease", operator: "Exists" }] }))).toEqual(["h1", "h2", "l"]);
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/lease", operator: "DoesNotExist" }] }))).toEqual([]);
    expect(ids(terms({ matchFields: [{ key: "metadata.name", operator: "In", values: ["gpu-002"] }] }))).toEqual(["h1"]);
    // An empty term matches no node (core/v1 NodeSelectorTerm).
    expect(ids(terms({}))).toEqual([]);
    // nodeSelector and affinity both apply.
    expect(
      ids({
        nodeSelector: { "leasehold.io/gpu-type": "h100-80gb" },
        ...terms({ matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["h2", "l"] }] }),
      }),
    ).toEqual(["h2"]);
  });
});

describe("admit's Pending warning: pods of a size the leases' counts run, per node", () => {
  // Beside an L40S lease of 64 (another node set, quota headroom), pods pinned to lease a.
  const headroom = lease("l", "l40s", 64, ["l40s-001", "l40s-002", "l40s-003", "l40s-004", "l40s-005", "l40s-006", "l40s-007", "l40s-008"]);
  const pod = (gpus: number) => ({
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    nodeSelector: { "leasehold.io/lease": "a" },
    tolerations: [{ key: "leasehold.io/tenant", operator: "Equal", value: "acme", effect: "NoExecute" }],
    containers: [
      {
        name: "c",
        image: "x",
        resources: { limits: { "nvidia.com/gpu": String(gpus) } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
  });
  const pending = (kind: "Deployment" | "DaemonSet", count: number, perPod: number, replicas = 1, nodes = 2) => {
    const a = lease(
      "a",
      "h100-80gb",
      count,
      Array.from({ length: nodes }, (_, i) => `gpu-00${i + 1}`),
    );
    const spec = {
      replicas,
      strategy: { type: "Recreate" },
      selector: { matchLabels: { x: "y" } },
      template: { metadata: { labels: { x: "y" } }, spec: pod(perPod) },
    };
    if (kind === "DaemonSet") delete (spec as Partial<typeof spec>).replicas;
    const j = judgeWorkload(
      kind,
      { kind, metadata: { name: "w" }, spec },
      { tenant: { name: "acme" } as never, leases: [a, headroom] },
      { catalog: BUILTIN_CATALOG },
      AT,
    );
    expect(j.violations, JSON.stringify(j.violations)).toEqual([]);
    return j.warnings.map((w) => w.message).filter((m) => m.includes("would stay Pending"));
  };
  /** The most replicas of `perPod` that draw no Pending warning. */
  const room = (count: number, perPod: number) => {
    let n = 0;
    while (pending("Deployment", count, perPod, n + 1).length === 0) n++;
    return n;
  };

  it("counts whole pods per node, the last node only what the count leaves", () => {
    expect(room(12, 8)).toBe(1);
    expect(room(12, 4)).toBe(3);
    expect(room(12, 1)).toBe(12);
    expect(room(12, 3)).toBe(2 + 1); // 8 -> 2 pods, 4 -> 1 pod
    expect(room(16, 8)).toBe(2);
    expect(pending("Deployment", 12, 8, 2)).toEqual([
      "Deployment requests 8 nvidia.com/gpu per pod x 2 pod(s), but the nodes it selects (a (12 h100-80gb)) give tenant acme room for 1 such pod(s) at 2027-01-15T00:00:00Z: a lease runs on no more than its count, whole nodes or not (a reserve holds the rest of its last node), so 1 would stay Pending.",
    ]);
  });

  it("a DaemonSet runs one pod on each node it reaches: the count's remainder on the last node may not hold one", () => {
    expect(pending("DaemonSet", 16, 8)).toEqual([]);
    expect(pending("DaemonSet", 12, 4)).toEqual([]);
    expect(pending("DaemonSet", 12, 8)[0]).toContain(
      "x 2 pod(s), but the nodes it selects (a (12 h100-80gb)) give tenant acme room for 1 such pod(s)",
    );
    expect(pending("DaemonSet", 17, 4, 1, 3)[0]).toContain("room for 2 such pod(s)");
  });
});
