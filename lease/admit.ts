import { admissionSettings, FORBIDDEN_ENV_PREFIX, forbiddenEnvName, type AdmissionSettings } from "./admission";
import { gpuResourceOf, gpusPerNode, leaseNodesNeeded, type GpuCatalog } from "./catalog";
import { isoInstant } from "./fields";
import { inForce } from "./lifecycle";
import { podSecurityRestricted } from "./pod-security";
import type { TenantConfig } from "./schema";
import { acceleratorsInForce, GPU_RESOURCE, tenantLimits } from "./tenancy";
import {
  daemonSetViolations,
  limitRangeViolations,
  pinningViolations,
  podAccelerators,
  podCount,
  podLimitViolations,
  podOf,
  schedulingWarnings,
  daemonSetSurge,
  podLevelViolations,
  podSpecValidation,
  reachableNodes,
  restartPolicyValidation,
  stringFieldViolations,
  surgeOf,
  tolerationViolations,
  undeclaredResources,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from "./workloads";

/** The policies that judge workloads (the pack and `leasehold admit` share them). */
export type WorkloadPolicy = "pod-security-restricted" | "lease-pinning" | "gpu-requests-within-quota";

/** One reason a workload would be refused (or, as a warning, would not run as meant). */
export interface WorkloadViolation {
  /** The policy that refuses (or warns about) the workload. */
  policy: WorkloadPolicy;
  /** Why, in a sentence. */
  message: string;
}

/** What the workload rules need of the platform: its catalog and its admission settings. */
export interface WorkloadPlatform {
  /** The platform's GPU catalog (built-in types with its `gpuTypes`). */
  catalog: GpuCatalog;
  /** @default the catalog's accelerators and no PriorityClass */
  settings?: AdmissionSettings;
}

/** True for the kinds whose pods the workload policies judge. */
export function isWorkloadKind(kind: unknown): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly unknown[]).includes(kind);
}

/**
 * Every reason the tenant's leases at `at` would refuse this workload: Pod Security restricted on
 * its pod (template), lease pinning (DaemonSets as their controller writes their pods), the
 * admission policy's limits (NVIDIA device variables, PriorityClass, grace period), and its
 * accelerator requests (per pod, as the API server defaults and counts them, x pods at once)
 * against the units in force of each accelerator resource.
 */
export function workloadViolations(
  kind: WorkloadKind,
  object: unknown,
  cfg: Pick<TenantConfig, "tenant" | "leases">,
  platform: WorkloadPlatform,
  at: number,
): WorkloadViolation[] {
  return judgeWorkload(kind, object, cfg, platform, at).violations;
}

