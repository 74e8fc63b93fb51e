import { acceleratorResources, DEFAULT_GPU_RESOURCE, gpuResourceOf, type GpuCatalog } from "./catalog";
import { METADATA_CIDRS } from "./metadata";
import { cidrFamily, cidrStrictlyInside } from "./fields";
import { forceInterval, inForce, leaseState } from "./lifecycle";
import { addQuantities, formatQuantity, parseQuantity, scaleQuantity, type Quantity } from "./quantity";
import type { EgressRule, Lease, TenantConfig } from "./schema";

// What a tenant gets in Kubernetes at an instant, computed from the lease contract alone (no
// Pulumi here): the components turn these values into objects, the policy pack and the render
// check them.

/** Label and annotation keys leasehold writes. */
export const LABELS = {
  /** On every object of a tenant, and on leased nodes: the tenant's name. */
  tenant: "leasehold.io/tenant",
  /** On every object of a lease, and on leased nodes: the lease id; empty on tenant-wide objects. */
  lease: "leasehold.io/lease",
  /** On pool nodes (platform inventory). */
  pool: "leasehold.io/pool",
  /** On pool nodes (platform inventory). */
  gpuType: "leasehold.io/gpu-type",
  /** Prefix of the namespace labels naming the leases in force (`lease.leasehold.io/<id>: in-force`). */
  leaseInForcePrefix: "lease.leasehold.io/",
} as const;

/** The value of a namespace's `lease.leasehold.io/<id>` label while that lease is in force; no other value admits anything. */
export const LEASE_IN_FORCE_VALUE = "in-force";

/** Annotations on a tenant namespace while a lease is in reclaim notice. */
export const ANNOTATIONS = {
  reclaimAt: "leasehold.io/reclaim-at",
  reclaimReason: "leasehold.io/reclaim-reason",
  /**
   * The Server-Side Apply field manager the provider applies an object as. Fixed per component
   * (not the provider's random per-deploy name) so that a deploy killed after creating an object,
   * but before recording it, is recovered by the next `pulumi up` adopting the object instead of
   * failing on a field conflict with its own earlier self.
   */
  fieldManager: "pulumi.com/patchFieldManager",
} as const;

/** The field manager of a tenant namespace's objects (derived, with its limit, in names.ts). */
export { tenantFieldManager } from "./names";

/**
 * The taint on pool nodes: `leasehold.io/tenant=<tenant>:NoExecute` while a tenant holds the node,
 * `leasehold.io/tenant=:NoExecute` while it is idle (lease/node-ownership.ts). NoExecute, so that
 * the taint both keeps other pods off the node and, when the node leaves its tenant, makes
 * Kubernetes' taint-eviction controller evict the pods that no longer tolerate it. Tenant pods
 * tolerate it with `{key: leasehold.io/tenant, operator: Equal, value: <tenant>, effect: NoExecute}`
 * and select `leasehold.io/tenant: <tenant>`: a renewal on the same nodes changes neither.
 */
export { TENANT_TAINT_KEY, TENANT_TAINT_EFFECT, IDLE_TENANT_VALUE, LEGACY_LEASE_TAINT_KEY } from "./node-ownership";

/** The extended resource whole GPUs are requested as. */
export const GPU_RESOURCE = DEFAULT_GPU_RESOURCE;

/** The Pod Security Standards version tenant namespaces pin (enforce, audit and warn). */
export const POD_SECURITY_VERSION = "v1.35";

export { METADATA_CIDRS };

/**
 * What a tenant with no GPU in force still gets, so that it can reach its data between leases:
 * a small allowance; everything else scales with the GPUs in force.
 */
export const BASE_ALLOWANCE = { cpu: "4", memory: "16Gi", storage: "1Ti", pods: 20 } as const;

/** Per GPU in force, beyond the catalog's perGpu figures. */
export const PER_GPU_EXTRA = { ephemeralStorage: "100Gi", pvcs: 10, objects: 50 } as const;

/**
 * The kinds a tenant may create (its Role) that the quota counts by `count/<resource>`, and how
 * many of each per `objects` (PER_GPU_EXTRA.objects per GPU in force, at least one GPU's worth):
 * one each, but ReplicaSets and ControllerRevisions 11 (a Deployment keeps 10 old ReplicaSets by
 * default, `revisionHistoryLimit`, as StatefulSets and DaemonSets keep revisions) and Jobs 4 (a
 * CronJob keeps 3 succeeded and 1 failed). Pods, Services, ConfigMaps, Secrets and PVCs have their
 * own keys. Without these, a tenant could fill the cluster's datastore with Deployments or Jobs.
 */
