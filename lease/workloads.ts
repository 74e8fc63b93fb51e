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

/**
 * Pods a workload runs at once: replicas, parallelism, or, for a DaemonSet, one on each of the
 * `nodesReached` nodes its node selection reaches ({@link reachableNodes}).
 */
export function podCount(kind: string, object: unknown, nodesReached: number): number {
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
    case "DaemonSet":
      return nodesReached;
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

/**
 * Fields of a workload that Kubernetes types as strings but that hold another JSON type, each as
 * `path: value`: a YAML 1.1 boolean or number where a string is wanted (a container named `n`, a
 * label `app: yes`, `version: 1`) reaches the API server as `false` or `1`, and it cannot decode
 * the object ("cannot unmarshal bool into Go struct field ... of type string"). The object's and
 * its pod template's names, labels and annotations, and the pod spec's string fields.
 */
export function stringFieldViolations(kind: string, object: unknown): string[] {
  const out: string[] = [];
  const check = (v: unknown, where: string) => {
    if (v !== undefined && v !== null && typeof v !== "string") out.push(`${where} is ${JSON.stringify(v)}, not a string`);
  };
  const meta = (m: unknown, where: string) => {
    const md = obj(m);
    check(md.name, `${where}.name`);
    check(md.namespace, `${where}.namespace`);
    for (const field of ["labels", "annotations"]) for (const [k, v] of Object.entries(obj(md[field]))) check(v, `${where}.${field}.${k}`);
  };
  meta(obj(object).metadata, "metadata");
  const templatePath = kind === "Pod" ? "" : kind === "CronJob" ? "spec.jobTemplate.spec.template." : "spec.template.";
  const pod = podOf(kind, object);
  if (!pod) return out;
  if (kind !== "Pod") meta(pod.metadata, `${templatePath}metadata`);
  const spec = pod.spec;
  const sp = `${templatePath}spec`;
  for (const f of [
    "serviceAccountName",
    "priorityClassName",
    "restartPolicy",
    "schedulerName",
    "hostname",
    "subdomain",
    "runtimeClassName",
  ])
    check(spec[f], `${sp}.${f}`);
  for (const [k, v] of Object.entries(obj(spec.nodeSelector))) check(v, `${sp}.nodeSelector.${k}`);
  list(spec.tolerations).forEach((t, i) => {
    for (const f of ["key", "operator", "value", "effect"]) check(obj(t)[f], `${sp}.tolerations[${i}].${f}`);
  });
  for (const group of ["containers", "initContainers"]) {
    list(spec[group]).forEach((c, i) => {
      const cp = `${sp}.${group}[${i}]`;
      for (const f of ["name", "image", "workingDir", "imagePullPolicy"]) check(obj(c)[f], `${cp}.${f}`);
      for (const f of ["command", "args"]) list(obj(c)[f]).forEach((a, j) => check(a, `${cp}.${f}[${j}]`));
      list(obj(c).env).forEach((e, j) => {
        check(obj(e).name, `${cp}.env[${j}].name`);
        check(obj(e).value, `${cp}.env[${j}].value`);
      });
    });
  }
  return out.map(
    (m) =>
      `${m}: kubectl sends it so (YAML 1.1 reads y/n, yes/no, on/off as booleans, digits as numbers) and the API server cannot decode it; quote it.`,
  );
}

/**
 * Why the API server refuses a controller's pod template by its restart policy: a Job's (and a
 * CronJob's) pods must restart `OnFailure` or `Never` (left out, the pod default `Always` is
 * refused); every other controller's must restart `Always`. Empty when it passes.
 */
export function restartPolicyValidation(kind: string, spec: Obj): string[] {
  const rp = spec.restartPolicy;
  if (kind === "Job" || kind === "CronJob") {
    if (rp !== "OnFailure" && rp !== "Never")
      return [
        `A ${kind}'s pod template must set restartPolicy OnFailure or Never${rp === undefined ? " (left out, it is Always)" : `, not ${String(rp)}`}; the API server refuses it.`,
      ];
  } else if (kind !== "Pod" && rp !== undefined && rp !== "Always") {
    return [`A ${kind}'s pods must restart Always, not ${String(rp)}; the API server refuses it (spec.template.spec.restartPolicy).`];
  }
  return [];
}

/**
 * Extra pods a DaemonSet's rolling update runs on a node at once: 1 when
 * `updateStrategy.rollingUpdate.maxSurge` is above zero (a number, or a percentage of the nodes,
 * rounded up), else 0 (the default; `OnDelete` never surges).
 */
export function daemonSetSurge(object: unknown): number {
  const strategy = obj(obj(obj(object).spec).updateStrategy);
  if (strategy.type === "OnDelete") return 0;
  // A percentage of one node or more rounds up to one pod per node.
  return surgeOf(obj(strategy.rollingUpdate).maxSurge ?? 0, 1) > 0 ? 1 : 0;
}

/**
 * A rolling update's `maxSurge` as a number of pods: a number as it is, a percentage of `total`
 * rounded up (as the Deployment and DaemonSet controllers do), anything else as a number or 0.
 */
export function surgeOf(maxSurge: unknown, total: number): number {
  if (typeof maxSurge === "number") return maxSurge;
  const m = /^(\d+)%$/.exec(String(maxSurge));
  return m ? Math.ceil((total * Number(m[1])) / 100) : Number(maxSurge) || 0;
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

/**
 * Why the API server refuses a pod's pod-level resources (`spec.resources`) once the tenant's
 * LimitRange has given its containers their defaults: each container's limit must be at most the
 * pod-level limit, and the pod-level request at least the containers' requests together (the
 * containers and the restartable init containers beside them), for each resource the pod level
 * names (kubernetes#128407: containers that state no resources still get the LimitRange's).
 */
export function podLevelViolations(spec: Obj, limits: ContainerLimits): string[] {
  const podLevel = obj(spec.resources);
  const podLim = obj(podLevel.limits);
  const podReq = obj(podLevel.requests);
  if (Object.keys(podLim).length + Object.keys(podReq).length === 0) return [];
  const nanos = (v: unknown): bigint | undefined => {
    try {
      return v === undefined ? undefined : parseQuantity(typeof v === "number" ? v : String(v)).nanos;
    } catch {
      return undefined;
    }
  };
  const out: string[] = [];
  const containers = list(spec.containers);
  const inits = list(spec.initContainers);
  const limitOf = (c: unknown, r: string) => obj(obj(obj(c).resources).limits)[r] ?? limits.default[r];
  const requestOf = (c: unknown, r: string) =>
    obj(obj(obj(c).resources).requests)[r] ?? obj(obj(obj(c).resources).limits)[r] ?? limits.defaultRequest[r];
  for (const [r, pl] of Object.entries(podLim)) {
    const pn = nanos(pl);
    if (pn === undefined) continue;
    for (const c of [...containers, ...inits]) {
      const l = limitOf(c, r);
      const ln = nanos(l);
      if (ln !== undefined && ln > pn)
        out.push(
          `Container ${String(obj(c).name ?? "?")}'s ${r} limit${obj(obj(obj(c).resources).limits)[r] === undefined ? ` (the LimitRange's default, ${String(l)})` : ` ${String(l)}`} is over the pod-level limit ${String(pl)}; the API server refuses it.`,
        );
    }
  }
  for (const [r, pr] of Object.entries(podReq)) {
    const pn = nanos(pr);
    if (pn === undefined) continue;
    const beside = [...containers, ...inits.filter((c) => obj(c).restartPolicy === "Always")];
    const sum = beside.reduce<bigint>((n, c) => n + (nanos(requestOf(c, r)) ?? 0n), 0n);
    if (sum > pn)
      out.push(
        `The pod-level ${r} request ${String(pr)} is under its containers' requests together (with the LimitRange's defaults for those that state none): the API server refuses it; raise spec.resources.requests.${r} or set the containers' own.`,
      );
  }
  return out;
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

/** One node of a lease in force, as the scheduler sees it for one tenant. */
export interface ReachedNode<L extends LeaseNodes = LeaseNodes> {
  /** The lease. */
  lease: L;
  /** The node's name; absent where the provider names no node (EKS node groups). */
  name?: string;
  /** Its place among the lease's nodes in name order (the last holds the lease's reserve). */
  index: number;
}

/**
 * The nodes of `tenant`'s leases in force on which the scheduler may place this pod: a lease's
 * nodes carry its labels (tenant, lease, GPU type, pool), so a node is reached when those match
 * the pod's nodeSelector and at least one of its required node affinity terms (`In`, `NotIn`,
 * `Exists`, `DoesNotExist`, and `Gt`/`Lt`, which read the label as an integer; `matchFields` on
 * `metadata.name`, and a nodeSelector `kubernetes.io/hostname`, taken as the node's name, against
 * named nodes). Expressions on other keys are taken to match (they narrow nodes, never add one).
 * A lease with `nodes` has those nodes, in name order; one without has `count` anonymous ones.
 */
export function reachableNodes<L extends LeaseNodes>(
  spec: Obj,
  tenant: string,
  leases: readonly (L & { nodeCount: number })[],
): ReachedNode<L>[] {
  const labelsOf = (l: LeaseNodes): Record<string, string> => ({
    [LABELS.tenant]: tenant,
    [LABELS.lease]: l.id,
    [LABELS.gpuType]: l.gpuType,
    [LABELS.pool]: l.pool,
  });
  const known = new Set([LABELS.tenant, LABELS.lease, LABELS.gpuType, LABELS.pool] as string[]);
  const integer = (v: unknown) => (typeof v === "string" && /^[+-]?[0-9]+$/.test(v) ? BigInt(v) : undefined);
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
      case "Gt":
      case "Lt": {
        const v = integer(labels[key]);
        const bound = integer(values[0]);
        if (!has || v === undefined || bound === undefined) return false;
        return e.operator === "Gt" ? v > bound : v < bound;
      }
      default:
        return true;
    }
  };
  const fieldMatches = (name: string | undefined, e: Obj): boolean => {
    if (e.key !== "metadata.name" || name === undefined) return true;
    const values = list(e.values);
    if (e.operator === "In") return values.includes(name);
    if (e.operator === "NotIn") return !values.includes(name);
    return true;
  };
  const terms = affinityTerms(spec);
  const selector = obj(spec.nodeSelector);
  const hostname = selector["kubernetes.io/hostname"];
  const out: ReachedNode<L>[] = [];
  for (const l of leases) {
    const labels = labelsOf(l);
    if (Object.entries(selector).some(([k, v]) => known.has(k) && labels[k] !== v)) continue;
    const names: (string | undefined)[] =
      l.nodes !== undefined ? [...l.nodes].sort() : Array.from({ length: l.nodeCount }, () => undefined);
    names.forEach((name, index) => {
      if (hostname !== undefined && name !== undefined && hostname !== name) return;
      // A term with no expression and no field matches no node (core/v1 NodeSelectorTerm).
      const reached =
        terms.length === 0 ||
        terms.some(
          (t) =>
            list(obj(t).matchExpressions).length + list(obj(t).matchFields).length > 0 &&
            list(obj(t).matchExpressions).every((e) => exprMatches(labels, obj(e))) &&
            list(obj(t).matchFields).every((e) => fieldMatches(name, obj(e))),
        );
      if (reached) out.push({ lease: l, ...(name !== undefined ? { name } : {}), index });
    });
  }
  return out;
}
