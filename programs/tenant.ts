import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../components/cluster";
import { GpuNodePool } from "../components/gpu-node-pool";
import { TenantNamespace } from "../components/tenant-namespace";
import type { PlatformStack, TenantStack } from "../lease/load";
import { tenantKubeconfig } from "./kubeconfig";

/** Options of {@link tenantProgram}. */
export interface TenantProgramOptions {
  /** The platform stack the tenant runs on (its pools and catalog). */
  platform: PlatformStack;
  /** The deploy instant, epoch milliseconds. */
  at: number;
}

/**
 * A tenant stack: the tenant's namespace with its quota, limits, RBAC and network policies, and
 * one GpuNodePool per lease. The cluster is the platform stack's, reached through a
 * StackReference to it.
 */
export function tenantProgram(stack: TenantStack, opts: TenantProgramOptions) {
  const { tenant, leases } = stack.config;
  const { platform, at } = opts;
  if (platform.config.cluster.provider !== "existing") {
    throw new pulumi.RunError(`${stack.file}: leasehold:platform: tenants of eks platforms are not supported by this version yet, got "${platform.name}"`);
  }
  const platformRef = new pulumi.StackReference("platform", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${platform.name}`,
  });
  const adminKubeconfig = pulumi.secret(platformRef.requireOutput("kubeconfig")) as pulumi.Output<string>;
  const cluster = new Cluster("cluster", { kubeconfig: adminKubeconfig });
  const inCluster = { provider: cluster.provider };
  const ns = new TenantNamespace(tenant.name, { tenant, leases, catalog: platform.catalog, at, purge: stack.config.purge !== undefined }, inCluster);
  const pools = leases.map((lease) => new GpuNodePool(lease.id, { tenant: tenant.name, lease, at }, { ...inCluster, dependsOn: [ns] }));
  return {
    namespace: ns.namespace,
    gpuQuota: ns.gpuQuota,
    leasesInForce: ns.leasesInForce,
    leasedNodes: pulumi.all(pools.map((p) => p.nodes)).apply((lists) => Object.fromEntries(leases.map((l, i) => [l.id, lists[i] ?? []]))),
    kubeconfig: tenantKubeconfig(adminKubeconfig, ns),
  };
}
