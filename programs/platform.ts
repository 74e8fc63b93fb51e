import * as pulumi from "@pulumi/pulumi";
import { Cluster, existingKubeconfig } from "../components/cluster";
import { LeaseAdmission } from "../components/lease-admission";
import { PoolInventory } from "../components/pool-inventory";
import { poolCapacity } from "../lease/fleet";
import type { PlatformStack } from "../lease/load";

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
  if (cfg.cluster.provider !== "existing") {
    throw new pulumi.RunError(`${stack.file}: leasehold:cluster.provider: eks platforms are not supported by this version yet, got "eks"`);
  }
  const cluster = new Cluster("cluster", { kubeconfig: opts.kubeconfig ?? existingKubeconfig() });
  const inCluster = { provider: cluster.provider };
  new LeaseAdmission("lease-admission", {}, inCluster);
  new PoolInventory("pools", { pools: cfg.pools }, inCluster);
  return {
    kubeconfig: cluster.kubeconfig,
    clusterProvider: cfg.cluster.provider,
    pools: cfg.pools.map((p) => ({ name: p.name, gpuType: p.gpuType, nodes: p.nodes ?? [], capacity: poolCapacity(stack, p) })),
  };
}
