import { gpusPerNode, leaseNodesNeeded } from "../../lease/catalog";
import { TAGS } from "../../lease/aws";
import { isoInstant } from "../../lease/fields";
import { inForce } from "../../lease/lifecycle";
import { LABELS } from "../../lease/tenancy";
import type { ProviderPolicy } from "../types";

/**
 * A lease's EKS node group (one per lease, sized in nodes; its launch template names the instance
 * type) stays within it: the lease is the tenant's, sized to the nodes its GPUs need while in
 * force and to zero otherwise, of an instance type that carries its GPU type.
 */
export const eksPolicy: ProviderPolicy = {
  checkLeaseNodes(args, c, reportViolation) {
    const tenant = c.tenant.config.tenant.name;
    const leases = new Map(c.tenant.config.leases.map((l) => [l.id, l]));
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
      const perNode = gpusPerNode(c.catalog, lease.gpu.type);
      const needed = leaseNodesNeeded(c.catalog, lease.gpu.type, lease.gpu.count);
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
        reportViolation(
          `Node group ${r.name} of lease ${id} may grow to ${scaling.maxSize} nodes x ${perNode} GPUs = ${scaling.maxSize * perNode} GPUs, but the lease allows ${maxAllowed * perNode} (${lease.gpu.count} ${lease.gpu.type} GPUs${live ? "" : ", not in force now"}).`,
          r.urn,
        );
      }
      const declared: string[] = [
        ...((r.props.instanceTypes as string[] | undefined) ?? []),
        ...(instanceTypes.has(id) ? [instanceTypes.get(id)!] : []),
      ];
      for (const it of declared) {
        if (type && !type.instanceTypes.includes(it)) {
          reportViolation(
            `Node group ${r.name} of lease ${id} launches ${it}, which does not carry ${lease.gpu.type} (the catalog's instance types for it: ${type.instanceTypes.join(", ")}).`,
            r.urn,
          );
        }
      }
    }
  },
};
