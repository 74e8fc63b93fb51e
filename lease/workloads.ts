import {
  DAEMONSET_TOLERATIONS,
  FORBIDDEN_ENV_PREFIX,
  forbiddenEnvName,
  forbiddenEnvPrefix,
  MAX_TERMINATION_GRACE_SECONDS,
  NODE_CONDITION_TOLERATIONS,
  type AdmissionSettings,
} from "./admission";
import { parseQuantity } from "./quantity";
import { LABELS, LEGACY_LEASE_TAINT_KEY, TENANT_TAINT_KEY } from "./tenancy";

// The workload half of the contract, as plain functions over Kubernetes objects: the policy pack
// runs them on a stack's workloads at preview, `leasehold admit` on manifests before submission.
// They mirror the admission policy's CEL (lease/admission.ts), which enforces the same rules at
// runtime.

/** The annotation of a mirror pod (the API's copy of a kubelet's static pod). */
export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";

/** Workload kinds whose pods the checks reach, with the path to their pod template. */
export const WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"] as const;
/** One of {@link WORKLOAD_KINDS}. */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The pod spec and pod metadata of a workload (a Pod's own, or its template's). */
export function podOf(kind: string, object: unknown): { spec: Obj; metadata: Obj } | undefined {
  const o = obj(object);
  switch (kind) {
    case "Pod":
      return { spec: obj(o.spec), metadata: obj(o.metadata) };
    case "CronJob": {
      const t = obj(obj(obj(obj(o.spec).jobTemplate).spec).template);
      return { spec: obj(t.spec), metadata: obj(t.metadata) };
    }
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job": {
      const t = obj(obj(o.spec).template);
      return { spec: obj(t.spec), metadata: obj(t.metadata) };
    }
    default:
      return undefined;
  }
}

/** Pods a Job runs at once: its parallelism (default 1), never more than its completions when set. */
function jobPods(spec: Obj): number {
  const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined);
  const parallelism = int(spec.parallelism) ?? 1;
  const completions = int(spec.completions);
  return completions === undefined ? parallelism : Math.min(parallelism, completions);
}

/** Pods a workload runs at once: replicas, parallelism, or (DaemonSet) one per node it may land on. */
export function podCount(kind: string, object: unknown, nodesPerLease: (lease: string) => number): number {
  const spec = obj(obj(object).spec);
  const int = (v: unknown, d: number) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : d);
  switch (kind) {
    case "Deployment":
    case "StatefulSet":
    case "ReplicaSet":
      return int(spec.replicas, 1);
    case "Job":
      return jobPods(spec);
    case "CronJob":
      return jobPods(obj(obj(spec.jobTemplate).spec));
    case "DaemonSet": {
      const pod = podOf(kind, object)!;
      const leases = pinnedLeases(pod.spec);
      return leases.length === 0 ? 0 : leases.reduce((n, l) => n + nodesPerLease(l), 0);
    }
    default:
      return 1;
  }
}

/**
 * One pod's accelerators as the API server will store and count it, per accelerator resource of
 * the platform, with the reasons the server refuses the pod's accelerator requests.
 *
 * Mirrors the server: a limit without a request gets the request copied from it (defaulting); a
 * request without a limit gets the namespace LimitRange's default limit, 0, and is then refused
 * (a request above its limit); extended resources must be whole, non-negative numbers; the pod's count is
 * Kubernetes' effective request: the containers plus the restartable init containers (sidecars,
 * `restartPolicy: Always`) running beside them, or the largest regular init container with the
 * sidecars started before it, whichever is larger.
 */