/** {@link workloadViolations} with the warnings: what is admitted but will not run as meant. */
export function judgeWorkload(
  kind: WorkloadKind,
  object: unknown,
  cfg: Pick<TenantConfig, "tenant" | "leases">,
  platform: WorkloadPlatform,
  at: number,
): { violations: WorkloadViolation[]; warnings: WorkloadViolation[] } {
  const pod = podOf(kind, object);
  if (!pod) return { violations: [], warnings: [] };
  const { catalog } = platform;
  const settings = platform.settings ?? admissionSettings(catalog, {});
  const out: WorkloadViolation[] = [];
  const warnings: WorkloadViolation[] = [];
  const tenant = cfg.tenant.name;
  for (const v of podSecurityRestricted(pod.spec, pod.metadata)) out.push({ policy: "pod-security-restricted", message: v.message });
  const live = cfg.leases.filter((l) => inForce(l, at));
  const ids = new Set(live.map((l) => l.id));
  const { units, problems } = podAccelerators(pod.spec, settings.accelerators);
  for (const m of pinningViolations(pod.spec, tenant, ids, units)) out.push({ policy: "lease-pinning", message: m });
  for (const m of tolerationViolations(pod.spec, tenant, ids, settings.accelerators, kind))
    out.push({ policy: "lease-pinning", message: m });
  for (const m of podSpecValidation(pod.spec, pod.metadata)) out.push({ policy: "gpu-requests-within-quota", message: m });
  for (const m of restartPolicyValidation(kind, pod.spec)) out.push({ policy: "gpu-requests-within-quota", message: m });
  for (const m of stringFieldViolations(kind, object)) out.push({ policy: "gpu-requests-within-quota", message: m });
  if (kind === "DaemonSet") for (const m of daemonSetViolations(pod.spec, tenant, units)) out.push({ policy: "lease-pinning", message: m });
  out.push(...podLimitViolations(pod.spec, settings, tenant));
  for (const m of schedulingWarnings(pod.spec, tenant)) warnings.push({ policy: "lease-pinning", message: m });
  const undeclared = undeclaredResources(pod.spec, settings);
  if (undeclared.length > 0) {
    out.push({
      policy: "gpu-requests-within-quota",
      message: `The pod requests ${undeclared.join(", ")}, which the platform does not lease (its accelerators: ${settings.accelerators.join(", ")}${settings.extendedResources.length > 0 ? `; other extended resources: ${settings.extendedResources.join(", ")}` : ""}); the API server refuses it.`,
    });
  }
  for (const m of problems) out.push({ policy: "gpu-requests-within-quota", message: m });
  const limits = tenantLimits(cfg.leases, catalog);
  for (const m of limitRangeViolations(pod.spec, limits, settings.accelerators))
    out.push({ policy: "gpu-requests-within-quota", message: m });
  for (const m of podLevelViolations(pod.spec, limits)) out.push({ policy: "gpu-requests-within-quota", message: m });
  if (Object.values(units).some((n) => n > 0)) {
    // The nodes of the tenant's leases in force this pod may be placed on, each with the units its
    // tenant may use there: GPUs per node, the count's remainder on a lease's last node (its
    // reserve, lease/reserve.ts, holds the rest).
    const reached = reachableNodes(
      pod.spec,
      tenant,
      live.map((l) => ({
        id: l.id,
        gpuType: l.gpu.type,
        pool: l.placement.pool,
        nodes: l.placement.nodes,
        count: l.gpu.count,
        nodeCount: l.placement.nodes?.length ?? leaseNodesNeeded(catalog, l.gpu.type, l.gpu.count),
      })),
    );
    const freeOn = (n: (typeof reached)[number]) => {
      const per = gpusPerNode(catalog, n.lease.gpuType);
      return n.index === n.lease.nodeCount - 1 ? Math.max(0, n.lease.count - (n.lease.nodeCount - 1) * per) : per;
    };
    const pods = podCount(kind, object, reached.length);
    const granted = acceleratorsInForce(cfg.leases, catalog, at);
    const surge = kind === "Deployment" ? rollingSurge(object, pods) : 0;
    if (reached.length === 0 && live.length > 0 && !out.some((v) => v.policy === "lease-pinning"))
      warnings.push({
        policy: "lease-pinning",
        message: `The pod's node selection reaches no node of tenant ${tenant}'s leases in force at ${isoInstant(at)} (${live.map((l) => `${l.id}: ${l.gpu.type}`).join(", ")}): every pod would stay Pending.`,
      });
    for (const [r, perPod] of Object.entries(units)) {
      if (perPod === 0) continue;
      const onR = reached.filter((n) => gpuResourceOf(catalog[n.lease.gpuType]) === r);
      const fit = {
        pods:
          kind === "DaemonSet"
            ? onR.filter((n) => freeOn(n) >= perPod).length
            : onR.reduce((k, n) => k + Math.floor(freeOn(n) / perPod), 0),
        leases: [...new Map(onR.map((n) => [n.lease.id, `${n.lease.id} (${n.lease.count} ${n.lease.gpuType})`])).values()],
      };
      // The API server admits pods its scheduler cannot place: a warning, not a refusal. A lease's
      // nodes hold whole nodes, its reserve the GPUs beyond its count (lease/reserve.ts).
      if (
        pods > fit.pods &&
        fit.leases.length > 0 &&
        !out.some((v) => v.policy === "gpu-requests-within-quota") &&
        perPod * pods <= (granted[r] ?? 0)
      )
        warnings.push({
          policy: "gpu-requests-within-quota",
          message: `${kind} requests ${perPod} ${r} per pod x ${pods} pod(s), but the nodes it selects (${fit.leases.join(", ")}) give tenant ${tenant} room for ${fit.pods} such pod(s) at ${isoInstant(at)}: a lease runs on no more than its count, whole nodes or not (a reserve holds the rest of its last node), so ${pods - fit.pods} would stay Pending.`,
        });
      if (kind === "DaemonSet" && daemonSetSurge(object) > 0)
        warnings.push({
          policy: "gpu-requests-within-quota",
          message: `A rolling update of this DaemonSet starts each node's new pod before its old one stops (maxSurge): 2 x ${perPod} ${r} on one node at once, which its lease's node and quota never hold, so the update would never finish; set updateStrategy.rollingUpdate.maxSurge: 0 (and maxUnavailable: 1).`,
        });
      if (perPod * pods > (granted[r] ?? 0)) {
        out.push({
          policy: "gpu-requests-within-quota",
          message: `${kind} requests ${perPod} ${r} per pod x ${pods} pod(s) = ${perPod * pods} ${r === GPU_RESOURCE ? "GPUs" : r}, but tenant ${tenant}'s leases in force at ${isoInstant(at)} grant ${granted[r] ?? 0}.`,
        });
      } else if (kind === "Deployment" && perPod * (pods + surge) > (granted[r] ?? 0)) {
        warnings.push({
          policy: "gpu-requests-within-quota",
          message: `A rolling update of this Deployment starts ${surge} new pod(s) before old ones stop (maxSurge): ${perPod * (pods + surge)} ${r} at once, but tenant ${tenant}'s leases in force grant ${granted[r] ?? 0}, so the update would wait on the quota; set strategy.rollingUpdate.maxSurge: 0 or strategy.type: Recreate.`,
        });
      } else if (kind === "Deployment" && surge > 0 && pods <= fit.pods && pods + surge > fit.pods && fit.leases.length > 0) {
        warnings.push({
          policy: "gpu-requests-within-quota",
          message: `A rolling update of this Deployment starts ${surge} new pod(s) before old ones stop (maxSurge): ${pods + surge} pods of ${perPod} ${r} at once, but the nodes it selects (${fit.leases.join(", ")}) give tenant ${tenant} room for ${fit.pods}, so the update would wait for a node; set strategy.rollingUpdate.maxSurge: 0 or strategy.type: Recreate.`,
        });
      }
    }
  }
  return { violations: out, warnings };
}

