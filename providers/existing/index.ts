import { z } from "zod";
import { nodesFor } from "../../lease/catalog";
import { showValue } from "../../lease/problems";
import { OFFLINE_KUBECONFIG } from "../../programs/offline";
import { clusterBaseFields } from "../common";
import type { PlatformProvider } from "../types";

/** `leasehold:cluster` of a cluster that exists already and is reached through a kubeconfig. */
export const existingClusterSchema = z.strictObject({
  /** `existing`: any reachable cluster. */
  provider: z.literal("existing"),
  ...clusterBaseFields,
});

/** `leasehold:cluster` with `provider: existing`. */
export type ExistingCluster = z.infer<typeof existingClusterSchema>;

/** The pool keys only EKS pools have. */
const EKS_POOL_KEYS = ["instanceType", "maxNodes", "capacityReservation", "efa", "placementGroup"] as const;

/**
 * `provider: existing`: a cluster the landlord runs. Pools list their nodes; a lease names the
 * nodes it holds, which the node sweep keeps to one lease at a time, so a lease takes from its
 * pool exactly the GPUs it leases. The platform stack labels the nodes; each tenant stack taints
 * and labels its leases' nodes while they are in force.
 */
export const existing: PlatformProvider<ExistingCluster> = {
  name: "existing",
  clusterSchema: existingClusterSchema,
  clusterRules: () => {},
  poolRules(_cluster, pools, _catalog, ctx) {
    const nodeOwner = new Map<string, string>();
    pools.forEach((pool, i) => {
      if (!pool) return;
      for (const k of EKS_POOL_KEYS) {
        if (pool[k] !== undefined) ctx.add(["pools", i, k], "is only for provider: eks", pool[k]);
      }
      if (pool.nodes === undefined || pool.nodes.length === 0) {
        ctx.add(["pools", i, "nodes"], "expected the pool's node names (provider: existing pools list their nodes)", pool.nodes);
      }
      (pool.nodes ?? []).forEach((n, j) => {
        const owner = nodeOwner.get(n);
        if (owner !== undefined) ctx.add(["pools", i, "nodes", j], `expected a node in one pool only, but ${owner} has it too`, n);
        else nodeOwner.set(n, `pool ${pool.name}`);
      });
    });
  },
  capacityUnit: "gpus",
  poolNodes: (pool) => pool.nodes?.length ?? 0,
  leaseNodes: "named",
  leaseRules({ platform, pool, index, lease, perNode, report }) {
    const base: PropertyKey[] = ["leasehold:leases", index];
    const nodes = lease.placement.nodes;
    const needed = nodesFor(lease.gpu.count, perNode);
    if (!nodes || nodes.length === 0) {
      report(
        [...base, "placement", "nodes"],
        `is required on an existing cluster (platform ${platform.name}): expected at least ${needed} node(s) of pool ${pool.name}`,
      );
      return [];
    }
    const poolNodes = new Set(pool.nodes ?? []);
    const held: string[] = [];
    nodes.forEach((n, j) => {
      if (poolNodes.has(n)) held.push(n);
      else
        report(
          [...base, "placement", "nodes", j],
          `expected a node of pool ${pool.name} (${[...poolNodes].join(", ")}), got ${showValue(n)}`,
        );
    });
    if (nodes.length * perNode < lease.gpu.count) {
      report(
        [...base, "placement", "nodes"],
        `${nodes.length} node(s) x ${perNode} ${pool.gpuType} GPUs per node hold ${nodes.length * perNode} GPUs, but the lease is for ${lease.gpu.count}`,
      );
    } else if (nodes.length > needed) {
      // More nodes than the GPUs need would hold capacity no quota lets the tenant use.
      report(
        [...base, "placement", "nodes"],
        `${lease.gpu.count} ${pool.gpuType} GPUs need ${needed} node(s) of ${perNode}, but the lease holds ${nodes.length}: ${nodes.join(", ")}`,
      );
    }
    return held;
  },
  // A tenant on an existing cluster makes Kubernetes names only, which a valid stack keeps by construction.
  tenantProblems: () => [],
  offlineOutputs: () => ({ kubeconfig: OFFLINE_KUBECONFIG }),
  program: () => (require("./program") as typeof import("./program")).existingProgram,
  policy: () => (require("./policy") as typeof import("./policy")).existingPolicy,
};