export function podAccelerators(spec: Obj, accelerators: readonly string[]): { units: Record<string, number>; problems: string[] } {
  const problems: string[] = [];
  const unitsOf = (c: unknown, r: string): number => {
    const res = obj(obj(c).resources);
    const name = String(obj(c).name ?? "?");
    const lim = obj(res.limits)[r];
    const req = obj(res.requests)[r];
    const read = (v: unknown, field: string): number | undefined => {
      let n: bigint;
      try {
        n = parseQuantity(typeof v === "number" ? v : String(v)).nanos;
      } catch {
        problems.push(`Container ${name} asks for ${field}.${r} ${JSON.stringify(v)}, which is not a quantity.`);
        return undefined;
      }
      if (n < 0n) {
        problems.push(`Container ${name} asks for ${field}.${r} ${JSON.stringify(v)}; the API server refuses a negative quantity.`);
        return undefined;
      }
      if (n % 1_000_000_000n !== 0n) {
        problems.push(
          `Container ${name} asks for ${field}.${r} ${JSON.stringify(v)}; ${r} is counted in whole units, so the API server refuses a fraction.`,
        );
        return undefined;
      }
      return Number(n / 1_000_000_000n);
    };
    const l = lim === undefined ? undefined : read(lim, "limits");
    const q = req === undefined ? undefined : read(req, "requests");
    if (req !== undefined && lim === undefined && (q ?? 0) > 0) {
      problems.push(
        `Container ${name} requests ${q} ${r} with no limit: the tenant's LimitRange defaults the limit to 0 and the API server refuses a request above its limit; set limits.${r}: ${q}.`,
      );
    }
    if (l !== undefined && q !== undefined && l !== q)
      problems.push(`Container ${name} requests ${q} ${r} but limits it to ${l}; extended resources must request exactly their limit.`);
    return l ?? 0;
  };
  const units: Record<string, number> = {};
  for (const r of accelerators) {
    const main = list(spec.containers).reduce<number>((n, c) => n + unitsOf(c, r), 0);
    let sidecars = 0;
    let init = 0;
    for (const c of list(spec.initContainers)) {
      const u = unitsOf(c, r);
      if (obj(c).restartPolicy === "Always") {
        sidecars += u;
        init = Math.max(init, sidecars);
      } else {
        init = Math.max(init, sidecars + u);
      }
    }
    units[r] = Math.max(main + sidecars, init);
  }
  return { units, problems: [...new Set(problems)] };
}

/**
 * The extended resources (names with a `/`) a pod spec asks for that the platform allows no
 * tenant (neither a catalog accelerator nor one of its other extended resources): the API server
 * refuses them.
 */
export function undeclaredResources(spec: Obj, settings: Pick<AdmissionSettings, "accelerators" | "extendedResources">): string[] {
  const allowed = new Set([...settings.accelerators, ...settings.extendedResources]);
  const out = new Set<string>();
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const res = obj(obj(c).resources);
    for (const k of [...Object.keys(obj(res.limits)), ...Object.keys(obj(res.requests))])
      if (k.includes("/") && !allowed.has(k)) out.add(k);
  }
  return [...out].sort();
}

/**
 * What the admission policy refuses beyond pinning: the NVIDIA device variables in a container,
 * a PriorityClass not granted to tenants, a termination grace period beyond the bound, and pod
 * (anti-)affinity terms that match pods outside `namespace` (the tenant's; a namespaceSelector,
 * or another namespace named).
 */
