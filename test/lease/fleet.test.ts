import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { checkFleet, fleetAt } from "../../lease/fleet";
import { loadStackText, type Stack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";

// Fleets built from real stack texts through the real loader, so the rules see what the CLI sees.

interface LeaseSpec {
  id: string;
  count: number;
  start: string;
  end: string;
  pool?: string;
  type?: string;
  nodes?: string[];
  noticeHours?: number;
  notice?: { issuedAt: string; effectiveAt: string; reason: string; emergency?: boolean };
}

function platform(
  name = "platform-local",
  pools: object[] = [{ name: "h100-a", gpuType: "h100-80gb", nodes: ["n1", "n2", "n3", "n4"] }],
  cluster: object = { provider: "existing" },
): Stack {
  return load(`stacks/Pulumi.${name}.yaml`, { "leasehold:role": "platform", "leasehold:cluster": cluster, "leasehold:pools": pools });
}

function tenant(name: string, leases: LeaseSpec[], platformName = "platform-local"): Stack {
  return load(`stacks/Pulumi.tenant-${name}.yaml`, {
    "leasehold:role": "tenant",
    "leasehold:platform": platformName,
    "leasehold:tenant": { name },
    "leasehold:leases": leases.map((l) => ({
      id: l.id,
      gpu: { type: l.type ?? "h100-80gb", count: l.count },
      window: { start: l.start, end: l.end },
      placement: l.nodes === undefined ? { pool: l.pool ?? "h100-a" } : { pool: l.pool ?? "h100-a", nodes: l.nodes },
      reclaim: l.notice ? { noticeHours: l.noticeHours ?? 72, notice: l.notice } : { noticeHours: l.noticeHours ?? 72 },
    })),
  });
}

function load(file: string, config: object): Stack {
  const r = loadStackText(file, stringify({ config }));
  if (!r.ok) throw new Error(`test fixture invalid: ${r.problems.map(formatProblem).join("; ")}`);
  return r.stack;
}

const messages = (stacks: Stack[]) => checkFleet(stacks).map(formatProblem);

describe("pool capacity at every instant", () => {
  it("accepts overlapping leases that exactly fill the pool", () => {
    const stacks = [
      platform(),
      tenant("a", [{ id: "a1", count: 16, start: "2027-01-01T00:00:00Z", end: "2027-03-01T00:00:00Z", nodes: ["n1", "n2"] }]),
      tenant("b", [{ id: "b1", count: 16, start: "2027-02-01T00:00:00Z", end: "2027-04-01T00:00:00Z", nodes: ["n3", "n4"] }]),
    ];
    expect(messages(stacks)).toEqual([]);
  });

  // On an existing cluster the pool's capacity follows from its nodes and node exclusivity; on EKS
  // (maxNodes) only the sweep over windows can see an oversubscription.
  it("finds an oversubscription that only appears while three leases overlap at once, and names them", () => {
    const eks = { provider: "eks", name: "gpu", version: "1.33", vpcCidr: "10.40.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b"] };
    // maxNodes 4 x 8 = 32 GPUs. Pairwise sums are 24, 28, 28; the three together (40) overflow,
    // and only between Feb 15 and Mar 1, when all three are in force.
    const stacks = [
      platform("platform-aws", [{ name: "p5", gpuType: "h100-80gb", maxNodes: 4 }], eks),
      tenant("a", [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-03-01T00:00:00Z", pool: "p5" }], "platform-aws"),
      tenant("b", [{ id: "b1", count: 16, start: "2027-02-01T00:00:00Z", end: "2027-04-01T00:00:00Z", pool: "p5" }], "platform-aws"),
      tenant("c", [{ id: "c1", count: 16, start: "2027-02-15T00:00:00Z", end: "2027-05-01T00:00:00Z", pool: "p5" }], "platform-aws"),
    ];
    expect(messages(stacks)).toEqual([
      "stacks/Pulumi.tenant-c.yaml: leasehold:leases[0].gpu.count: pool p5 of platform-aws holds 4 nodes of 8 GPUs (maxNodes), but from 2027-02-15T00:00:00Z its leases in force would take 5 nodes (a node group holds whole nodes): a1 (8 GPUs, 1 node), b1 (16 GPUs, 2 nodes), c1 (16 GPUs, 2 nodes)",
    ]);
    // Move c1 to start the instant a1 ends: no instant has all three, so it fits.
    const shifted = [
      ...stacks.slice(0, 3),
      tenant("c", [{ id: "c1", count: 16, start: "2027-03-01T00:00:00Z", end: "2027-05-01T00:00:00Z", pool: "p5" }], "platform-aws"),
    ];
    expect(messages(shifted)).toEqual([]);
  });

  it("treats a window ending exactly when the next starts as no overlap, whatever the offsets", () => {
    const eks = { provider: "eks", name: "gpu", version: "1.33", vpcCidr: "10.40.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b"] };
    const stacks = [
      platform("platform-aws", [{ name: "p5", gpuType: "h100-80gb", maxNodes: 1 }], eks),
      tenant("a", [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T09:00:00+09:00", pool: "p5" }], "platform-aws"),
      tenant("b", [{ id: "b1", count: 8, start: "2027-02-01T00:00:00Z", end: "2027-03-01T00:00:00Z", pool: "p5" }], "platform-aws"),
    ];
    expect(messages(stacks)).toEqual([]);
    // One second of overlap is enough to overflow.
    const overlap = [
      stacks[0]!,
      stacks[1]!,
      tenant("b", [{ id: "b1", count: 8, start: "2027-01-31T23:59:59Z", end: "2027-03-01T00:00:00Z", pool: "p5" }], "platform-aws"),
    ];
    expect(messages(overlap)).toHaveLength(1);
    expect(messages(overlap)[0]).toContain("from 2027-01-31T23:59:59Z its leases in force would take 2 nodes");
  });

  it("counts whole nodes per lease on EKS: three 4-GPU leases overflow a 2-node pool although 12 GPUs < 16", () => {
    const eks = { provider: "eks", name: "gpu", version: "1.33", vpcCidr: "10.40.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b"] };
    const window = { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", pool: "p5" };
    const two = [
      platform("platform-aws", [{ name: "p5", gpuType: "h100-80gb", maxNodes: 2 }], eks),
      tenant("a", [{ id: "a1", count: 4, ...window }], "platform-aws"),
      tenant("b", [{ id: "b1", count: 4, ...window }], "platform-aws"),
    ];
    expect(messages(two)).toEqual([]);
    const three = [...two, tenant("c", [{ id: "c1", count: 4, ...window }], "platform-aws")];
    expect(messages(three)).toEqual([
      "stacks/Pulumi.tenant-c.yaml: leasehold:leases[0].gpu.count: pool p5 of platform-aws holds 2 nodes of 8 GPUs (maxNodes), but from 2027-01-01T00:00:00Z its leases in force would take 3 nodes (a node group holds whole nodes): a1 (4 GPUs, 1 node), b1 (4 GPUs, 1 node), c1 (4 GPUs, 1 node)",
    ]);
  });

  it("frees a reclaimed lease's GPUs from its notice's effectiveAt on", () => {
    const eks = { provider: "eks", name: "gpu", version: "1.33", vpcCidr: "10.40.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b"] };
    const notice = { issuedAt: "2027-01-10T00:00:00Z", effectiveAt: "2027-01-13T00:00:00Z", reason: "maintenance" };
    const stacks = [
      platform("platform-aws", [{ name: "p5", gpuType: "h100-80gb", maxNodes: 1 }], eks),
      tenant("a", [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-06-01T00:00:00Z", pool: "p5", notice }], "platform-aws"),
      tenant("b", [{ id: "b1", count: 8, start: "2027-01-13T00:00:00Z", end: "2027-03-01T00:00:00Z", pool: "p5" }], "platform-aws"),
    ];
    expect(messages(stacks)).toEqual([]);
    // Starting during the notice is too early: the lease in notice is still in force.
    const early = [
      stacks[0]!,
      stacks[1]!,
      tenant("b", [{ id: "b1", count: 8, start: "2027-01-12T00:00:00Z", end: "2027-03-01T00:00:00Z", pool: "p5" }], "platform-aws"),
    ];
    expect(messages(early)).toHaveLength(1);
  });
});

describe("node exclusivity", () => {
  it("accepts a back-to-back pair on the same node and refuses an overlap, naming the holder", () => {
    const stacks = [
      platform(),
      tenant("a", [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1"] }]),
      tenant("b", [{ id: "b1", count: 8, start: "2027-02-01T00:00:00Z", end: "2027-03-01T00:00:00Z", nodes: ["n1"] }]),
    ];
    expect(messages(stacks)).toEqual([]);
    const overlapping = [
      stacks[0]!,
      stacks[1]!,
      tenant("b", [{ id: "b1", count: 16, start: "2027-01-20T00:00:00Z", end: "2027-03-01T00:00:00Z", nodes: ["n2", "n1"] }]),
    ];
    expect(messages(overlapping)).toEqual([
      "stacks/Pulumi.tenant-b.yaml: leasehold:leases[0].placement.nodes[1]: node n1 is leased to a1 (stacks/Pulumi.tenant-a.yaml) until 2027-02-01T00:00:00Z, but this lease takes it from 2027-01-20T00:00:00Z",
    ]);
  });

  it("catches a lease nested inside a long one even when a short lease in between ends first", () => {
    const stacks = [
      platform(),
      tenant("a", [
        { id: "long", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-12-01T00:00:00Z", nodes: ["n1"] },
        { id: "late", count: 8, start: "2027-06-01T00:00:00Z", end: "2027-07-01T00:00:00Z", nodes: ["n1"] },
      ]),
    ];
    expect(messages(stacks)).toHaveLength(1);
    expect(messages(stacks)[0]).toContain("node n1 is leased to long");
  });
});

describe("placement rules", () => {
  it("refuses a missing platform, an unknown pool, a GPU type that differs from the pool's, and nodes outside the pool", () => {
    const stacks = [
      platform(),
      tenant("a", [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1"] }], "platform-prod"),
      tenant("b", [
        { id: "b1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", pool: "nope", nodes: ["n1"] },
        { id: "b2", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", type: "l40s", nodes: ["n1"] },
        { id: "b3", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["gpu-999"] },
      ]),
    ];
    expect(messages(stacks)).toEqual([
      'stacks/Pulumi.tenant-a.yaml: leasehold:platform: expected a platform stack of this folder (platform-local), got "platform-prod"',
      'stacks/Pulumi.tenant-b.yaml: leasehold:leases[0].placement.pool: expected a pool of platform-local (h100-a), got "nope"',
      'stacks/Pulumi.tenant-b.yaml: leasehold:leases[1].gpu.type: expected h100-80gb, the GPU type of pool h100-a, got "l40s"',
      'stacks/Pulumi.tenant-b.yaml: leasehold:leases[2].placement.nodes[0]: expected a node of pool h100-a (n[1-4]), got "gpu-999"',
    ]);
  });

  it("refuses more leased nodes than the GPUs need, which would hold capacity no quota lets the tenant use", () => {
    const extra = [
      platform(),
      tenant("a", [{ id: "a1", count: 9, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1", "n2", "n3"] }]),
    ];
    expect(messages(extra)).toEqual([
      "stacks/Pulumi.tenant-a.yaml: leasehold:leases[0].placement.nodes: 9 h100-80gb GPUs need 2 node(s) of 8, but the lease holds 3: n1, n2, n3",
    ]);
  });

  it("refuses fewer leased nodes than the GPUs need and accepts exactly enough", () => {
    const short = [
      platform(),
      tenant("a", [{ id: "a1", count: 17, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1", "n2"] }]),
    ];
    expect(messages(short)).toEqual([
      "stacks/Pulumi.tenant-a.yaml: leasehold:leases[0].placement.nodes: 2 node(s) x 8 h100-80gb GPUs per node hold 16 GPUs, but the lease is for 17",
    ]);
    const enough = [
      platform(),
      tenant("a", [{ id: "a1", count: 16, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1", "n2"] }]),
    ];
    expect(messages(enough)).toEqual([]);
  });

  it("requires nodes on an existing cluster and forbids them on EKS", () => {
    const noNodes = [platform(), tenant("a", [{ id: "a1", count: 16, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" }])];
    expect(messages(noNodes)).toEqual([
      "stacks/Pulumi.tenant-a.yaml: leasehold:leases[0].placement.nodes: is required on an existing cluster (platform platform-local): expected at least 2 node(s) of pool h100-a",
    ]);
    const eks = { provider: "eks", name: "gpu", version: "1.33", vpcCidr: "10.40.0.0/16", availabilityZones: ["us-east-2a", "us-east-2b"] };
    const withNodes = [
      platform("platform-aws", [{ name: "p5", gpuType: "h100-80gb", maxNodes: 2 }], eks),
      tenant(
        "a",
        [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", pool: "p5", nodes: ["n1"] }],
        "platform-aws",
      ),
    ];
    expect(messages(withNodes)[0]).toContain("leasehold:leases[0].placement.nodes: is only for existing clusters");
  });

  it("refuses a lease id used twice across the fleet and names both places", () => {
    const stacks = [
      platform(),
      tenant("a", [{ id: "same", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1"] }]),
      tenant("b", [{ id: "same", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n2"] }]),
    ];
    expect(messages(stacks)).toEqual([
      'stacks/Pulumi.tenant-b.yaml: leasehold:leases[0].id: expected a lease id unique across the fleet, but stacks/Pulumi.tenant-a.yaml leasehold:leases[0] has it too, got "same"',
    ]);
  });

  it("uses the platform's own catalog additions for GPUs per node", () => {
    const p = load("stacks/Pulumi.platform-local.yaml", {
      "leasehold:role": "platform",
      "leasehold:cluster": { provider: "existing" },
      "leasehold:gpuTypes": { "h100-80gb": { gpusPerNode: 4 } },
      "leasehold:pools": [{ name: "h100-a", gpuType: "h100-80gb", nodes: ["n1", "n2"] }],
    });
    const t = tenant("a", [{ id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z", nodes: ["n1"] }]);
    expect(messages([p, t])[0]).toContain("1 node(s) x 4 h100-80gb GPUs per node hold 4 GPUs, but the lease is for 8");
  });
});

describe("the fleet at an instant", () => {
  it("counts only leases in force (a lease in notice still counts; reclaimed and ended ones do not)", () => {
    const notice = { issuedAt: "2027-01-10T00:00:00Z", effectiveAt: "2027-01-13T00:00:00Z", reason: "maintenance" };
    const stacks = [
      platform(),
      tenant("a", [
        { id: "a1", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-06-01T00:00:00Z", nodes: ["n1"], notice },
        { id: "a2", count: 8, start: "2027-01-01T00:00:00Z", end: "2027-01-12T00:00:00Z", nodes: ["n2"] },
        { id: "a3", count: 16, start: "2027-02-01T00:00:00Z", end: "2027-03-01T00:00:00Z", nodes: ["n3", "n4"] },
      ]),
    ];
    const at = (t: string) => fleetAt(stacks, Date.parse(t));
    expect(at("2027-01-11T00:00:00Z").pools[0]!.leased).toBe(16);
    expect(at("2027-01-11T00:00:00Z").leases.map((l) => l.state)).toEqual(["notice", "active", "pending"]);
    expect(at("2027-01-12T00:00:00Z").pools[0]!.leased).toBe(8);
    expect(at("2027-01-13T00:00:00Z").pools[0]!.leased).toBe(0);
    expect(at("2027-02-01T00:00:00Z").leases.map((l) => l.state)).toEqual(["reclaimed", "ended", "active"]);
    expect(at("2027-02-01T00:00:00Z").pools[0]!).toMatchObject({ leased: 16, capacity: 32 });
  });
});
