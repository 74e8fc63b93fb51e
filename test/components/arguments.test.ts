import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ComponentArgumentsError } from "../../components/arguments";
import { BUILTIN_CATALOG } from "../../lease/catalog";
import type { Lease, Pool } from "../../lease/schema";
import { runMocked } from "./mocks";

// Components refuse bad arguments at construction, every problem at once with its property path,
// as a ResourceError that hides its stack (the Node.js language host then prints the message
// alone), and register nothing.

const AT = Date.parse("2027-01-15T00:00:00Z");
const lease = (over: Partial<Lease> = {}): Lease => ({
  id: "acme-1",
  gpu: { type: "h100-80gb", count: 8 },
  window: { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" },
  placement: { pool: "a", nodes: ["gpu-001"] },
  reclaim: { noticeHours: 72 },
  ...over,
});

async function refusal(build: () => unknown): Promise<{ error: ComponentArgumentsError; types: string[] }> {
  const types: string[] = [];
  try {
    const recorded = await runMocked(build);
    types.push(...recorded.map((r) => r.type));
  } catch (e) {
    return { error: e as ComponentArgumentsError, types };
  }
  throw new Error(`expected a refusal, but it registered ${types.join(", ")}`);
}

describe("component arguments", () => {
  it("TenantNodes: every bad argument, with its path, as one error without a stack", async () => {
    const { TenantNodes } = await import("../../components/node-set");
    const { error } = await refusal(
      () =>
        new TenantNodes("p", {
          tenant: "Acme",
          leases: [lease({ gpu: { type: "h100-80gb", count: -1 } })],
          at: Number.NaN,
          kubeconfig: "k",
        }),
    );
    expect(pulumi.ResourceError.isInstance(error)).toBe(true);
    expect(error.hideStack).toBe(true);
    expect(error.errors.map((e) => e.propertyPath)).toEqual(["tenant", "leases[0].gpu.count", "at"]);
    expect(error.message).toBe(
      [
        "TenantNodes p: invalid arguments:",
        `  tenant: ${error.errors[0]!.reason}`,
        `  leases[0].gpu.count: ${error.errors[1]!.reason}`,
        "  at: expected the deploy instant in epoch milliseconds, got NaN",
      ].join("\n"),
    );
    expect(error.errors[1]!.reason).toContain("got -1");
  });

  it("TenantNamespace: the tenant, each lease by index, the catalog and the instant", async () => {
    const { TenantNamespace } = await import("../../components/tenant-namespace");
    const { error } = await refusal(
      () =>
        new TenantNamespace("acme", {
          tenant: { name: "acme", access: { admins: [], viewers: [] }, network: { egress: [] } } as never,
          leases: [lease(), lease({ id: "Bad_Id" })],
          catalog: { ...BUILTIN_CATALOG, broken: { gpusPerNode: 0 } as never },
          at: AT,
        }),
    );
    const paths = error.errors.map((e) => e.propertyPath);
    expect(paths).toContain("leases[1].id");
    expect(paths.some((p) => p.startsWith("catalog.broken"))).toBe(true);
  });

  it("PoolInventory and EksGpuNodePool: pools by index, a GPU type that is not the lease's", async () => {
    const { PoolInventory } = await import("../../components/pool-inventory");
    const inv = await refusal(
      () =>
        new PoolInventory("pools", {
          pools: [{ name: "a", gpuType: "h100-80gb", nodes: ["gpu-001"] }, { name: "B!", gpuType: "h100-80gb" } as Pool],
          kubeconfig: "k",
        }),
    );
    expect(inv.error.errors.map((e) => e.propertyPath)).toEqual(["pools[1].name"]);
    expect(inv.types).toEqual([]);
    const { EksGpuNodePool } = await import("../../components/aws/eks-gpu-node-pool");
    const pool: Pool = { name: "a", gpuType: "a100-80gb", maxNodes: 2 };
    const ref = {
      clusterName: "c",
      vpcId: "v",
      clusterSecurityGroupId: "sg",
      nodeRoleArn: "arn",
      privateSubnetIds: ["s1", "s2"],
      zones: ["us-east-2a", "us-east-2b"],
    };
    const eks = await refusal(
      () =>
        new EksGpuNodePool("acme-1", {
          stack: "tenant-acme",
          tenant: "acme",
          lease: lease({ placement: { pool: "a" } }),
          pool,
          gpuType: BUILTIN_CATALOG["h100-80gb"]!,
          platform: ref,
          at: AT,
        }),
    );
    expect(eks.error.errors).toEqual([{ propertyPath: "pool.gpuType", reason: "expected the lease's GPU type h100-80gb, got a100-80gb" }]);
  });

  it("skip what is not known yet: an Output argument is not judged at construction", async () => {
    const { TenantNodeNetwork } = await import("../../components/aws/tenant-node-network");
    const recorded = await runMocked(
      () => new TenantNodeNetwork("acme", { stack: "tenant-acme", tenant: "acme", vpcId: pulumi.output("vpc-1") }),
    );
    expect(recorded.map((r) => r.type)).toContain("leasehold:aws:TenantNodeNetwork");
  });
});