export const COUNTED_KINDS: Readonly<Record<string, number>> = {
  "count/serviceaccounts": 1,
  "count/deployments.apps": 1,
  "count/statefulsets.apps": 1,
  "count/daemonsets.apps": 1,
  "count/replicasets.apps": 11,
  "count/controllerrevisions.apps": 11,
  "count/jobs.batch": 4,
  "count/cronjobs.batch": 1,
  "count/horizontalpodautoscalers.autoscaling": 1,
  "count/poddisruptionbudgets.policy": 1,
  "count/ingresses.networking.k8s.io": 1,
};

/** The ResourceQuota of a tenant namespace at an instant. */
export interface TenantQuota {
  /** GPUs of the leases in force, all accelerator resources together. */
  gpus: number;
  /** Per accelerator resource the platform declares (nvidia.com/gpu first): the units in force, 0 when none. */
  accelerators: Record<string, number>;
  /** The `spec.hard` of the ResourceQuota, every value a string as the API server stores it. */
  hard: Record<string, string>;
}

function q(v: string | number): Quantity {
  return parseQuantity(v);
}

/** Per accelerator resource of the catalog ({@link acceleratorResources}), the units of the leases in force at `at`. */
export function acceleratorsInForce(leases: readonly Lease[], catalog: GpuCatalog, at: number): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(acceleratorResources(catalog).map((r) => [r, 0]));
  for (const l of leases) {
    if (!inForce(l, at)) continue;
    const r = gpuResourceOf(catalog[l.gpu.type]);
    out[r] = (out[r] ?? 0) + l.gpu.count;
  }
  return out;
}

/**
 * The tenant's quota at `at`: for every accelerator resource the platform declares, the units of
 * the leases in force (0 when none, so an accelerator no lease grants is refused rather than
 * uncounted); cpu, memory, storage and pods from the tenant's caps when given, else the base
 * allowance plus the catalog's perGpu figures for each GPU in force; object counts and ephemeral
 * storage scale the same way; NodePort and LoadBalancer services are always 0.
 */
export function tenantQuota(tenant: TenantConfig["tenant"], leases: readonly Lease[], catalog: GpuCatalog, at: number): TenantQuota {
  let gpus = 0;
  let cpu = q(BASE_ALLOWANCE.cpu);
  let memory = q(BASE_ALLOWANCE.memory);
  let storage = q(BASE_ALLOWANCE.storage);
  let pods = BASE_ALLOWANCE.pods;
  for (const l of leases) {
    if (!inForce(l, at)) continue;
    gpus += l.gpu.count;
    const per = catalog[l.gpu.type]?.perGpu;
    if (!per) continue;
    cpu = addQuantities(cpu, scaleQuantity(q(per.cpu), l.gpu.count));
    memory = addQuantities(memory, scaleQuantity(q(per.memory), l.gpu.count));
    storage = addQuantities(storage, scaleQuantity(q(per.storage), l.gpu.count));
    pods += per.pods * l.gpu.count;
  }
  const caps = tenant.resources ?? {};
  const cpuText = caps.cpu ?? formatQuantity(cpu);
  const memoryText = caps.memory ?? formatQuantity(memory);
  const podCount = caps.pods ?? pods;
  const objects = PER_GPU_EXTRA.objects * Math.max(1, gpus);
  const accelerators = acceleratorsInForce(leases, catalog, at);
  return {
    gpus,
    accelerators,
    hard: {
      ...Object.fromEntries(Object.entries(accelerators).map(([r, n]) => [`requests.${r}`, String(n)])),
      "requests.cpu": cpuText,
      "limits.cpu": cpuText,
      "requests.memory": memoryText,
      "limits.memory": memoryText,
      "requests.ephemeral-storage": formatQuantity(scaleQuantity(q(PER_GPU_EXTRA.ephemeralStorage), Math.max(1, gpus))),
      "limits.ephemeral-storage": formatQuantity(scaleQuantity(q(PER_GPU_EXTRA.ephemeralStorage), Math.max(1, gpus))),
      "requests.storage": caps.storage ?? formatQuantity(storage),
      persistentvolumeclaims: String(PER_GPU_EXTRA.pvcs * Math.max(1, gpus)),
      pods: String(podCount),
      services: String(objects),
      secrets: String(objects),
      configmaps: String(objects),
      replicationcontrollers: "0",
      ...Object.fromEntries(Object.entries(COUNTED_KINDS).map(([k, n]) => [k, String(n * objects)])),
      "services.nodeports": "0",
      "services.loadbalancers": "0",
    },
  };
}