export function podLimitViolations(
  spec: Obj,
  settings: AdmissionSettings,
  namespace?: string,
): { policy: "lease-pinning" | "gpu-requests-within-quota"; message: string }[] {
  const gpu: string[] = [];
  const pinning: string[] = [];
  // Pod (anti-)affinity terms may match their own namespace's pods only.
  for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
    const a = obj(obj(spec.affinity)[kind]);
    const terms = [
      ...list(a.requiredDuringSchedulingIgnoredDuringExecution).map((t) => ["required", t] as const),
      ...list(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => ["preferred", obj(w).podAffinityTerm] as const),
    ];
    terms.forEach(([how, t], i) => {
      const term = obj(t);
      const others = list(term.namespaces).filter((n) => n !== namespace);
      if ((term.namespaceSelector !== undefined && term.namespaceSelector !== null) || others.length > 0)
        pinning.push(
          `The pod's ${kind} term ${i} (${how}) matches pods of ${term.namespaceSelector !== undefined && term.namespaceSelector !== null ? "the namespaces of a namespaceSelector" : `namespace ${others.map(String).join(", ")}`}; in a tenant namespace pod (anti-)affinity may match only that namespace's pods (across namespaces a tenant could keep others' pods off a node, or learn what runs there).`,
        );
    });
  }
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    for (const e of list(obj(c).env)) {
      const n = obj(e).name;
      if (typeof n === "string" && forbiddenEnvName(n)) {
        gpu.push(
          `Container ${String(obj(c).name ?? "?")} sets ${n}; the NVIDIA container toolkit reads ${FORBIDDEN_ENV_PREFIX}* variables to inject devices the pod never requested. Request GPUs as resources only.`,
        );
      }
    }
    for (const e of list(obj(c).envFrom)) {
      const prefix = obj(e).prefix;
      if (typeof prefix === "string" && forbiddenEnvPrefix(prefix)) {
        gpu.push(
          `Container ${String(obj(c).name ?? "?")} takes envFrom with prefix ${prefix}, which could spell an ${FORBIDDEN_ENV_PREFIX}* variable; the API server refuses it.`,
        );
      }
    }
  }
  if (list(spec.resourceClaims).length > 0)
    gpu.push("The pod uses DRA resource claims; devices are leased as extended resources (nvidia.com/gpu) only.");
  const pc = spec.priorityClassName;
  if (typeof pc === "string" && pc !== "" && !settings.priorityClasses.includes(pc)) {
    pinning.push(
      `The pod uses PriorityClass ${pc}; tenant pods may use ${settings.priorityClasses.length > 0 ? settings.priorityClasses.join(", ") : "none"} (a higher priority would preempt the landlord's pods).`,
    );
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (typeof grace === "number" && grace > MAX_TERMINATION_GRACE_SECONDS) {
    pinning.push(
      `The pod asks for terminationGracePeriodSeconds ${grace}; at most ${MAX_TERMINATION_GRACE_SECONDS} in a tenant namespace, so that a lease that ends takes its GPUs back within that.`,
    );
  }
  return [
    ...gpu.map((message) => ({ policy: "gpu-requests-within-quota" as const, message })),
    ...pinning.map((message) => ({ policy: "lease-pinning" as const, message })),
  ];
}

/** The lease ids a pod spec selects (nodeSelector and required node affinity terms with operator In). */
export function pinnedLeases(spec: Obj): string[] {
  return selected(spec, LABELS.lease);
}

/** The values a pod spec selects for a node label key (nodeSelector, and required node affinity terms with operator In). */
function selected(spec: Obj, key: string): string[] {
  const out = new Set<string>();
  const sel = obj(spec.nodeSelector)[key];
  if (typeof sel === "string" && sel !== "") out.add(sel);
  for (const term of affinityTerms(spec)) {
    for (const e of list(obj(term).matchExpressions)) {
      if (obj(e).key === key && obj(e).operator === "In") for (const v of list(obj(e).values)) if (typeof v === "string") out.add(v);
    }
  }
  return [...out];
}

function affinityTerms(spec: Obj): unknown[] {
  return list(obj(obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)).nodeSelectorTerms);
}

/**
 * Why a pod spec is not pinned to its tenant: a pod that asks for an accelerator must select its
 * tenant (`leasehold.io/tenant`) or one of its leases in force (`leasehold.io/lease`), by
 * nodeSelector or by every required node affinity term; no pod may name another tenant or a lease
 * not in force of its own. A CPU-only pod need not select anything: it runs on the landlord's
 * non-pool nodes (and reaches the tenant's data between leases), as at runtime. Empty when it is
 * pinned.
 */
