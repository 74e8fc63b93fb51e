import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../components/cluster";
import { LeaseReserves } from "../components/lease-reserves";
import { TenantNamespace } from "../components/tenant-namespace";
import { purgeInEffect } from "../lease/lifecycle";
import type { PlatformStack, TenantStack } from "../lease/load";
import { providerOf } from "../providers";
import { tenantKubeconfig } from "./kubeconfig";

/** Options of {@link tenantProgram}. */
export interface TenantProgramOptions {
  /** The platform stack the tenant runs on (its pools and catalog). */
  platform: PlatformStack;
  /** The deploy instant, epoch milliseconds. */
  at: number;
  /** The StackReference to the platform stack, when the caller made it. @default one named "platform" */
  platformRef?: pulumi.StackReference;
}

/** The StackReference a tenant stack reads its platform's outputs through (its cluster's kubeconfig, on EKS its network). */
export function platformReference(platformName: string): pulumi.StackReference {
  return new pulumi.StackReference("platform", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${platformName}` });
}

/**
 * A tenant stack: the tenant's namespace with its quota, limits, RBAC and network policies, and
 * its leases' nodes as its platform's provider gives them (patched nodes, node groups), and the
 * reserves of leases that do not fill their nodes. The
 * cluster is the platform stack's, reached through a StackReference to it.
 */
export function tenantProgram(stack: TenantStack, opts: TenantProgramOptions) {
  const { tenant, leases } = stack.config;
  const { platform, at } = opts;
  const platformRef = opts.platformRef ?? platformReference(platform.name);
  const adminKubeconfig = pulumi.secret(platformRef.requireOutput("kubeconfig")) as pulumi.Output<string>;
  const cluster = new Cluster("cluster", { kubeconfig: adminKubeconfig });
  const inCluster = { provider: cluster.provider };
  const ns = new TenantNamespace(
    tenant.name,
    { tenant, leases, catalog: platform.catalog, at, purge: purgeInEffect(stack.config.purge, at) },
    inCluster,
  );
  // After the namespace (whose lease labels admit the tenant's GPU pods), before the nodes open.
  const reserves = new LeaseReserves(
    `${tenant.name}-reserves`,
    { tenant: tenant.name, leases, catalog: platform.catalog, at },
    { ...inCluster, dependsOn: [ns] },
  );
  const common = {
    namespace: ns.namespace,
    gpuQuota: ns.gpuQuota,
    leasesInForce: ns.leasesInForce,
    // Per lease with a reserve: the GPUs of its nodes beyond its count, which the reserve holds.
    leaseReserves: Object.fromEntries(reserves.reserves.map((r) => [r.lease, r.units])),
    kubeconfig: tenantKubeconfig(adminKubeconfig, ns),
  };
  const clusterCfg = platform.config.cluster;
  const leaseOutputs = providerOf(clusterCfg).program().tenantLeases({
    stack,
    platform,
    cluster: clusterCfg,
    at,
    platformRef,
    adminKubeconfig,
    k8sProvider: cluster.provider,
    namespace: ns,
    reserves,
  });
  return { ...common, ...leaseOutputs };
}
