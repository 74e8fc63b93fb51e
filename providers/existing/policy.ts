import * as k8s from "@pulumi/kubernetes";
import { leaseNodesNeeded, gpusPerNode } from "../../lease/catalog";
import { isoInstant } from "../../lease/fields";
import { expandHostlist } from "../../lease/hostlist";
import { inForce } from "../../lease/lifecycle";
import { showNodes } from "../../lease/node-set";
import { LABELS, LEGACY_LEASE_TAINT_KEY as LEASE_TAINT_KEY } from "../../lease/tenancy";
import type { ProviderPolicy } from "../types";

/**
 * A claim's nodes: a hostlist (what TenantNodes stores) or a list; a hostlist that does not expand
 * is one name, to be named as outside the placement.
 */
function nodeNames(nodes: string | string[] | undefined): string[] {
  if (nodes === undefined) return [];
  if (Array.isArray(nodes)) return nodes;
  try {
    return expandHostlist(nodes);
  } catch {
    return [nodes];
  }
}

/**
 * The nodes a tenant stack claims (its TenantNodes resource, and the per-node NodePatch and
 * NodeTaint of earlier versions) stay within its leases: the tenant is the stack's, each lease is
 * its own and in force, each node is one of the lease's placement, and nodes x GPUs per node stay
 * within the nodes the lease's GPUs need.
 */
export const existingPolicy: ProviderPolicy = {
  checkLeaseNodes(args, c, reportViolation) {
    const tenant = c.tenant.config.tenant.name;
    const leases = new Map(c.tenant.config.leases.map((l) => [l.id, l]));
    const byLease = new Map<string, { node: string; urn: string }[]>();
    const given = (id: string, node: string, urn: string) => {
      let list = byLease.get(id);
      if (!list) byLease.set(id, (list = []));
      list.push({ node, urn });
    };
    for (const r of args.resources) {
      if (!r.type.endsWith(":TenantNodes")) continue;
      if (r.props.tenant !== tenant)
        reportViolation(
          `Tenant ${tenant}'s stack claims nodes for tenant ${String(r.props.tenant)}; a stack claims nodes for its own tenant only.`,
          r.urn,
        );
      for (const claim of (r.props.claims ?? []) as { lease?: string; nodes?: string | string[] }[]) {
        const id = String(claim.lease);
        const lease = leases.get(id);
        const nodes = nodeNames(claim.nodes);
        if (!lease) {
          reportViolation(`Nodes ${showNodes(nodes)} are claimed for lease ${id}, which is not one of tenant ${tenant}'s leases.`, r.urn);
          continue;
        }
        if (!inForce(lease, c.at))
          reportViolation(
            `Nodes are claimed for lease ${id}, which is not in force at ${isoInstant(c.at)} (window ${lease.window.start} to ${lease.window.end}${lease.reclaim.notice ? `, reclaimed at ${lease.reclaim.notice.effectiveAt}` : ""}).`,
            r.urn,
          );
        const placement = new Set(lease.placement.nodes ?? []);
        const outside = nodes.filter((n) => !placement.has(n));
        if (outside.length > 0)
          reportViolation(
            `Nodes ${showNodes(outside)} are claimed for lease ${id}, but the lease's placement is ${placement.size > 0 ? showNodes(placement) : "no node"}.`,
            r.urn,
          );
        for (const n of nodes) given(id, n, r.urn);
      }
    }
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
        reportViolation(
          `Node ${node} is given to lease ${id}, which is not in force at ${isoInstant(c.at)} (window ${lease.window.start} to ${lease.window.end}${lease.reclaim.notice ? `, reclaimed at ${lease.reclaim.notice.effectiveAt}` : ""}).`,
          r.urn,
        );
      }
      if (!(lease.placement.nodes ?? []).includes(node)) {
        reportViolation(
          `Node ${node} is given to lease ${id}, but the lease's placement is ${(lease.placement.nodes ?? []).length > 0 ? showNodes(lease.placement.nodes ?? []) : "no node"}.`,
          r.urn,
        );
      }
      given(id, node, r.urn);
    }
    // The lease taint (NodeTaint, a dynamic resource): a tenant stack may only set its own lease
    // in force on that lease's nodes, and never the idle entry a platform keeps.
    for (const r of args.resources) {
      if (!r.type.endsWith(":NodeTaint")) continue;
      const intent = r.props.intent as { mode?: string; key?: string; value?: string } | undefined;
      if (intent?.key !== LEASE_TAINT_KEY) continue;
      const node = String(r.props.node);
      const id = String(intent.value ?? "");
      const lease = leases.get(id);
      if (intent.mode !== "set" || !lease) {
        reportViolation(
          `Node ${node} is given the taint ${LEASE_TAINT_KEY}=${id} by tenant ${tenant}'s stack, which names none of its leases.`,
          r.urn,
        );
        continue;
      }
      if (!inForce(lease, c.at))
        reportViolation(`Node ${node} is tainted for lease ${id}, which is not in force at ${isoInstant(c.at)}.`, r.urn);
      if (!(lease.placement.nodes ?? []).includes(node))
        reportViolation(
          `Node ${node} is tainted for lease ${id}, but the lease's placement is ${(lease.placement.nodes ?? []).length > 0 ? showNodes(lease.placement.nodes ?? []) : "no node"}.`,
          r.urn,
        );
    }
    for (const [id, nodes] of byLease) {
      const lease = leases.get(id)!;
      const perNode = gpusPerNode(c.catalog, lease.gpu.type);
      const needed = leaseNodesNeeded(c.catalog, lease.gpu.type, lease.gpu.count);
      if (nodes.length > needed) {
        reportViolation(
          `Lease ${id} is for ${lease.gpu.count} ${lease.gpu.type} GPUs (${needed} node(s) of ${perNode}), but ${nodes.length} nodes x ${perNode} GPUs per node = ${nodes.length * perNode} GPUs are given to it: ${showNodes(nodes.map((n) => n.node))}.`,
          nodes[needed]!.urn,
        );
      }
    }
  },
};