export function pinningViolations(
  spec: Obj,
  tenant: string,
  inForce: ReadonlySet<string>,
  accelerators: Readonly<Record<string, number>> = {},
): string[] {
  const out: string[] = [];
  const held = [...inForce].join(", ") || "none";
  // An empty selector value names nothing (the API server's policy reads it as no selector).
  const pick = (key: string) => (obj(spec.nodeSelector)[key] === "" ? undefined : obj(spec.nodeSelector)[key]);
  const sel = pick(LABELS.lease);
  const selTenant = pick(LABELS.tenant);
  const terms = affinityTerms(spec);
  if (typeof sel === "string" && !inForce.has(sel)) {
    out.push(`The pod selects lease ${sel} by nodeSelector, but tenant ${tenant}'s leases in force are: ${held}.`);
  }
  if (selTenant !== undefined && selTenant !== tenant) {
    out.push(`The pod selects tenant ${String(selTenant)} by nodeSelector; it may select only its own tenant, ${tenant}.`);
  }
  terms.forEach((term, i) => {
    for (const e of list(obj(term).matchExpressions)) {
      const key = obj(e).key;
      if (key !== LABELS.lease && key !== LABELS.tenant) continue;
      const what = key === LABELS.lease ? "leases" : "tenants";
      if (obj(e).operator !== "In")
        out.push(`Node affinity term ${i} uses operator ${String(obj(e).operator)} on ${key}; only In names ${what}.`);
      for (const v of list(obj(e).values)) {
        if (key === LABELS.lease && !(inForce as ReadonlySet<unknown>).has(v))
          out.push(`Node affinity term ${i} selects lease ${String(v)}, but tenant ${tenant}'s leases in force are: ${held}.`);
        if (key === LABELS.tenant && v !== tenant)
          out.push(`Node affinity term ${i} selects tenant ${String(v)}; a pod may select only its own tenant, ${tenant}.`);
      }
    }
  });
  const termsPinned =
    terms.length > 0 &&
    terms.every((t) =>
      list(obj(t).matchExpressions).some(
        (e) => (obj(e).key === LABELS.lease || obj(e).key === LABELS.tenant) && obj(e).operator === "In" && list(obj(e).values).length > 0,
      ),
    );
  const asked = Object.entries(accelerators).filter(([, n]) => n > 0);
  if (typeof sel !== "string" && selTenant === undefined && !termsPinned && asked.length > 0) {
    if (inForce.size > 0) {
      out.push(
        `The pod requests ${asked.map(([r, n]) => `${n} ${r}`).join(" and ")}, so it must select its tenant with nodeSelector ${LABELS.tenant}: ${tenant} (or one of its leases in force, ${held}, with ${LABELS.lease}), or a required node affinity term on one of them in every term.`,
      );
    } else {
      out.push(
        `The pod requests ${asked.map(([r, n]) => `${n} ${r}`).join(" and ")} but tenant ${tenant} has no lease in force to select.`,
      );
    }
  }
  if (typeof spec.nodeName === "string" && spec.nodeName !== "")
    out.push(`The pod sets spec.nodeName ${spec.nodeName}, which skips the scheduler and the tenant's taint.`);
  return out;
}

/**
 * Why a pod's tolerations would be refused: a tenant pod may tolerate its own tenant's taint while
 * it has a lease in force (and, by the key of earlier versions, its own leases in force), an
 * accelerator it may request (the ExtendedResourceToleration plugin adds those), and Kubernetes'
 * not-ready and unreachable (NoExecute) for at most 300 s; a DaemonSet's pods, which its
 * controller creates, may also carry any `node.kubernetes.io/` toleration. Nothing else: a
 * catch-all, another lease's, or a landlord's taint (a cordon, GPU health, maintenance).
 */
