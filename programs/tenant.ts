import type * as awsSdk from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { EksPlatformRef } from "../components/aws/eks-gpu-node-pool";
import { Cluster } from "../components/cluster";
import { GpuNodePool } from "../components/gpu-node-pool";
import { TenantNamespace } from "../components/tenant-namespace";
import { regionOf } from "../lease/aws";
import { purgeInEffect } from "../lease/lifecycle";
import type { PlatformStack, TenantStack } from "../lease/load";
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
 * one GpuNodePool per lease. The cluster is the platform stack's, reached through a
 * StackReference to it.
 */
export function tenantProgram(stack: TenantStack, opts: TenantProgramOptions) {
  const { tenant, leases } = stack.config;
  const { platform, at } = opts;
  const platformRef = opts.platformRef ?? platformReference(platform.name);
  const adminKubeconfig = pulumi.secret(platformRef.requireOutput("kubeconfig")) as pulumi.Output<string>;
  const cluster = new Cluster("cluster", { kubeconfig: adminKubeconfig });
  const inCluster = { provider: cluster.provider };
  const ns = new TenantNamespace(tenant.name, { tenant, leases, catalog: platform.catalog, at, purge: purgeInEffect(stack.config.purge, at) }, inCluster);
  const common = {
    namespace: ns.namespace,
    gpuQuota: ns.gpuQuota,
    leasesInForce: ns.leasesInForce,
    kubeconfig: tenantKubeconfig(adminKubeconfig, ns),
  };
  const clusterCfg = platform.config.cluster;
  if (clusterCfg.provider === "eks") {
    // The lease's node groups go into the platform's cluster, with its node role, subnets and
    // security groups read from the platform stack's outputs.
    // Loaded only here: the AWS SDK costs about a second to load, which no existing-cluster stack should pay.
    const { Provider } = require("@pulumi/aws") as typeof awsSdk;
    const { EksGpuNodePool } = require("../components/aws/eks-gpu-node-pool") as typeof import("../components/aws/eks-gpu-node-pool");
    const aws = new Provider("aws", { region: regionOf(clusterCfg.availabilityZones[0]!) });
    const ref: EksPlatformRef = {
      clusterName: platformRef.requireOutput("clusterName") as pulumi.Output<string>,
      vpcId: platformRef.requireOutput("vpcId") as pulumi.Output<string>,
      clusterSecurityGroupId: platformRef.requireOutput("clusterSecurityGroupId") as pulumi.Output<string>,
      nodeRoleArn: platformRef.requireOutput("nodeRoleArn") as pulumi.Output<string>,
      privateSubnetIds: platformRef.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
      zones: clusterCfg.availabilityZones,
    };
    const { TenantNodeNetwork } = require("../components/aws/tenant-node-network") as typeof import("../components/aws/tenant-node-network");
    const nodeNetwork = new TenantNodeNetwork(tenant.name, { stack: stack.name, tenant: tenant.name, vpcId: ref.vpcId }, { provider: aws });
    const groups = leases.map((lease) => {
      const pool = platform.config.pools.find((p) => p.name === lease.placement.pool)!;
      return new EksGpuNodePool(
        lease.id,
        { stack: stack.name, tenant: tenant.name, lease, pool, gpuType: platform.catalog[lease.gpu.type]!, platform: ref, tenantSecurityGroupId: nodeNetwork.securityGroupId, at },
        { provider: aws, dependsOn: [ns] },
      );
    });
    return {
      ...common,
      nodeGroups: pulumi.all(groups.map((g) => g.desiredNodes)).apply((n) => Object.fromEntries(leases.map((l, i) => [l.id, { desiredNodes: n[i] }]))),
    };
  }
  const pools = leases.map((lease) => new GpuNodePool(lease.id, { tenant: tenant.name, lease, at, kubeconfig: adminKubeconfig }, { ...inCluster, dependsOn: [ns] }));
  return {
    ...common,
    leasedNodes: pulumi.all(pools.map((p) => p.nodes)).apply((lists) => Object.fromEntries(leases.map((l, i) => [l.id, lists[i] ?? []]))),
  };
}