/**
 * Extra pods a Deployment's rolling update runs at once: `maxSurge` (default 25%) of the replicas,
 * rounded up as the Deployment controller does; 0 for `strategy.type: Recreate`.
 */
export function rollingSurge(object: unknown, replicas: number): number {
  const strategy = (object as { spec?: { strategy?: { type?: string; rollingUpdate?: { maxSurge?: unknown } } } })?.spec?.strategy;
  if (strategy?.type === "Recreate") return 0;
  return surgeOf(strategy?.rollingUpdate?.maxSurge ?? "25%", replicas);
}

/**
 * Why a tenant may not create this Service, Endpoints or EndpointSlice (policy
 * `no-public-services`): a NodePort or LoadBalancer Service (quota 0), `spec.externalIPs`
 * (CVE-2020-8554, refused by the service admission policy), or hand-written endpoints
 * (CVE-2021-25740: they send a Service's traffic to any address; tenants have no write access to
 * Endpoints or EndpointSlices, the controllers write them).
 */
export function networkObjectViolations(kind: unknown, object: unknown, namespace?: string): string[] {
  const o = (object ?? {}) as { metadata?: { name?: string }; spec?: { type?: string; externalIPs?: unknown[] } };
  const name = qualifiedName(o, namespace);
  if (kind === "Endpoints" || kind === "EndpointSlice") {
    return [
      `${kind} ${name}: tenants may not write ${kind} (CVE-2021-25740: hand-written endpoints redirect a Service's traffic to any address); give the Service a selector and Kubernetes writes them.`,
    ];
  }
  if (kind !== "Service") return [];
  const out: string[] = [];
  const type = o.spec?.type ?? "ClusterIP";
  if (type === "ExternalName")
    out.push(
      `Service ${name} is of type ExternalName, which a proxy outside the tenant namespace (an ingress controller) would follow to any address, cloud metadata included; tenants may not.`,
    );
  if (type === "NodePort" || type === "LoadBalancer")
    out.push(
      `Service ${name} is of type ${type}; services in tenant namespaces are ClusterIP or headless only (the quota also allows 0 NodePorts and 0 LoadBalancers).`,
    );
  if (
    type === "ClusterIP" &&
    Array.isArray((o.spec as { ports?: { nodePort?: unknown }[] } | undefined)?.ports) &&
    (o.spec as { ports: { nodePort?: unknown }[] }).ports.some((p) => p?.nodePort !== undefined)
  ) {
    out.push(`Service ${name} sets a nodePort on a ClusterIP Service; the API server refuses it.`);
  }
  if (Array.isArray(o.spec?.externalIPs) && o.spec.externalIPs.length > 0) {
    out.push(
      `Service ${name} sets spec.externalIPs (${o.spec.externalIPs.join(", ")}), which would capture traffic to those addresses cluster-wide (CVE-2020-8554); tenants may not.`,
    );
  }
  return out;
}

/**
 * Why a tenant may not create this ConfigMap or Secret (policy `gpu-requests-within-quota`, the
 * config admission policy at runtime): a key named like an NVIDIA device variable, which
 * `envFrom` would put in a container.
 */
export function configObjectViolations(kind: unknown, object: unknown, namespace?: string): string[] {
  if (kind !== "ConfigMap" && kind !== "Secret") return [];
  const o = (object ?? {}) as {
    metadata?: { name?: string };
    data?: Record<string, unknown>;
    binaryData?: Record<string, unknown>;
    stringData?: Record<string, unknown>;
  };
  const keys = [...Object.keys(o.data ?? {}), ...Object.keys(o.binaryData ?? {}), ...Object.keys(o.stringData ?? {})].filter(
    forbiddenEnvName,
  );
  const name = qualifiedName(o, namespace);
  return keys.length > 0
    ? [
        `${kind} ${name} has the key ${[...new Set(keys)].join(", ")}, which envFrom would put in a container as an NVIDIA device variable (${FORBIDDEN_ENV_PREFIX}*); tenants may not.`,
      ]
    : [];
}

/** `namespace/name` of an object as messages name it (`name` alone without a namespace). */
function qualifiedName(o: { metadata?: { name?: string } }, namespace?: string): string {
  return `${namespace ? `${namespace}/` : ""}${o.metadata?.name ?? "(unnamed)"}`;
}