export function tolerationViolations(
  spec: Obj,
  tenant: string,
  inForce: ReadonlySet<string>,
  accelerators: readonly string[],
  kind: string,
): string[] {
  const out: string[] = [];
  const held = [...inForce].join(", ") || "none";
  list(spec.tolerations).forEach((t, i) => {
    const { key, value, effect, operator, tolerationSeconds } = obj(t);
    if (operator === "Exists" && typeof value === "string" && value !== "") {
      out.push(`Toleration ${i} has operator Exists and value ${value}; the API server refuses a value with Exists.`);
    }
    if (key === undefined || key === "") {
      out.push(`Toleration ${i} has no key: it tolerates every taint, including other leases'.`);
    } else if (key === TENANT_TAINT_KEY) {
      if (value !== tenant)
        out.push(
          `Toleration ${i} tolerates ${TENANT_TAINT_KEY}=${String(value ?? "*")}; a pod may tolerate only its own tenant's, ${tenant}.`,
        );
      else if (inForce.size === 0)
        out.push(`Toleration ${i} tolerates ${TENANT_TAINT_KEY}=${tenant}, but tenant ${tenant} has no lease in force.`);
    } else if (key === LEGACY_LEASE_TAINT_KEY) {
      if (!(typeof value === "string" && inForce.has(value)))
        out.push(
          `Toleration ${i} tolerates ${LEGACY_LEASE_TAINT_KEY}=${String(value ?? "*")}, which is not one of tenant ${tenant}'s leases in force (${held}).`,
        );
    } else if (accelerators.includes(String(key)) && effect === "NoSchedule") {
      // The accelerator's own taint, as ExtendedResourceToleration adds it: harmless behind the lease taint.
    } else if (
      (NODE_CONDITION_TOLERATIONS as readonly unknown[]).includes(key) &&
      effect === "NoExecute" &&
      typeof tolerationSeconds === "number" &&
      tolerationSeconds <= MAX_TERMINATION_GRACE_SECONDS
    ) {
      // Kubernetes' own, bounded (DefaultTolerationSeconds adds these with 300 s).
    } else if (kind === "DaemonSet" && (DAEMONSET_TOLERATIONS as readonly unknown[]).includes(key)) {
      // The DaemonSet controller creates these pods and adds such tolerations itself.
    } else {
      out.push(
        `Toleration ${i} tolerates ${String(key)}, a taint that is not tenant ${tenant}'s: tenant pods may tolerate only their tenant's taint and ${NODE_CONDITION_TOLERATIONS.join(" and ")} (NoExecute) for at most ${MAX_TERMINATION_GRACE_SECONDS} s.`,
      );
    }
  });
  return out;
}

/**
 * What the API server's own validation refuses in a pod spec that leasehold's rules would not:
 * pod-level `resources` other than CPU and memory, `overhead` without a RuntimeClass to supply
 * it, ephemeral containers on create, the mirror-pod annotation.
 */
export function podSpecValidation(spec: Obj, metadata: Obj = {}): string[] {
  const out: string[] = [];
  // Only a kubelet makes mirror pods (of its static pods); the API server refuses the annotation
  // without spec.nodeName, and a tenant pod may not set spec.nodeName.
  if (Object.prototype.hasOwnProperty.call(obj(metadata.annotations), MIRROR_POD_ANNOTATION)) {
    out.push(
      `The pod carries the mirror-pod annotation ${MIRROR_POD_ANNOTATION}, which only a kubelet's static pods carry; the API server refuses it without spec.nodeName, and tenant pods may not set spec.nodeName.`,
    );
  }
  const podLevel = obj(spec.resources);
  const bad = [...Object.keys(obj(podLevel.limits)), ...Object.keys(obj(podLevel.requests))].filter(
    (k) => !["cpu", "memory"].includes(k) && !k.startsWith("hugepages-"),
  );
  if (bad.length > 0)
    out.push(
      `Pod-level resources may only be cpu, memory and hugepages; ${[...new Set(bad)].join(", ")} is refused (request it per container).`,
    );
  if (spec.overhead !== undefined && spec.runtimeClassName === undefined)
    out.push(
      "The pod sets overhead with no runtimeClassName; the RuntimeClass admission plugin refuses it (overhead comes from the RuntimeClass).",
    );
  if (list(spec.ephemeralContainers).length > 0)
    out.push("The pod sets ephemeralContainers; they can only be added to a running pod, never on create.");
  return out;
}

