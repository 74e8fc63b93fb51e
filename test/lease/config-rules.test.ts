import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadStackText } from "../../lease/load";
import { formatProblem } from "../../lease/problems";
import { compareQuantities, parseQuantity, quantityError } from "../../lease/quantity";

// Every schema rule of the stack config, each with a case it refuses (path and value named) and
// one it accepts, through the real loader.

const lease = (over: Record<string, unknown> = {}) => ({
  id: "acme-h100",
  gpu: { type: "h100-80gb", count: 8 },
  window: { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" },
  placement: { pool: "h100-a", nodes: ["gpu-001"] },
  reclaim: { noticeHours: 72 },
  ...over,
});
const tenantCfg = (over: Record<string, unknown> = {}, leases: unknown[] = [lease()]) => ({
  "leasehold:role": "tenant",
  "leasehold:platform": "platform-local",
  "leasehold:tenant": { name: "acme", ...over },
  "leasehold:leases": leases,
});
const platformCfg = (
  pools: unknown[] = [{ name: "h100-a", gpuType: "h100-80gb", nodes: ["gpu-001"] }],
  cluster: unknown = { provider: "existing" },
  extra: Record<string, unknown> = {},
) => ({
  "leasehold:role": "platform",
  "leasehold:cluster": cluster,
  "leasehold:pools": pools,
  ...extra,
});
const EKS = {
  provider: "eks",
  name: "gpu-prod",
  version: "1.33",
  vpcCidr: "10.40.0.0/16",
  availabilityZones: ["us-east-2a", "us-east-2b"],
};

function check(config: object, file = "stacks/Pulumi.tenant-acme.yaml"): string[] {
  const r = loadStackText(file, stringify({ config }));
  return r.ok ? [] : r.problems.map(formatProblem);
}
const T = (config: object) => check(config);
const P = (config: object) => check(config, "stacks/Pulumi.platform-local.yaml");
const F = "stacks/Pulumi.tenant-acme.yaml";
const PF = "stacks/Pulumi.platform-local.yaml";

describe("quantities", () => {
  it("parses and compares the forms Kubernetes accepts exactly", () => {
    expect(parseQuantity("1.5Gi").nanos).toBe(parseQuantity("1536Mi").nanos);
    expect(parseQuantity("2e3").nanos).toBe(parseQuantity("2k").nanos);
    expect(parseQuantity("500m").nanos).toBe(500_000_000n);
    expect(parseQuantity("0.1").nanos).toBe(parseQuantity("100m").nanos);
    expect(compareQuantities(parseQuantity("8Ti"), parseQuantity("8000Gi"))).toBe(1);
    expect(parseQuantity(1024).nanos).toBe(1024n * 1_000_000_000n);
    expect(parseQuantity("1n").nanos).toBe(1n);
    expect(parseQuantity("0.5n").nanos).toBe(1n); // finer than a nano-unit rounds up
  });
  it("refuses what Kubernetes refuses", () => {
    for (const bad of ["lots", "1.5.3", "10 Gi", "", "1Gb", "1e999999", "Gi", "--1"]) expect(quantityError(bad), bad).toBeDefined();
  });
});

describe("tenant stack schema", () => {
  it("accepts a complete tenant", () => {
    expect(
      T(
        tenantCfg({
          access: { admins: ["acme:admins"], viewers: [] },
          network: { egress: [{ cidr: "0.0.0.0/0", except: ["169.254.169.254/32"], ports: [443] }] },
          resources: { cpu: "1024", memory: "8Ti", storage: "1.5Gi", pods: 2000 },
        }),
      ),
    ).toEqual([]);
  });

  it("accepts the purge marker after the last lease, and refuses a wrong tenant, a bad time, a stray key or a live lease", () => {
    const purge = (marker: unknown) => ({ ...tenantCfg(), "leasehold:purge": marker });
    expect(T(purge({ tenant: "acme", confirmedAt: "2027-02-01T00:00:00Z" }))).toEqual([]);
    expect(T(purge({ tenant: "bluefin", confirmedAt: "2027-02-01T00:00:00Z" }))).toEqual([
      `${F}: leasehold:purge.tenant: expected the purge marker to name this stack's tenant acme (write it with leasehold purge), got "bluefin"`,
    ]);
    expect(T(purge({ tenant: "acme", confirmedAt: "2027-02-01" }))[1]).toMatch(
      /^stacks\/Pulumi\.tenant-acme\.yaml: leasehold:purge\.confirmedAt: expected an RFC 3339 time/,
    );
    expect(T(purge({ tenant: "acme", confirmedAt: "2027-02-01T00:00:00Z", by: "ops" }))[0]).toContain("leasehold:purge.by: unknown key");
    expect(T(purge({ tenant: "acme", confirmedAt: "2027-01-31T23:59:59Z" }))).toEqual([
      `${F}: leasehold:leases[0]: lease acme-h100 is in force until 2027-02-01T00:00:00Z, after the tenant was marked for purge at 2027-01-31T23:59:59Z; data under a live lease is never deleted (withdraw the purge with leasehold purge --cancel)`,
    ]);
  });

  it("refuses an unknown key, top level and nested, with a hint", () => {
    expect(T({ ...tenantCfg(), "leasehold:leese": [] })).toEqual([
      `${F}: leasehold:leese: unknown key for a tenant stack (did you mean leasehold:leases?); expected one of leasehold:role, leasehold:platform, leasehold:tenant, leasehold:leases, leasehold:purge`,
    ]);
    expect(T(tenantCfg({ nmae: "x" }))).toEqual([
      `${F}: leasehold:tenant.nmae: unknown key (did you mean name?); expected one of name, access, network, resources`,
    ]);
  });

  it("refuses a missing or wrong role", () => {
    expect(T({ "leasehold:tenant": { name: "acme" } })).toEqual([`${F}: leasehold:role: is required (expected platform or tenant)`]);
    expect(T({ "leasehold:role": "landlord" })).toEqual([`${F}: leasehold:role: expected platform or tenant, got "landlord"`]);
  });

  it("refuses names that are not DNS-1123 labels", () => {
    for (const bad of ["Acme", "acme_corp", "-acme", "a".repeat(64)]) {
      expect(T(tenantCfg({ name: bad })).join("\n"), bad).toContain("leasehold:tenant.name: expected a DNS-1123 label");
    }
    expect(T(tenantCfg({}, [lease({ id: "Big_Lease" })]))[0]).toContain(
      "leasehold:leases[0].id: expected a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit), got \"Big_Lease\"",
    );
  });

  it("refuses bad and negative quantities", () => {
    expect(T(tenantCfg({ resources: { cpu: "lots" } }))).toEqual([
      `${F}: leasehold:tenant.resources.cpu: expected a Kubernetes quantity such as 1024, 500m, 8Ti or 1.5Gi, got "lots"`,
    ]);
    expect(T(tenantCfg({ resources: { memory: "-1Gi" } }))).toEqual([
      `${F}: leasehold:tenant.resources.memory: expected a quantity of zero or more, got "-1Gi"`,
    ]);
    expect(T(tenantCfg({ resources: { cpu: "2e3", memory: "500m" } }))).toEqual([]);
  });

  it("refuses times without an offset, date-only times and impossible dates", () => {
    const at = (start: string) => T(tenantCfg({}, [lease({ window: { start, end: "2027-03-01T00:00:00Z" } })]));
    expect(at("2027-01-01T09:00:00+09:00")).toEqual([]);
    expect(at("2027-01-01T00:00:00")[0]).toContain(
      'leasehold:leases[0].window.start: expected an RFC 3339 time with an offset, such as 2026-12-01T00:00:00Z, got "2027-01-01T00:00:00"',
    );
    // Written plain, a date is also one the Pulumi CLI reads as a timestamp: both are said.
    expect(at("2027-01-01")).toEqual([
      expect.stringContaining("the Pulumi CLI"),
      expect.stringContaining("expected an RFC 3339 time with an offset"),
    ]);
    expect(at("2027-02-30T00:00:00Z")[0]).toContain("expected a real calendar time");
    expect(at("2027-01-01T24:00:00Z")[0]).toContain("expected a real calendar time");
  });

  it("refuses a window that does not end after it starts, comparing instants across offsets", () => {
    const w = (start: string, end: string) => T(tenantCfg({}, [lease({ window: { start, end } })]));
    expect(w("2027-02-01T00:00:00Z", "2027-01-01T00:00:00Z")).toEqual([
      `${F}: leasehold:leases[0].window.end: must be after start (2027-01-01T00:00:00Z <= 2027-02-01T00:00:00Z)`,
    ]);
    expect(w("2027-01-01T00:00:00Z", "2027-01-01T09:00:00+09:00")).toHaveLength(1);
    expect(w("2027-01-01T00:00:00Z", "2027-01-01T09:00:01+09:00")).toEqual([]);
  });

  it("refuses bad CIDRs, excepts outside their block, metadata as a destination, and bad ports", () => {
    const eg = (rule: object) => T(tenantCfg({ network: { egress: [rule] } }));
    expect(eg({ cidr: "fd00::/8", except: ["fd00:1::/32"] })).toEqual([]);
    for (const bad of ["10.0.0.0/33", "10.0.0.1", "fd00::/129"])
      expect(eg({ cidr: bad })[0], bad).toContain("leasehold:tenant.network.egress[0].cidr: expected a CIDR in canonical form");
    expect(eg({ cidr: "10.0.0.0/8", except: ["11.0.0.0/16"] })).toEqual([
      `${F}: leasehold:tenant.network.egress[0].except[0]: expected a block strictly inside 10.0.0.0/8 (ipv4), got "11.0.0.0/16"`,
    ]);
    expect(eg({ cidr: "10.0.0.0/8", except: ["fd00::/8"] })).toHaveLength(1);
    expect(eg({ cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] })).toHaveLength(1);
    expect(eg({ cidr: "169.254.169.254/32" })[0]).toContain("must not be a cloud metadata endpoint");
    for (const bad of [0, 65536, 1.5])
      expect(eg({ cidr: "0.0.0.0/0", ports: [bad] })[0], String(bad)).toContain(
        `ports[0]: expected a port number from 1 to 65535, got ${bad}`,
      );
  });

  it("refuses negative notice and duplicate ids and nodes; accepts zero notice", () => {
    expect(T(tenantCfg({}, [lease({ reclaim: { noticeHours: 0 } })]))).toEqual([]);
    expect(T(tenantCfg({}, [lease({ reclaim: { noticeHours: -1 } })]))[0]).toContain(
      "leasehold:leases[0].reclaim.noticeHours: expected the notice in hours, zero or more, got -1",
    );
    expect(T(tenantCfg({}, [lease(), lease()]))).toEqual([
      `${F}: leasehold:leases[1].id: expected a unique lease id, but [0] has it too, got "acme-h100"`,
    ]);
    expect(T(tenantCfg({}, [lease({ placement: { pool: "h100-a", nodes: ["gpu-001", "gpu-001"] } })]))[0]).toContain(
      'leasehold:leases[0].placement.nodes[1]: expected a unique node, but [0] has it too, got "gpu-001"',
    );
  });

  it("holds a reclaim notice to the contract's notice unless it is an emergency, and only then", () => {
    const n = (notice: object) =>
      T(
        tenantCfg({}, [
          lease({ reclaim: { noticeHours: 72, notice: { issuedAt: "2027-01-10T00:00:00Z", reason: "maintenance", ...notice } } }),
        ]),
      );
    expect(n({ effectiveAt: "2027-01-13T00:00:00Z" })).toEqual([]);
    expect(n({ effectiveAt: "2027-01-11T00:00:00Z" })).toEqual([
      `${F}: leasehold:leases[0].reclaim.notice.effectiveAt: gives 24 hours of notice but the lease requires 72; only an emergency reclaim (leasehold reclaim --emergency) may take effect sooner`,
    ]);
    expect(n({ effectiveAt: "2027-01-11T00:00:00Z", emergency: true })).toEqual([]);
    expect(n({ effectiveAt: "2027-01-13T00:00:00Z", emergency: true })[0]).toContain(
      "emergency: must not be set: the notice gives the full 72 hours",
    );
    expect(n({ effectiveAt: "2027-01-09T00:00:00Z", emergency: true })[0]).toContain("must not be before issuedAt");
  });

  it("requires a tenant stack to be named after its tenant, even when another key is wrong too", () => {
    expect(T(tenantCfg({ name: "bluefin" }))[0]).toContain(
      "leasehold:tenant.name: expected the tenant of stack tenant-acme to be named after it",
    );
    const both = T(tenantCfg({ name: "bluefin" }, [lease({ gpu: { type: "h100-80gb", count: "sixty" } })]));
    expect(both).toHaveLength(2);
    expect(both.join("\n")).toContain("leasehold:tenant.name: expected the tenant of stack tenant-acme");
  });

  it("reports every problem of a file at once", () => {
    const problems = T({
      ...tenantCfg({ name: "Acme", resources: { cpu: "lots" } }, [
        lease({ gpu: { type: "h100-80gb", count: "sixty" } }),
        lease({ window: { start: "x", end: "2027-01-01T00:00:00Z" } }),
      ]),
      "leasehold:platfrom": "x",
    });
    expect(problems.length).toBeGreaterThanOrEqual(5);
    expect(problems).toContain(`${F}: leasehold:leases[0].gpu.count: expected a positive integer, got "sixty"`);
  });
});

