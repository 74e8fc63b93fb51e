import type { GpuCatalog } from "./catalog";
import { isoInstant } from "./fields";
import { inForce, totalGpusInForce } from "./lifecycle";
import { podSecurityRestricted } from "./pod-security";
import type { TenantConfig } from "./schema";
import { GPU_RESOURCE } from "./tenancy";
import { pinningViolations, podCount, podGpus, podOf, WORKLOAD_KINDS, type WorkloadKind } from "./workloads";

/** The policies that judge workloads (the pack and `leasehold admit` share them). */
export type WorkloadPolicy = "pod-security-restricted" | "lease-pinning" | "gpu-requests-within-quota";

/** One reason a workload would be refused. */
export interface WorkloadViolation {
  policy: WorkloadPolicy;
  message: string;
}

/** True for the kinds whose pods the workload policies judge. */
export function isWorkloadKind(kind: unknown): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly unknown[]).includes(kind);
}

/**
 * Every reason the tenant's leases at `at` would refuse this workload: Pod Security restricted on
 * its pod (template), lease pinning, and its GPU requests (per pod x pods at once) against the
 * GPUs in force.
 */
export function workloadViolations(kind: WorkloadKind, object: unknown, cfg: Pick<TenantConfig, "tenant" | "leases">, catalog: GpuCatalog, at: number): WorkloadViolation[] {
  const pod = podOf(kind, object);
  if (!pod) return [];
  const out: WorkloadViolation[] = [];
  const tenant = cfg.tenant.name;
  for (const v of podSecurityRestricted(pod.spec, pod.metadata)) out.push({ policy: "pod-security-restricted", message: v.message });
  const live = cfg.leases.filter((l) => inForce(l, at));
  const ids = new Set(live.map((l) => l.id));
  for (const m of pinningViolations(pod.spec, tenant, ids)) out.push({ policy: "lease-pinning", message: m });
  const perPod = podGpus(pod.spec);
  if (perPod > 0) {
    const nodesOf = (id: string) => {
      const l = live.find((x) => x.id === id);
      return l ? (l.placement.nodes?.length ?? Math.ceil(l.gpu.count / (catalog[l.gpu.type]?.gpusPerNode ?? 1))) : 0;
    };
    const pods = podCount(kind, object, nodesOf);
    const granted = totalGpusInForce(cfg.leases, at);
    if (perPod * pods > granted) {
      out.push({
        policy: "gpu-requests-within-quota",
        message: `${kind} requests ${perPod} ${GPU_RESOURCE} per pod x ${pods} pod(s) = ${perPod * pods} GPUs, but tenant ${tenant}'s leases in force at ${isoInstant(at)} grant ${granted}.`,
      });
    }
  }
  return out;
}
