import * as k8s from "@pulumi/kubernetes";
import type { StackValidationPolicy } from "@pulumi/policy";
import { isoInstant } from "../lease/fields";
import { inForce } from "../lease/lifecycle";
import { TAGS } from "../lease/aws";
import { LABELS, LEASE_TAINT_KEY } from "../lease/tenancy";
import { contractConfigSchema, tenantOrSkip } from "./contract";

/**
 * Nodes patched for a lease stay within it: the lease is the tenant's and in force, each node is
 * one of its placement's, and nodes x GPUs per node stay within the nodes the lease's GPUs need.
 */
export const nodePoolWithinLease: StackValidationPolicy = {
  name: "node-pool-within-lease",
  description: "Nodes given to a lease (patched nodes, or an EKS node group) are the lease's own, only while it is in force, no more than its GPUs need, and of an instance type that carries its GPU type.",
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
        reportViolation(`Node ${node} is given the taint ${LEASE_TAINT_KEY}=${id} by tenant ${tenant}'s stack, which names none of its leases.`, r.urn);
        continue;
      }
      if (!inForce(lease, c.at)) reportViolation(`Node ${node} is tainted for lease ${id}, which is not in force at ${isoInstant(c.at)}.`, r.urn);
      if (!(lease.placement.nodes ?? []).includes(node)) reportViolation(`Node ${node} is tainted for lease ${id}, but the lease's placement is ${(lease.placement.nodes ?? []).join(", ") || "no node"}.`, r.urn);
    }
    // EKS: one managed node group per lease, sized in nodes; its launch template names the instance type.
    const instanceTypes = new Map<string, string>();
    for (const r of args.resources) {
      if (r.type !== "aws:ec2/launchTemplate:LaunchTemplate") continue;
      const id = r.props.tags?.[TAGS.lease];
      if (typeof id === "string" && typeof r.props.instanceType === "string") instanceTypes.set(id, r.props.instanceType);
    }
    for (const r of args.resources) {
      if (r.type !== "aws:eks/nodeGroup:NodeGroup") continue;
      const id = r.props.labels?.[LABELS.lease];
      if (typeof id !== "string") continue;
      const lease = leases.get(id);
      if (!lease) {
        reportViolation(`Node group ${r.name} is labelled for lease ${id}, which is not one of tenant ${tenant}'s leases.`, r.urn);
        continue;
      }
      const type = c.catalog[lease.gpu.type];
      const perNode = type?.gpusPerNode ?? 1;
      const needed = Math.ceil(lease.gpu.count / perNode);
      const scaling = (r.props.scalingConfig ?? {}) as { desiredSize?: number; minSize?: number; maxSize?: number };
      const live = inForce(lease, c.at);
      const maxAllowed = live ? needed : 0;
      for (const k of ["desiredSize", "minSize"] as const) {
        const n = scaling[k];
        if (typeof n === "number" && n > maxAllowed) {
          reportViolation(
            live
              ? `Node group ${r.name} of lease ${id} has ${k} ${n}: ${n} nodes x ${perNode} GPUs = ${n * perNode} GPUs, but the lease is for ${lease.gpu.count} ${lease.gpu.type} GPUs (${needed} node(s)).`
              : `Node group ${r.name} of lease ${id} has ${k} ${n}, but the lease is not in force at ${isoInstant(c.at)}: it must be scaled to zero.`,
            r.urn,
          );
        }
      }
      // EKS needs maxSize >= 1 even for a group scaled to zero.
      if (typeof scaling.maxSize === "number" && scaling.maxSize > Math.max(1, maxAllowed)) {
        reportViolation(`Node group ${r.name} of lease ${id} may grow to ${scaling.maxSize} nodes x ${perNode} GPUs = ${scaling.maxSize * perNode} GPUs, but the lease allows ${maxAllowed * perNode} (${lease.gpu.count} ${lease.gpu.type} GPUs${live ? "" : ", not in force now"}).`, r.urn);
      }
      const declared: string[] = [...((r.props.instanceTypes as string[] | undefined) ?? []), ...(instanceTypes.has(id) ? [instanceTypes.get(id)!] : [])];
      for (const it of declared) {
        if (type && !type.instanceTypes.includes(it)) {
          reportViolation(`Node group ${r.name} of lease ${id} launches ${it}, which does not carry ${lease.gpu.type} (the catalog's instance types for it: ${type.instanceTypes.join(", ")}).`, r.urn);
        }
      }
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