describe("platform stack schema", () => {
  it("accepts an existing cluster and an EKS cluster", () => {
    expect(P(platformCfg())).toEqual([]);
    expect(
      P(
        platformCfg(
          [
            {
              name: "p5",
              gpuType: "h100-80gb",
              maxNodes: 4,
              instanceType: "p5.48xlarge",
              capacityReservation: {
                id: "cr-0123456789abcdef0",
                kind: "capacity-block",
                availabilityZone: "us-east-2a",
                start: "2026-12-31T11:30:00Z",
                end: "2027-04-01T11:30:00Z",
              },
              efa: true,
            },
          ],
          EKS,
        ),
      ),
    ).toEqual([]);
  });

  it("refuses existing pools without nodes, EKS-only keys on existing pools, and nodes on EKS pools", () => {
    expect(P(platformCfg([{ name: "a", gpuType: "l40s" }]))).toEqual([
      `${PF}: leasehold:pools[0].nodes: is required (expected the pool's node names (provider: existing pools list their nodes))`,
    ]);
    expect(P(platformCfg([{ name: "a", gpuType: "l40s", nodes: ["n"], maxNodes: 2 }]))).toEqual([
      `${PF}: leasehold:pools[0].maxNodes: is only for provider: eks`,
    ]);
    expect(P(platformCfg([{ name: "a", gpuType: "l40s", nodes: ["n"], maxNodes: 2 }], EKS))).toEqual([
      `${PF}: leasehold:pools[0].nodes: is only for provider: existing; EKS pools get their nodes from maxNodes`,
    ]);
  });

  it("refuses duplicate pool names, a node in two pools and an unknown GPU type", () => {
    const problems = P(
      platformCfg([
        { name: "a", gpuType: "l40s", nodes: ["n1"] },
        { name: "a", gpuType: "l40s", nodes: ["n1"] },
        { name: "b", gpuType: "tpu-v5", nodes: ["n2"] },
      ]),
    );
    expect(problems).toContain(`${PF}: leasehold:pools[1].name: expected a unique pool name, but [0] has it too, got "a"`);
    expect(problems).toContain(`${PF}: leasehold:pools[1].nodes[0]: expected a node in one pool only, but pool a has it too, got "n1"`);
    expect(problems.join("\n")).toContain(
      'leasehold:pools[2].gpuType: expected a GPU type of the catalog (h100-80gb, h200-141gb, b200, a100-80gb, a100-40gb, l40s, a10g), got "tpu-v5"',
    );
  });

  it("holds EKS pools to maxNodes, an instance type carrying the GPU, and no placement group with a reservation", () => {
    expect(P(platformCfg([{ name: "p", gpuType: "h100-80gb" }], EKS))).toEqual([
      `${PF}: leasehold:pools[0].maxNodes: is required for an EKS pool (expected a positive integer)`,
    ]);
    expect(P(platformCfg([{ name: "p", gpuType: "h100-80gb", maxNodes: 1, instanceType: "g5.48xlarge" }], EKS))).toEqual([
      `${PF}: leasehold:pools[0].instanceType: expected an instance type that carries h100-80gb (p5.48xlarge), got "g5.48xlarge"`,
    ]);
    expect(
      P(
        platformCfg(
          [
            {
              name: "p",
              gpuType: "h100-80gb",
              maxNodes: 1,
              placementGroup: true,
              capacityReservation: { id: "cr-0123456789abcdef0", kind: "odcr" },
            },
          ],
          EKS,
        ),
      )[0],
    ).toContain("placementGroup: must not be true together with a capacityReservation");
    expect(
      P(platformCfg([{ name: "p", gpuType: "h100-80gb", maxNodes: 1, capacityReservation: { id: "cr-1", kind: "odcr" } }], EKS))[0],
    ).toContain("capacityReservation.id: expected a capacity reservation id");
  });

  it("holds the EKS cluster to a quoted version and two availability zones", () => {
    expect(P(platformCfg([], { ...EKS, version: 1.33 }))[0]).toContain(
      'leasehold:cluster.version: expected a Kubernetes version such as "1.33" (quoted), got 1.33',
    );
    expect(P(platformCfg([], { ...EKS, availabilityZones: ["us-east-2a"] }))[0]).toContain(
      "leasehold:cluster.availabilityZones: expected at least two availability zones",
    );
  });

  it("accepts a partial override of a built-in GPU type and refuses an incomplete new one", () => {
    expect(P(platformCfg(undefined, undefined, { "leasehold:gpuTypes": { "h100-80gb": { pricePerGpuHour: 3.5 } } }))).toEqual([]);
    expect(P(platformCfg(undefined, undefined, { "leasehold:gpuTypes": { mi300x: { gpusPerNode: 8 } } }))).toEqual([
      `${PF}: leasehold:gpuTypes.mi300x: is not a built-in GPU type, so it needs every field; missing instanceTypes, boardPowerWatts, pricePerGpuHour, perGpu`,
    ]);
    const full = {
      gpusPerNode: 8,
      instanceTypes: [],
      boardPowerWatts: 750,
      pricePerGpuHour: 4,
      perGpu: { cpu: "16", memory: "256Gi", storage: "2Ti", pods: 32 },
    };
    expect(P(platformCfg([{ name: "m", gpuType: "mi300x", nodes: ["n"] }], undefined, { "leasehold:gpuTypes": { mi300x: full } }))).toEqual(
      [],
    );
  });
});

describe("times rewritten by the Pulumi CLI", () => {
  it("reads `2026-12-01 00:00:00 +0000 UTC` (how the Pulumi CLI rewrites an unquoted timestamp) as the RFC 3339 time it was", () => {
    expect(T(tenantCfg({}, [lease({ window: { start: "2027-01-01 00:00:00 +0000 UTC", end: "2027-02-01 09:00:00 +0900 JST" } })]))).toEqual(
      [],
    );
    expect(
      T(tenantCfg({}, [lease({ window: { start: "2027-02-01 00:00:00 +0000 UTC", end: "2027-01-01 00:00:00 +0000 UTC" } })]))[0],
    ).toContain("must be after start");
  });
});
