import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EksCluster as EksClusterComponent } from "../../components/aws/eks-cluster";
import { EksGpuNodePool, type EksPlatformRef } from "../../components/aws/eks-gpu-node-pool";
import { NetworkIsolation } from "../../components/aws/network-isolation";
import { TenantNodeNetwork } from "../../components/aws/tenant-node-network";
import { chargeback, regionOf, subnetPlan } from "../../lease/aws";
import type { ProviderProgram } from "../types";
import type { EksCluster } from "./index";

// Loaded only for an EKS stack: the AWS SDK costs about a second to load, which no
// existing-cluster stack should pay.

/**
 * An EKS cluster's program parts. Platform: the VPC, the cluster with its system nodes and the
 * GPU node role; its outputs are what tenant stacks read. Tenant: one managed node group per
 * lease ({@link EksGpuNodePool}) in the platform's cluster, with its node role, subnets and
 * security groups read from the platform stack's outputs, and the tenant's node security group.
 */
export const eksProgram: ProviderProgram<EksCluster> = {
  platform(stack, cluster) {
    const region = regionOf(cluster.availabilityZones[0]!);
    const provider = new aws.Provider("aws", { region });
    const tags = chargeback(stack.name);
    const plan = subnetPlan(cluster.vpcCidr, cluster.availabilityZones);
    if (typeof plan === "string") throw new pulumi.RunError(`${stack.file}: leasehold:cluster.vpcCidr: ${plan}`);
    const network = new NetworkIsolation(
      "network",
      { vpcCidr: cluster.vpcCidr, subnets: plan, clusterName: cluster.name, tags },
      { provider },
    );
    const eks = new EksClusterComponent(
      "cluster",
      {
        name: cluster.name,
        version: cluster.version,
        region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        endpointAccess: cluster.endpointAccess,
        publicAccessCidrs: cluster.publicAccessCidrs,
        admins: cluster.admins,
        systemNodes: cluster.systemNodes,
        tags,
      },
      { provider },
    );
    return {
      provider: eks.provider,
      outputs: {
        kubeconfig: eks.kubeconfig,
        clusterName: eks.clusterName,
        region,
        zones: cluster.availabilityZones,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        clusterSecurityGroupId: eks.clusterSecurityGroupId,
        nodeRoleArn: eks.nodeRoleArn,
      },
    };
  },
  tenantLeases({ stack, platform, cluster, at, platformRef, namespace }) {
    const { tenant, leases } = stack.config;
    const provider = new aws.Provider("aws", { region: regionOf(cluster.availabilityZones[0]!) });
    const ref: EksPlatformRef = {
      clusterName: platformRef.requireOutput("clusterName") as pulumi.Output<string>,
      vpcId: platformRef.requireOutput("vpcId") as pulumi.Output<string>,
      clusterSecurityGroupId: platformRef.requireOutput("clusterSecurityGroupId") as pulumi.Output<string>,
      nodeRoleArn: platformRef.requireOutput("nodeRoleArn") as pulumi.Output<string>,
      privateSubnetIds: platformRef.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
      zones: cluster.availabilityZones,
    };
    const nodeNetwork = new TenantNodeNetwork(tenant.name, { stack: stack.name, tenant: tenant.name, vpcId: ref.vpcId }, { provider });
    const groups = leases.map((lease) => {
      const pool = platform.config.pools.find((p) => p.name === lease.placement.pool)!;
      return new EksGpuNodePool(
        lease.id,
        {
          stack: stack.name,
          tenant: tenant.name,
          lease,
          pool,
          gpuType: platform.catalog[lease.gpu.type]!,
          platform: ref,
          tenantSecurityGroupId: nodeNetwork.securityGroupId,
          at,
        },
        { provider, dependsOn: [namespace] },
      );
    });
    return {
      nodeGroups: pulumi
        .all(groups.map((g) => g.desiredNodes))
        .apply((n) => Object.fromEntries(leases.map((l, i) => [l.id, { desiredNodes: n[i] }]))),
    };
  },
};
