import { describe, expect, it } from "vitest";
import { loadStackText, type PlatformStack, type TenantStack } from "../../lease/load";
import {
  autoName,
  eksTenantNames,
  labelKeyProblem,
  tenantNodesFieldManager,
  LIMITS,
  nameProblem,
  tenantFieldManager,
  type DerivedName,
} from "../../lease/names";
import { formatProblem } from "../../lease/problems";
import type { Pool } from "../../lease/schema";
import { providerOf } from "../../providers";
import type { PlatformStack as NamesPlatform, TenantStack as NamesTenant } from "../../lease/load";

/** The names rule of a tenant on its platform, as check runs it (the platform's provider's tenant problems). */
const namesProblems = (t: NamesTenant, p: NamesPlatform) => providerOf(p.config.cluster).tenantProblems(t, p, p.config.cluster);

// Each derived name at the longest input that fits its target's limit, and one character past it.

const a = (n: number) => "a".repeat(n);
/** The longest input (a run of "a") whose derived name keeps its limit, searching up to 400. */
function budget(derive: (input: string) => string, limit: Parameters<typeof nameProblem>[0]): number {
  let n = 0;
  while (n < 400 && nameProblem(limit, derive(a(n + 1))) === undefined) n++;
  return n;
}

describe("nameProblem", () => {
  it("accepts a name of exactly the limit and refuses one character more, for every limit", () => {
    for (const [key, limit] of Object.entries(LIMITS)) {
      const ok = a(limit.max);
      expect(nameProblem(limit, ok), key).toBeUndefined();
      expect(nameProblem(limit, ok + "a"), key).toBe(`${limit.max + 1} characters, over the limit of ${limit.max}`);
    }
  });

  it("refuses a launch template name under three characters, a security group name starting with sg-, characters EC2 refuses", () => {
    expect(nameProblem(LIMITS.launchTemplateName, "ab")).toBe("2 characters, under the minimum of 3");
    expect(nameProblem(LIMITS.securityGroupName, "sg-acme-nodes-1234567")).toBe("starts with sg-, which is refused");
    expect(nameProblem(LIMITS.securityGroupName, "SG-acme")).toBe("starts with sg-, which is refused");
    expect(nameProblem(LIMITS.securityGroupDescription, "acme's nodes")).toMatch(/^has characters outside/);
    expect(nameProblem(LIMITS.eksNodeGroupName, "-nodes")).toMatch(/^has characters outside/);
  });

  it("checks both parts of a Kubernetes label key: the name part at 63 and 64, the prefix at 253 and 254", () => {
    expect(labelKeyProblem(`lease.leasehold.io/${a(63)}`)).toBeUndefined();
    expect(labelKeyProblem(`lease.leasehold.io/${a(64)}`)).toBe("name part 64 characters, over the limit of 63");
    const prefix = (n: number) => `${a(61)}.${a(61)}.${a(61)}.${a(n - 186)}`;
    expect(labelKeyProblem(`${prefix(253)}/x`)).toBeUndefined();
    expect(labelKeyProblem(`${prefix(254)}/x`)).toBe("prefix 254 characters, over the limit of 253");
  });
});

describe("Kubernetes names derived from a tenant name or a lease id", () => {
  it("field managers: the longest input that fits 128 characters, and a DNS-1123 label (63) always does", () => {
    expect(budget(tenantNodesFieldManager, LIMITS.fieldManager)).toBe(112);
    expect(tenantNodesFieldManager(a(112))).toHaveLength(128);
    expect(nameProblem(LIMITS.fieldManager, tenantNodesFieldManager(a(113)))).toBe("129 characters, over the limit of 128");
    expect(budget(tenantFieldManager, LIMITS.fieldManager)).toBe(111);
    expect(nameProblem(LIMITS.fieldManager, tenantFieldManager(a(112)))).toBe("129 characters, over the limit of 128");
    // The deployed field managers of the example stacks: the namespace's objects, and the nodes.
    expect([tenantFieldManager("acme"), tenantNodesFieldManager("acme")]).toEqual(["leasehold-tenant-acme", "leasehold-nodes-acme"]);
  });
});