/** Container defaults of every tenant LimitRange, for the resources other than accelerators. */
export const CONTAINER_DEFAULTS = {
  default: { cpu: "1", memory: "4Gi", "ephemeral-storage": "10Gi" },
  defaultRequest: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "1Gi" },
} as const;

/**
 * The LimitRange of a tenant namespace: container defaults, and maxima of one node of the largest
 * GPU type leased (per accelerator resource: the most units one node of a leased type holds, 0
 * when no lease asks for it).
 *
 * Every resource with a `max` has an explicit `default` and `defaultRequest`: for a resource with
 * a max and no default, the API server copies the max into both, which would give every
 * container that asks for no GPU a node's worth of them. Accelerators default to 0, which the
 * device plugins and the quota treat as none.
 */
export function tenantLimits(
  leases: readonly Lease[],
  catalog: GpuCatalog,
): {
  default: Record<string, string>;
  defaultRequest: Record<string, string>;
  max: Record<string, string>;
} {
  let maxCpu = q(BASE_ALLOWANCE.cpu);
  let maxMemory = q(BASE_ALLOWANCE.memory);
  const maxUnits: Record<string, number> = Object.fromEntries(acceleratorResources(catalog).map((r) => [r, 0]));
  for (const l of leases) {
    const t = catalog[l.gpu.type];
    if (!t) continue;
    const cpu = scaleQuantity(q(t.perGpu.cpu), t.gpusPerNode);
    const mem = scaleQuantity(q(t.perGpu.memory), t.gpusPerNode);
    if (cpu.nanos > maxCpu.nanos) maxCpu = cpu;
    if (mem.nanos > maxMemory.nanos) maxMemory = mem;
    const r = gpuResourceOf(t);
    maxUnits[r] = Math.max(maxUnits[r] ?? 0, t.gpusPerNode);
  }
  const zero = Object.fromEntries(Object.keys(maxUnits).map((r) => [r, "0"]));
  return {
    default: { ...CONTAINER_DEFAULTS.default, ...zero },
    defaultRequest: { ...CONTAINER_DEFAULTS.defaultRequest, ...zero },
    max: {
      cpu: formatQuantity(maxCpu),
      memory: formatQuantity(maxMemory),
      ...Object.fromEntries(Object.entries(maxUnits).map(([r, n]) => [r, String(n)])),
    },
  };
}

/** The reclaim notice to show on the namespace: the earliest notice of a lease in notice at `at`. */
export function noticeShown(leases: readonly Lease[], at: number): { at: string; reason: string; leaseId: string } | undefined {
  let shown: { at: string; reason: string; leaseId: string; t: number } | undefined;
  for (const l of leases) {
    const n = l.reclaim.notice;
    if (!n || leaseState(l, at) !== "notice") continue;
    const t = forceInterval(l).to;
    if (!shown || t < shown.t)
      shown = { at: n.effectiveAt, reason: `${l.id}: ${n.reason}${n.emergency ? " (emergency)" : ""}`, leaseId: l.id, t };
  }
  return shown && { at: shown.at, reason: shown.reason, leaseId: shown.leaseId };
}

/**
 * The tenant's egress rules as NetworkPolicy ipBlocks: the metadata endpoints are always added
 * to `except` where they lie inside the rule's block (same address family).
 */
export function egressBlocks(
  rules: readonly EgressRule[],
): { cidr: string; except: string[]; ports?: { protocol: string; port?: number }[] }[] {
  return rules.map((r) => {
    const except = [...(r.except ?? [])];
    for (const m of METADATA_CIDRS) {
      if (cidrFamily(m) === cidrFamily(r.cidr) && cidrStrictlyInside(m, r.cidr) && !except.includes(m)) except.push(m);
    }
    // A NetworkPolicy rule with no ports allows every port of every protocol: a protocol given
    // without ports becomes a port entry of that protocol and no port number (all its ports).
    const protocol = r.protocol ?? "TCP";
    const ports = r.ports ? r.ports.map((port) => ({ protocol, port })) : r.protocol ? [{ protocol }] : undefined;
    return { cidr: r.cidr, except, ...(ports ? { ports } : {}) };
  });
}