/** Whether a pod spec tolerates its tenant's taint (`leasehold.io/tenant=<tenant>:NoExecute`). */
function toleratesTenant(spec: Obj, tenant: string): boolean {
  return list(spec.tolerations).some(
    (t) =>
      obj(t).key === TENANT_TAINT_KEY &&
      (obj(t).operator === undefined || obj(t).operator === "Equal") &&
      obj(t).value === tenant &&
      ["", "NoExecute"].includes(String(obj(t).effect ?? "")),
  );
}

/**
 * Why the pods of a GPU DaemonSet would be refused although its template is pinned: the DaemonSet
 * controller replaces a required node affinity with the node's name, so only a nodeSelector
 * still names the tenant or lease in the pods it creates (a CPU-only DaemonSet needs neither).
 */
export function daemonSetViolations(spec: Obj, tenant: string, accelerators: Readonly<Record<string, number>>): string[] {
  const bySelector = [LABELS.lease, LABELS.tenant].some(
    (k) => typeof obj(spec.nodeSelector)[k] === "string" && obj(spec.nodeSelector)[k] !== "",
  );
  const byAffinity = selected(spec, LABELS.lease).length > 0 || selected(spec, LABELS.tenant).length > 0;
  if (bySelector || !Object.values(accelerators).some((n) => n > 0) || !byAffinity) return [];
  return [
    `The DaemonSet asks for accelerators and selects tenant ${tenant}'s nodes by node affinity only, which its controller replaces with each node's name in the pods it creates: select them with nodeSelector ${LABELS.tenant}: ${tenant} instead.`,
  ];
}

/**
 * Warnings (no refusal): a pod that selects its tenant's nodes (or a lease's) but does not tolerate
 * the tenant's taint (`leasehold.io/tenant=<tenant>:NoExecute`) is admitted and never scheduled.
 */
export function schedulingWarnings(spec: Obj, tenant: string): string[] {
  const pinned = selected(spec, LABELS.lease).length > 0 || selected(spec, LABELS.tenant).length > 0;
  if (!pinned || toleratesTenant(spec, tenant)) return [];
  return [
    `The pod selects tenant ${tenant}'s nodes but does not tolerate their taint ${TENANT_TAINT_KEY}=${tenant}:NoExecute: it will stay Pending. Add {key: ${TENANT_TAINT_KEY}, operator: Equal, value: ${tenant}, effect: NoExecute}.`,
  ];
}

/** A tenant namespace's LimitRange for containers ({@link tenantLimits}): defaults and maxima. */
export interface ContainerLimits {
  /** The limit a container gets for a resource it sets no limit of, per resource, as a Kubernetes quantity. */
  default: Readonly<Record<string, string>>;
  /** The request a container gets for a resource it sets neither a request nor a limit of, per resource, as a quantity. */
  defaultRequest: Readonly<Record<string, string>>;
  /** The most a container's limit or request may be, per resource, as a quantity. */
  max: Readonly<Record<string, string>>;
}

/**
 * What the tenant's LimitRange refuses, as the API server applies it after its own defaulting:
 * a container's request defaults to its limit, then the LimitRange's defaults fill what is left;
 * every container and init container must then stay within `max` (limit and request), and a
 * request may not exceed the limit it ends up with. Accelerator requests without a limit are
 * reported by {@link podAccelerators}, so they are skipped here.
 */
