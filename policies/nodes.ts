import * as k8s from "@pulumi/kubernetes";
import type { StackValidationPolicy } from "@pulumi/policy";
import { isoInstant } from "../lease/fields";
import { inForce } from "../lease/lifecycle";
import { LABELS } from "../lease/tenancy";
import { contractConfigSchema, tenantOrSkip } from "./contract";

/**
 * Nodes patched for a lease stay within it: the lease is the tenant's and in force, each node is
 * one of its placement's, and nodes x GPUs per node stay within the nodes the lease's GPUs need.
 */
export const nodePoolWithinLease: StackValidationPolicy = {
  name: "node-pool-within-lease",
  description: "Nodes given to a lease are the lease's own, only while it is in force, and no more than its GPUs need.",
  enforcementLevel: "mandatory",
  configSchema: contractConfigSchema,
  validateStack: (args, reportViolation) => {
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const leases = new Map(c.tenant.config.leases.map((l) => [l.id, l]));
    const byLease = new Map<string, { node: string; urn: string }[]>();
    for (const r of args.resources) {
      if (!r.isType(k8s.core.v1.NodePatch)) continue;
      const id = r.props.metadata?.labels?.[LABELS.lease];
      if (typeof id !== "string") continue;
      const node = String(r.props.metadata?.name);
      const lease = leases.get(id);
      if (!lease) {
        reportViolation(`Node ${node} is given to lease ${id}, which is not one of tenant ${tenant}'s leases.`, r.urn);
        continue;
      }
      if (!inForce(lease, c.at)) {
        reportViolation(`Node ${node} is given to lease ${id}, which is not in force at ${isoInstant(c.at)} (window ${lease.window.start} to ${lease.window.end}${lease.reclaim.notice ? `, reclaimed at ${lease.reclaim.notice.effectiveAt}` : ""}).`, r.urn);
      }
      if (!(lease.placement.nodes ?? []).includes(node)) {
        reportViolation(`Node ${node} is given to lease ${id}, but the lease's placement is ${(lease.placement.nodes ?? []).join(", ") || "no node"}.`, r.urn);
      }
      let list = byLease.get(id);
      if (!list) byLease.set(id, (list = []));
      list.push({ node, urn: r.urn });
    }
    for (const [id, nodes] of byLease) {
      const lease = leases.get(id)!;
      const perNode = c.catalog[lease.gpu.type]?.gpusPerNode ?? 1;
      const needed = Math.ceil(lease.gpu.count / perNode);
      if (nodes.length > needed) {
        reportViolation(
          `Lease ${id} is for ${lease.gpu.count} ${lease.gpu.type} GPUs (${needed} node(s) of ${perNode}), but ${nodes.length} nodes x ${perNode} GPUs per node = ${nodes.length * perNode} GPUs are given to it: ${nodes.map((n) => n.node).join(", ")}.`,
          nodes[needed]!.urn,
        );
      }
    }
  },
};
