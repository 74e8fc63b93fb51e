import { Cluster, existingKubeconfig } from "../../components/cluster";
import { leaseClaims, TenantNodes } from "../../components/node-set";
import { PoolInventory } from "../../components/pool-inventory";
import { compressHostlist } from "../../lease/hostlist";
import type { ProviderProgram } from "../types";
import type { ExistingCluster } from "./index";

/**
 * An existing cluster's program parts. Platform: the cluster reached through its kubeconfig, and
 * the pools on their nodes (one resource for all of them: labels and the idle taint). Tenant: one
 * {@link TenantNodes} resource for every node its leases in force hold (the tenant's taint and
 * labels), with the leased nodes per lease as an output.
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
  tenantLeases({ stack, at, adminKubeconfig, namespace, reserves }) {
    const { tenant, leases } = stack.config;
    // After the namespace: a node never carries the tenant's taint before the tenant exists; and
    // after the reserves, so that the scheduler has them (at their higher priority) when the
    // nodes open. The nodes are written through the platform's kubeconfig (a dynamic resource
    // takes no Kubernetes provider).
    new TenantNodes(
      `${tenant.name}-nodes`,
      { tenant: tenant.name, leases, at, kubeconfig: adminKubeconfig },
      { dependsOn: [namespace, reserves] },
    );
    const held = new Map(leaseClaims(leases, at).map((c) => [c.lease, c.nodes]));
    // Per lease, its nodes in force as one hostlist ("" when none): a list of 8,192 names made a
    // third of a tenant's checkpoint.
    return { leasedNodes: Object.fromEntries(leases.map((l) => [l.id, compressHostlist(held.get(l.id) ?? [])])) };
  },
};