describe("the AWS names of an EKS tenant stack", () => {
  const pools: Pool[] = [{ name: "p", gpuType: "h100-80gb", maxNodes: 4, efa: true, placementGroup: true }];
  const lease = (id: string) => ({ id, placement: { pool: "p" } });
  const byRole = (names: DerivedName[], role: string) => names.find((d) => d.role === role)!;
  const leaseName = (role: string) => (id: string) => byRole(eksTenantNames("tenant-t", "t", [lease(id)], pools), role).name;
  const tenantName = (role: string) => (tenant: string) => byRole(eksTenantNames(`tenant-${tenant}`, tenant, [], pools), role).name;

  // The longest lease id / tenant name each name allows; only the node group's is under the
  // 63 characters a DNS-1123 label may have, so only it is ever refused for its length.
  const LEASE_BUDGETS: [string, number][] = [
    ["the lease's node group name", 49],
    ["the lease's security group name", 241],
    ["the lease's launch template name", 111],
    ["the lease's placement group name", 237],
    ["the lease's security group description", 187], // with a one-letter tenant name; 125 with one of 63,
    ["the lease's security group rule description", 240],
    ["the lease's EFA rule description", 226],
    ["the lease's Name tag", 254],
    ["the leasehold:lease tag", 256],
    ["the lease's node label value", 63],
  ];
  const TENANT_BUDGETS: [string, number][] = [
    ["the tenant's node security group name", 241],
    ["the tenant's node security group description", 216],
    ["the tenant's node security group rule description", 239],
    ["the tenant's Name tag", 250],
    ["the leasehold:tenant tag", 256],
    ["the tenant's node label value", 63],
    ["the tenant's node taint value", 63],
  ];

  it("derives every name the tenant program passes to AWS, each with a budget", () => {
    const roles = eksTenantNames("tenant-t", "t", [lease("l")], pools).map((d) => d.role);
    expect(roles.sort()).toEqual(
      [...LEASE_BUDGETS, ...TENANT_BUDGETS]
        .map(([r]) => r)
        .concat(["the leasehold:stack tag (the stack name)"])
        .sort(),
    );
  });

  for (const [role, max] of LEASE_BUDGETS) {
    it(`${role}: fits with a lease id of ${max} characters, not ${max + 1}`, () => {
      const derive = leaseName(role);
      const limit = byRole(eksTenantNames("tenant-t", "t", [lease("l")], pools), role).limit;
      expect(budget(derive, limit)).toBe(max);
      expect(nameProblem(limit, derive(a(max)))).toBeUndefined();
      expect(nameProblem(limit, derive(a(max + 1)))).toMatch(/over the limit/);
    });
  }
  for (const [role, max] of TENANT_BUDGETS) {
    it(`${role}: fits with a tenant name of ${max} characters, not ${max + 1}`, () => {
      const derive = tenantName(role);
      const limit = byRole(eksTenantNames("tenant-t", "t", [], pools), role).limit;
      expect(budget(derive, limit)).toBe(max);
      expect(nameProblem(limit, derive(a(max + 1)))).toMatch(/over the limit/);
    });
  }

  it("keeps today's names byte for byte (Pulumi's random suffix aside)", () => {
    const names = eksTenantNames("tenant-delta", "delta", [lease("delta-h100-2027q1")], pools).map((d) => d.name);
    expect(names).toContain("delta-h100-2027q1-nodes-xxxxxxx");
    expect(names).toContain("delta-h100-2027q1-template-xxxxxxx");
    expect(names).toContain("Nodes of lease delta-h100-2027q1 (tenant delta): its own nodes and the control plane only");
    expect(names).toContain("delta-nodes-xxxxxxx");
    expect(autoName("x")).toBe("x-xxxxxxx");
  });
});

describe("namesProblems (a fleet rule: a tenant against its platform)", () => {
  const platformText = (provider: string) =>
    provider === "eks"
      ? `config:\n  leasehold:role: platform\n  leasehold:cluster: {provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b]}\n  leasehold:pools:\n    - {name: h100, gpuType: h100-80gb, maxNodes: 4}\n`
      : `config:\n  leasehold:role: platform\n  leasehold:cluster: {provider: existing}\n  leasehold:pools:\n    - {name: h100, gpuType: h100-80gb, nodes: [gpu-001]}\n`;
  const platform = (provider: string) => {
    const r = loadStackText(`stacks/Pulumi.platform-${provider}.yaml`, platformText(provider));
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    return r.stack as PlatformStack;
  };
  const tenant = (name: string, id: string, on: string) => {
    const nodes = on === "existing" ? ", nodes: [gpu-001]" : "";
    const text = `config:\n  leasehold:role: tenant\n  leasehold:platform: platform-${on}\n  leasehold:tenant: {name: ${name}}\n  leasehold:leases:\n    - {id: ${id}, gpu: {type: h100-80gb, count: 8}, window: {start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z"}, placement: {pool: h100${nodes}}, reclaim: {noticeHours: 0}}\n`;
    const r = loadStackText(`stacks/Pulumi.tenant-${name}.yaml`, text);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    return r.stack as TenantStack;
  };
  const id49 = `delta-${a(43)}`;
  const id50 = `delta-${a(44)}`;

  it("accepts a lease id of 49 characters on EKS, and one of 63 on an existing cluster", () => {
    expect(namesProblems(tenant("delta", id49, "eks"), platform("eks"))).toEqual([]);
    expect(namesProblems(tenant("delta", `delta-${a(57)}`, "existing"), platform("existing"))).toEqual([]);
  });

  it("refuses a lease id of 50 characters on EKS: file, key path, the id, the node group name and the limit", () => {
    const t = tenant("delta", id50, "eks");
    const problems = namesProblems(t, platform("eks"));
    expect(problems.map(formatProblem)).toEqual([
      `stacks/Pulumi.tenant-delta.yaml: leasehold:leases[0].id: on EKS (platform platform-eks) the lease's node group name would be "${id50}-nodes-xxxxxxx" (xxxxxxx: Pulumi's random suffix): 64 characters, over the limit of 63 for an EKS node group name (${LIMITS.eksNodeGroupName.source}); on this platform expected a lease id of at most 49 characters, got "${id50}"`,
    ]);
    expect(problems[0]!.line).toBe(6);
  });

  it("refuses a tenant name or a lease id starting with sg- on EKS (EC2 refuses such security group names)", () => {
    const problems = namesProblems(tenant("sg-lab", "sg-lease", "eks"), platform("eks")).map(formatProblem);
    expect(problems).toEqual([
      expect.stringContaining(
        `leasehold:tenant.name: on EKS (platform platform-eks) the tenant's node security group name would be "sg-lab-nodes-xxxxxxx"`,
      ),
      expect.stringContaining(
        `leasehold:leases[0].id: on EKS (platform platform-eks) the lease's security group name would be "sg-lease-nodes-xxxxxxx"`,
      ),
    ]);
    expect(problems[0]).toContain("starts with sg-, which is refused");
    expect(namesProblems(tenant("sg-lab", "sg-lease", "existing"), platform("existing"))).toEqual([]);
  });
});