export function limitRangeViolations(spec: Obj, limits: ContainerLimits, accelerators: readonly string[]): string[] {
  const out: string[] = [];
  const nanos = (v: unknown): bigint | undefined => {
    try {
      return parseQuantity(typeof v === "number" ? v : String(v)).nanos;
    } catch {
      return undefined;
    }
  };
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const res = obj(obj(c).resources);
    const lim = obj(res.limits);
    const req = obj(res.requests);
    const name = String(obj(c).name ?? "?");
    for (const [r, max] of Object.entries(limits.max)) {
      const l = lim[r] ?? limits.default[r];
      const q = req[r] ?? lim[r] ?? limits.defaultRequest[r];
      const m = nanos(max)!;
      const ln = nanos(l);
      const qn = nanos(q);
      if (ln !== undefined && ln > m)
        out.push(`Container ${name}: the tenant's LimitRange allows at most ${max} ${r} per container, but its limit is ${String(l)}.`);
      else if (qn !== undefined && qn > m)
        out.push(`Container ${name}: the tenant's LimitRange allows at most ${max} ${r} per container, but its request is ${String(q)}.`);
    }
    for (const [r, d] of Object.entries(limits.default)) {
      if (accelerators.includes(r) || req[r] === undefined || lim[r] !== undefined) continue;
      const qn = nanos(req[r]);
      const dn = nanos(d);
      if (qn !== undefined && dn !== undefined && qn > dn) {
        out.push(
          `Container ${name} requests ${String(req[r])} ${r} with no limit: the tenant's LimitRange defaults the limit to ${d} and the API server refuses a request above its limit; set limits.${r}.`,
        );
      }
    }
  }
  return [...new Set(out)];
}

/** A lease in force as its nodes' labels show it to the scheduler. */
export interface LeaseNodes {
  /** The lease id (`leasehold.io/lease`). */
  id: string;
  /** Its GPU type (`leasehold.io/gpu-type`). */
  gpuType: string;
  /** Its pool (`leasehold.io/pool`). */
  pool: string;
  /** Its named nodes, when the provider names them (existing clusters). */
  nodes?: readonly string[];
}

/**
 * The leases in force of `tenant` on whose nodes the scheduler may place this pod: those whose
 * nodes' labels (tenant, lease, GPU type, pool) match its nodeSelector and at least one of its
 * required node affinity terms (`In`, `NotIn`, `Exists`, `DoesNotExist`; `matchFields` on
 * `metadata.name` against named nodes). Expressions on other keys are taken to match (they narrow
 * nodes within a lease, never add one).
 */
export function reachableLeases<L extends LeaseNodes>(spec: Obj, tenant: string, leases: readonly L[]): L[] {
  const labelsOf = (l: LeaseNodes): Record<string, string> => ({
    [LABELS.tenant]: tenant,
    [LABELS.lease]: l.id,
    [LABELS.gpuType]: l.gpuType,
    [LABELS.pool]: l.pool,
  });
  const known = new Set([LABELS.tenant, LABELS.lease, LABELS.gpuType, LABELS.pool] as string[]);
  const exprMatches = (labels: Record<string, string>, e: Obj): boolean => {
    const key = e.key;
    if (typeof key !== "string" || !known.has(key)) return true;
    const values = list(e.values);
    const has = key in labels;
    switch (e.operator) {
      case "In":
        return has && values.includes(labels[key]);
      case "NotIn":
        return !has || !values.includes(labels[key]);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return true;
    }
  };
  const fieldMatches = (l: LeaseNodes, e: Obj): boolean => {
    if (e.key !== "metadata.name" || l.nodes === undefined) return true;
    const values = list(e.values);
    if (e.operator === "In") return l.nodes.some((n) => values.includes(n));
    if (e.operator === "NotIn") return l.nodes.some((n) => !values.includes(n));
    return true;
  };
  const terms = affinityTerms(spec);
  return leases.filter((l) => {
    const labels = labelsOf(l);
    for (const [k, v] of Object.entries(obj(spec.nodeSelector))) if (known.has(k) && labels[k] !== v) return false;
    if (terms.length === 0) return true;
    // A term with no expression and no field matches no node (core/v1 NodeSelectorTerm).
    return terms.some(
      (t) =>
        list(obj(t).matchExpressions).length + list(obj(t).matchFields).length > 0 &&
        list(obj(t).matchExpressions).every((e) => exprMatches(labels, obj(e))) &&
        list(obj(t).matchFields).every((e) => fieldMatches(l, obj(e))),
    );
  });
}
