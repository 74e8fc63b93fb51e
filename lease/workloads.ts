import { parseQuantity } from "./quantity";
import { GPU_RESOURCE, LABELS, LEASE_TAINT_KEY } from "./tenancy";

// The workload half of the contract, as plain functions over Kubernetes objects: the policy pack
// runs them on a stack's workloads at preview, `leasehold admit` on manifests before submission.
// They mirror the admission policy's CEL (lease/admission.ts), which enforces the same rules at
// runtime.

/** Workload kinds whose pods the checks reach, with the path to their pod template. */
export const WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"] as const;
/** One of {@link WORKLOAD_KINDS}. */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

type Obj = Record<string, any>;

function obj(v: unknown): Obj {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}
function list(v: unknown): any[] {
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
      return int(spec.parallelism, 1);
    case "CronJob":
      return int(obj(obj(spec.jobTemplate).spec).parallelism, 1);
    case "DaemonSet": {
      const pod = podOf(kind, object)!;
      const leases = pinnedLeases(pod.spec);
      return leases.length === 0 ? 0 : leases.reduce((n, l) => n + nodesPerLease(l), 0);
    }
    default:
      return 1;
  }
}

/** GPUs one pod requests: the largest of its init containers (they run one at a time) or the sum of its containers. */
export function podGpus(spec: Obj): number {
  const gpus = (c: unknown) => {
    const res = obj(obj(c).resources);
    const v = obj(res.limits)[GPU_RESOURCE] ?? obj(res.requests)[GPU_RESOURCE];
    if (v === undefined) return 0;
    try {
      return Number(parseQuantity(typeof v === "number" ? v : String(v)).nanos / 1_000_000_000n);
    } catch {
      return 0;
    }
  };
  const main = list(spec.containers).reduce((n: number, c) => n + gpus(c), 0);
  const init = Math.max(0, ...list(spec.initContainers).map(gpus));
  return Math.max(main, init);
}

/** The lease ids a pod spec selects (nodeSelector and required node affinity terms with operator In). */
export function pinnedLeases(spec: Obj): string[] {
  const out = new Set<string>();
  const sel = obj(spec.nodeSelector)[LABELS.lease];
  if (typeof sel === "string") out.add(sel);
  for (const term of affinityTerms(spec)) {
    for (const e of list(obj(term).matchExpressions)) {
      if (obj(e).key === LABELS.lease && obj(e).operator === "In") for (const v of list(obj(e).values)) if (typeof v === "string") out.add(v);
    }
  }
  return [...out];
}

function affinityTerms(spec: Obj): any[] {
  return list(obj(obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)).nodeSelectorTerms);
}

/**
 * Why a pod spec is not pinned to its tenant's leases in force: it must select one of them (by
 * nodeSelector or by every required node affinity term), name no other lease, tolerate no other
 * lease's taint and carry no catch-all toleration. A pod that asks for no GPU while its tenant has
 * no lease in force need not select one (it reaches the tenant's data between leases), as at
 * runtime. Empty when it is pinned.
 */
export function pinningViolations(spec: Obj, tenant: string, inForce: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const held = [...inForce].join(", ") || "none";
  const sel = obj(spec.nodeSelector)[LABELS.lease];
  const terms = affinityTerms(spec);
  if (typeof sel === "string" && !inForce.has(sel)) {
    out.push(`The pod selects lease ${sel} by nodeSelector, but tenant ${tenant}'s leases in force are: ${held}.`);
  }
  terms.forEach((term, i) => {
    for (const e of list(obj(term).matchExpressions)) {
      if (obj(e).key !== LABELS.lease) continue;
      const values = list(obj(e).values);
      if (obj(e).operator !== "In") out.push(`Node affinity term ${i} uses operator ${String(obj(e).operator)} on ${LABELS.lease}; only In names leases.`);
      for (const v of values) if (!inForce.has(v)) out.push(`Node affinity term ${i} selects lease ${String(v)}, but tenant ${tenant}'s leases in force are: ${held}.`);
    }
  });
  const termsPinned = terms.length > 0 && terms.every((t) => list(obj(t).matchExpressions).some((e) => obj(e).key === LABELS.lease && obj(e).operator === "In" && list(obj(e).values).length > 0));
  if (typeof sel !== "string" && !termsPinned) {
    if (inForce.size > 0) {
      out.push(`The pod must select one of tenant ${tenant}'s leases in force (${held}) with nodeSelector ${LABELS.lease} or a required node affinity term on it in every term.`);
    } else if (podGpus(spec) > 0) {
      out.push(`The pod requests ${podGpus(spec)} ${GPU_RESOURCE} but tenant ${tenant} has no lease in force to select.`);
    }
  }
  list(spec.tolerations).forEach((t, i) => {
    const key = obj(t).key;
    if (key === undefined || key === "") out.push(`Toleration ${i} has no key: it tolerates every taint, including other leases'.`);
    else if (key === LEASE_TAINT_KEY && !(typeof obj(t).value === "string" && inForce.has(obj(t).value))) {
      out.push(`Toleration ${i} tolerates ${LEASE_TAINT_KEY}=${String(obj(t).value ?? "*")}, which is not one of tenant ${tenant}'s leases in force (${held}).`);
    }
  });
  if (typeof spec.nodeName === "string" && spec.nodeName !== "") out.push(`The pod sets spec.nodeName ${spec.nodeName}, which skips the scheduler and the lease's taint.`);
  return out;
}
