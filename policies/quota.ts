import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isoInstant, instant } from "../lease/fields";
import { gpusInForce, inForce, totalGpusInForce } from "../lease/lifecycle";
import { parseQuantity } from "../lease/quantity";
import { GPU_RESOURCE, LABELS } from "../lease/tenancy";
import { contractConfigSchema, tenantOrSkip } from "./contract";

const GPU_KEYS = [`requests.${GPU_RESOURCE}`, `limits.${GPU_RESOURCE}`, GPU_RESOURCE];

/** The GPUs a quota's `hard` grants, or undefined when it sets no GPU limit at all. */
function quotaGpus(hard: Record<string, unknown> | undefined): number | undefined {
  let gpus: number | undefined;
  for (const k of GPU_KEYS) {
    const v = hard?.[k];
    if (v === undefined) continue;
    const n = Number(parseQuantity(String(v)).nanos / 1_000_000_000n);
    gpus = gpus === undefined ? n : Math.min(gpus, n);
  }
  return gpus;
}

/** A tenant namespace's GPU quota never exceeds the GPUs of the tenant's leases in force. */
export const tenantGpuQuotaWithinLeases: ResourceValidationPolicy = {
  name: "tenant-gpu-quota-within-leases",
  description: "A tenant namespace's ResourceQuota grants no more nvidia.com/gpu than the tenant's leases in force.",
  enforcementLevel: "mandatory",
  configSchema: contractConfigSchema,
  validateResource: (args, reportViolation) => {
    if (!args.isType(k8s.core.v1.ResourceQuota)) return;
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const quota = args.props as { metadata?: { namespace?: string; name?: string }; spec?: { hard?: Record<string, unknown> } };
    if (quota.metadata?.namespace !== tenant) return;
    const leases = c.tenant.config.leases;
    const granted = totalGpusInForce(leases, c.at);
    const byType = [...gpusInForce(leases, c.at)].map(([t, n]) => `${n} ${t}`).join(" + ") || "none";
    const gpus = quotaGpus(quota.spec?.hard);
    if (gpus === undefined) {
      reportViolation(`ResourceQuota ${tenant}/${quota.metadata?.name} sets no requests.${GPU_RESOURCE}, so tenant ${tenant} could use every GPU of the cluster; its leases in force grant ${granted}.`);
    } else if (gpus > granted) {
      reportViolation(`Tenant ${tenant} would hold ${gpus} GPUs but its leases in force at ${isoInstant(c.at)} grant ${granted} (${byType}).`);
    }
  },
};

/**
 * A lease's GPUs leave the quota before its window ends only once its reclaim notice took
 * effect: the quota covers every lease inside its window and not yet reclaimed, and the tenant
 * namespace lists each as in force.
 */
export const reclaimAfterNotice: StackValidationPolicy = {
  name: "reclaim-after-notice",
  description: "A lease's GPUs leave the tenant's quota before its window ends only after its reclaim notice has taken effect.",
  enforcementLevel: "mandatory",
  configSchema: contractConfigSchema,
  validateStack: (args, reportViolation) => {
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const owed = c.tenant.config.leases.filter((l) => inForce(l, c.at));
    if (owed.length === 0) return;
    const ns = args.resources.find((r) => r.isType(k8s.core.v1.Namespace) && r.props.metadata?.name === tenant);
    const quota = args.resources.find((r) => r.isType(k8s.core.v1.ResourceQuota) && r.props.metadata?.namespace === tenant);
    const owedGpus = owed.reduce((n, l) => n + l.gpu.count, 0);
    const gpus = quota ? quotaGpus(quota.props.spec?.hard) : undefined;
    if (quota && gpus !== undefined && gpus < owedGpus) {
      const why = owed
        .map((l) => `${l.id} (${l.gpu.count}, until ${l.reclaim.notice ? `its notice takes effect at ${l.reclaim.notice.effectiveAt}` : `${isoInstant(instant(l.window.end))}`})`)
        .join(", ");
      reportViolation(`Tenant ${tenant}'s quota grants ${gpus} GPUs at ${isoInstant(c.at)}, but its leases still owed to it hold ${owedGpus}: ${why}. GPUs leave a lease early only once its reclaim notice has taken effect.`, quota.urn);
    }
    const labels = (ns?.props.metadata?.labels ?? {}) as Record<string, string>;
    for (const l of owed) {
      if (ns && labels[`${LABELS.leaseInForcePrefix}${l.id}`] === undefined) {
        reportViolation(`Namespace ${tenant} does not list lease ${l.id} as in force, but the lease runs until ${l.reclaim.notice ? `its reclaim notice takes effect at ${l.reclaim.notice.effectiveAt}` : l.window.end}: its pods would be refused before their notice elapsed.`, ns.urn);
      }
    }
  },
};
