import type * as awsSdk from "@pulumi/aws";
import type { z } from "zod";
import * as pulumi from "@pulumi/pulumi";
import { Cluster, existingKubeconfig } from "../components/cluster";
import { LeaseAdmission } from "../components/lease-admission";
import { PoolInventory } from "../components/pool-inventory";
import { admissionSettings } from "../lease/admission";
import { poolCapacity } from "../lease/fleet";
import { chargeback, regionOf, subnetPlan } from "../lease/aws";
import type { PlatformStack } from "../lease/load";
import type { eksClusterSchema } from "../lease/schema";

type EksClusterConfig = z.infer<typeof eksClusterSchema>;

/** Options of {@link platformProgram}. */
export interface PlatformProgramOptions {
  /** The cluster's kubeconfig. @default kubernetes:kubeconfig or the ambient kubeconfig */
  kubeconfig?: pulumi.Input<string>;
}

/**
 * The platform stack: the cluster (as an explicit provider), the cluster-wide lease admission
 * policy, and inventory labels on the pools' nodes. Its outputs are what tenant stacks read.
 */
export function platformProgram(stack: PlatformStack, opts: PlatformProgramOptions = {}) {
  const cfg = stack.config;
  const pools = cfg.pools.map((p) => ({ name: p.name, gpuType: p.gpuType, nodes: p.nodes ?? [], capacity: poolCapacity(stack, p) }));
  if (cfg.cluster.provider === "eks") return eksPlatform(stack, cfg.cluster, pools);
  const cluster = new Cluster("cluster", { kubeconfig: opts.kubeconfig ?? existingKubeconfig() });
  const inCluster = { provider: cluster.provider };
  new LeaseAdmission("lease-admission", { settings: admissionSettings(stack.catalog, cfg.cluster, cfg.pools) }, inCluster);
  new PoolInventory("pools", { pools: cfg.pools, kubeconfig: cluster.kubeconfig }, inCluster);
  return { kubeconfig: cluster.kubeconfig, clusterProvider: cfg.cluster.provider, pools };
}

/**
 * An EKS platform: the VPC, the cluster with its system nodes and the GPU node role, and the
 * lease admission policy in it. GPU node groups belong to the tenant stacks (one per lease),
 * which read the outputs returned here.
 */
function eksPlatform(stack: PlatformStack, cluster: EksClusterConfig, pools: unknown[]) {
  // Loaded only here: the AWS SDK costs about a second to load, which no existing-cluster stack should pay.
  const aws = require("@pulumi/aws") as typeof awsSdk;
  const { EksCluster } = require("../components/aws/eks-cluster") as typeof import("../components/aws/eks-cluster");
  const { NetworkIsolation } = require("../components/aws/network-isolation") as typeof import("../components/aws/network-isolation");
  const region = regionOf(cluster.availabilityZones[0]!);
  const provider = new aws.Provider("aws", { region });
  const tags = chargeback(stack.name);
  const plan = subnetPlan(cluster.vpcCidr, cluster.availabilityZones);
  if (typeof plan === "string") throw new pulumi.RunError(`${stack.file}: leasehold:cluster.vpcCidr: ${plan}`);
  const network = new NetworkIsolation("network", { vpcCidr: cluster.vpcCidr, subnets: plan, clusterName: cluster.name, tags }, { provider });
  const eks = new EksCluster(
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
  new LeaseAdmission("lease-admission", { settings: admissionSettings(stack.catalog, cluster, stack.config.pools) }, { provider: eks.provider });
  return {
    kubeconfig: eks.kubeconfig,
    clusterProvider: "eks",
    clusterName: eks.clusterName,
    region,
    zones: cluster.availabilityZones,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    clusterSecurityGroupId: eks.clusterSecurityGroupId,
    nodeRoleArn: eks.nodeRoleArn,
    pools,
  };
}
