import * as pulumi from "@pulumi/pulumi";
import { Cluster, existingKubeconfig } from "../../components/cluster";
import { GpuNodePool } from "../../components/gpu-node-pool";
import { PoolInventory } from "../../components/pool-inventory";
import type { ProviderProgram } from "../types";
import type { ExistingCluster } from "./index";

/**
 * An existing cluster's program parts. Platform: the cluster reached through its kubeconfig, and
 * inventory labels on the pools' nodes. Tenant: one {@link GpuNodePool} per lease (its nodes'
 * labels and lease taint while in force), with the leased nodes as an output.
 */
export const existingProgram: ProviderProgram<ExistingCluster> = {
  platform(stack, _cluster, opts) {
    const cluster = new Cluster("cluster", { kubeconfig: opts.kubeconfig ?? existingKubeconfig() });
    // The idle taints read the same ambient kubeconfig when they run, unless one was given:
    // a copy in each of a thousand nodes' state is what a platform's checkpoint would be made of.
    const inventory = { pools: stack.config.pools, ...(opts.kubeconfig === undefined ? {} : { kubeconfig: cluster.kubeconfig }) };
    new PoolInventory("pools", inventory, { provider: cluster.provider });
    return { provider: cluster.provider, outputs: { kubeconfig: cluster.kubeconfig } };
  },
  tenantLeases({ stack, at, adminKubeconfig, k8sProvider, namespace }) {
    const { tenant, leases } = stack.config;
    const pools = leases.map(
      (lease) =>
        new GpuNodePool(
          lease.id,
          { tenant: tenant.name, lease, at, kubeconfig: adminKubeconfig },
          { provider: k8sProvider, dependsOn: [namespace] },
        ),
    );
    return {
      leasedNodes: pulumi.all(pools.map((p) => p.nodes)).apply((lists) => Object.fromEntries(leases.map((l, i) => [l.id, lists[i] ?? []]))),
    };
  },
};
