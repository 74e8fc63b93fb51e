import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

// The corpus of the admission differential: manifests that `leasehold admit` and the API server
// (as the tenant) must judge alike. Every manifest is in tenant acme's namespace, judged at the
// suite's instant (2026-12-20), when acme holds acme-h100-2026q4 (16 H100s on gpu-001 and
// gpu-002) and acme-l40s-2026q4 (8 L40S on l40s-001): one quota of 24 nvidia.com/gpu, at most 8 per
// container (the LimitRange). Names are short and unique (`<prefix><n>`) so that a batch of
// manifests can be judged in one kubectl call and each verdict found by name.

/** One manifest of the corpus. */
export interface CorpusItem {
  /** What the manifest tries, for the report. */
  what: string;
  /** The object (its metadata.name is unique in the corpus). */
  object: Record<string, any>;
  /** The manifest as written, when its YAML form matters (merge keys, YAML 1.1 scalars); else JSON of `object`. */
  text?: string;
}

/** The tenant the corpus runs as, and its leases in force at the suite's instant. */
export const TENANT = "acme";
export const H100 = "acme-h100-2026q4";
export const L40S = "acme-l40s-2026q4";
/** Another tenant's lease (bluefin's, in force at the instant). */
export const OTHERS = "bluefin-h100-burst";
/** The label every pod template of the corpus carries: the item's name, to find its pods. */
export const ITEM_LABEL = "leasehold.io/differential-item";

const RESTRICTED = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const POD_SECURITY = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
/** The toleration of a tenant's taint (what tenant pods carry: a renewal does not change it). */
const tenantTol = (tenant: string = TENANT, effect = "NoExecute") => ({
  key: "leasehold.io/tenant",
  operator: "Equal",
  value: tenant,
  effect,
});
/** The toleration of a lease by the taint key of earlier versions (still judged: a pod may carry its own lease's). */
const tol = (lease: string, effect = "NoExecute") => ({ key: "leasehold.io/lease", operator: "Equal", value: lease, effect });
const gpus = (n: string | number, field: "limits" | "requests" | "both" = "limits") =>
  field === "both"
    ? { limits: { "nvidia.com/gpu": String(n) }, requests: { "nvidia.com/gpu": String(n) } }
    : { [field]: { "nvidia.com/gpu": String(n) } };
const container = (name: string, resources?: object, extra: object = {}) => ({
  name,
  image: "registry.example/app:1",
  securityContext: RESTRICTED,
  ...(resources ? { resources } : {}),
  ...extra,
});

/** A restricted pod spec pinned to `lease` (by its label; its tenant tolerated), `n` GPUs in each of `containers` containers. */
function spec(
  opts: { lease?: string | null; gpu?: string | number; containers?: number; extra?: Record<string, unknown> } = {},
): Record<string, any> {
  const lease = opts.lease === undefined ? H100 : opts.lease;
  return {
    securityContext: POD_SECURITY,
    ...(lease ? { nodeSelector: { "leasehold.io/lease": lease }, tolerations: [tenantTol()] } : {}),
    containers: Array.from({ length: opts.containers ?? 1 }, (_, i) =>
      container(`c${i}`, opts.gpu !== undefined ? gpus(opts.gpu) : undefined),
    ),
    ...opts.extra,
  };
}

let counter = 0;
const nextName = (prefix: string) => `${prefix}${++counter}`;
const meta = (name: string) => ({ name, namespace: TENANT });
const labelled = (name: string, podSpec: object) => ({ metadata: { labels: { [ITEM_LABEL]: name } }, spec: podSpec });

/** The pod spec as each controller kind wraps it (a Job's pods must not restart Always). */
export function wrap(
  kind: string,
  name: string,
  podSpec: Record<string, any>,
  controller: Record<string, unknown> = {},
): Record<string, any> {
  const selector = { matchLabels: { [ITEM_LABEL]: name } };
  const jobSpec = { ...podSpec, restartPolicy: podSpec.restartPolicy ?? "Never" };
  switch (kind) {
    case "Pod":
      return { apiVersion: "v1", kind, metadata: { ...meta(name), labels: { [ITEM_LABEL]: name } }, spec: podSpec };
    case "Deployment":
    case "ReplicaSet":
      return {
        apiVersion: "apps/v1",
        kind,
        metadata: meta(name),
        spec: { replicas: 1, selector, template: labelled(name, podSpec), ...controller },
      };
    case "StatefulSet":
      return {
        apiVersion: "apps/v1",
        kind,
        metadata: meta(name),
        spec: { replicas: 1, serviceName: name, selector, template: labelled(name, podSpec), ...controller },
      };
    case "DaemonSet":
      return { apiVersion: "apps/v1", kind, metadata: meta(name), spec: { selector, template: labelled(name, podSpec), ...controller } };
    case "Job":
      return { apiVersion: "batch/v1", kind, metadata: meta(name), spec: { template: labelled(name, jobSpec), ...controller } };
    case "CronJob":
      return {
        apiVersion: "batch/v1",
        kind,
        metadata: meta(name),
        spec: { schedule: "0 0 1 1 *", jobTemplate: { spec: { template: labelled(name, jobSpec), ...controller } } },
      };
    default:
      throw new Error(`no wrapper for ${kind}`);
  }
}

const item = (what: string, kind: string, podSpec: Record<string, any>, controller: Record<string, unknown> = {}): CorpusItem => {
  const name = nextName(kind === "Pod" ? "p" : kind[0]!.toLowerCase() + kind[1]!.toLowerCase());
  return { what: `${kind}: ${what}`, object: wrap(kind, name, podSpec, controller) };
};

/**
 * The Pod Security fixtures (Kubernetes' own, `restricted` and `baseline`, pass and fail), each as
 * a Pod, a Deployment and a CronJob pinned to the tenant's H100 lease.
 */
function podSecurityCorpus(dir: string): CorpusItem[] {
  const out: CorpusItem[] = [];
  for (const level of ["restricted", "baseline"]) {
    for (const verdict of ["pass", "fail"]) {
      const folder = path.join(dir, level, verdict);
      if (!fs.existsSync(folder)) continue;
      for (const f of fs
        .readdirSync(folder)
        .filter((x) => x.endsWith(".yaml"))
        .sort()) {
        const pod = parse(fs.readFileSync(path.join(folder, f), "utf8")) as { spec: Record<string, any> };
        const s = structuredClone(pod.spec);
        s.nodeSelector = { ...(s.nodeSelector ?? {}), "leasehold.io/lease": H100 };
        s.tolerations = [...(s.tolerations ?? []), tenantTol()];
        for (const kind of ["Pod", "Deployment", "CronJob"])
          out.push(item(`pod-security ${level}/${verdict}/${f}`, kind, structuredClone(s)));
      }
    }
  }
  return out;
}

/** Pinning: nodeSelector, node affinity and nodeName, with and without GPUs. */
function pinningCorpus(): CorpusItem[] {
  const affinity = (...terms: object[][]) => ({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })) },
    },
  });
  const In = (...values: string[]) => ({ key: "leasehold.io/lease", operator: "In", values });
  const unpinned = (extra: Record<string, unknown>, gpu?: number) =>
    spec({ lease: null, gpu, extra: { tolerations: [tenantTol()], ...extra } });
  const Tenant = (...values: string[]) => ({ key: "leasehold.io/tenant", operator: "In", values });
  const out: CorpusItem[] = [];
  for (const gpu of [undefined, 4]) {
    const g = gpu ? `${gpu} GPUs` : "CPU";
    out.push(
      item(`${g}, nodeSelector on its H100 lease`, "Pod", spec({ gpu })),
      item(`${g}, nodeSelector on its L40S lease`, "Pod", spec({ lease: L40S, gpu })),
      item(`${g}, nodeSelector on another tenant's lease`, "Pod", spec({ lease: OTHERS, gpu })),
      item(`${g}, nodeSelector on a lease nobody holds`, "Pod", spec({ lease: "nobody-2026", gpu })),
      item(`${g}, unpinned`, "Pod", spec({ lease: null, gpu })),
      item(`${g}, an empty lease selector`, "Pod", unpinned({ nodeSelector: { "leasehold.io/lease": "" } }, gpu)),
      item(`${g}, affinity In its lease`, "Pod", unpinned({ affinity: affinity([In(H100)]) }, gpu)),
      item(`${g}, affinity In both its leases`, "Pod", unpinned({ affinity: affinity([In(H100, L40S)]) }, gpu)),
      item(`${g}, affinity In its lease and another tenant's`, "Pod", unpinned({ affinity: affinity([In(H100, OTHERS)]) }, gpu)),
      item(
        `${g}, affinity NotIn another tenant's lease`,
        "Pod",
        unpinned({ affinity: affinity([{ key: "leasehold.io/lease", operator: "NotIn", values: [OTHERS] }]) }, gpu),
      ),
      item(
        `${g}, affinity Exists on the lease label`,
        "Pod",
        unpinned({ affinity: affinity([{ key: "leasehold.io/lease", operator: "Exists" }]) }, gpu),
      ),
      item(
        `${g}, two affinity terms, one unpinned`,
        "Pod",
        unpinned({ affinity: affinity([In(H100)], [{ key: "leasehold.io/pool", operator: "In", values: ["h100-a"] }]) }, gpu),
      ),
      item(`${g}, two affinity terms, both pinned`, "Pod", unpinned({ affinity: affinity([In(H100)], [In(L40S)]) }, gpu)),
      item(
        `${g}, affinity on the pool label only`,
        "Pod",
        unpinned({ affinity: affinity([{ key: "leasehold.io/pool", operator: "In", values: ["h100-a"] }]) }, gpu),
      ),
      item(
        `${g}, affinity by matchFields on a leased node`,
        "Pod",
        unpinned(
          {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["gpu-001"] }] }],
                },
              },
            },
          },
          gpu,
        ),
      ),
      item(`${g}, nodeSelector on its tenant`, "Pod", unpinned({ nodeSelector: { "leasehold.io/tenant": TENANT } }, gpu)),
      item(
        `${g}, nodeSelector on its tenant and a GPU type`,
        "Pod",
        unpinned({ nodeSelector: { "leasehold.io/tenant": TENANT, "leasehold.io/gpu-type": "h100-80gb" } }, gpu),
      ),
      item(`${g}, nodeSelector on another tenant`, "Pod", unpinned({ nodeSelector: { "leasehold.io/tenant": "bluefin" } }, gpu)),
      item(`${g}, an empty tenant selector`, "Pod", unpinned({ nodeSelector: { "leasehold.io/tenant": "" } }, gpu)),
      item(`${g}, affinity In its tenant`, "Pod", unpinned({ affinity: affinity([Tenant(TENANT)]) }, gpu)),
      item(`${g}, affinity In its tenant and another`, "Pod", unpinned({ affinity: affinity([Tenant(TENANT, "bluefin")]) }, gpu)),
      item(
        `${g}, affinity NotIn another tenant`,
        "Pod",
        unpinned({ affinity: affinity([{ key: "leasehold.io/tenant", operator: "NotIn", values: ["bluefin"] }]) }, gpu),
      ),
      item(
        `${g}, affinity terms on its tenant and on its lease`,
        "Pod",
        unpinned({ affinity: affinity([Tenant(TENANT)], [In(L40S)]) }, gpu),
      ),
      item(
        `${g}, nodeSelector on its tenant, a lease of another`,
        "Pod",
        unpinned({ nodeSelector: { "leasehold.io/tenant": TENANT, "leasehold.io/lease": OTHERS } }, gpu),
      ),
      item(`${g}, nodeSelector and affinity both on its lease`, "Pod", spec({ gpu, extra: { affinity: affinity([In(H100)]) } })),
      item(`${g}, nodeSelector on its lease, affinity on another's`, "Pod", spec({ gpu, extra: { affinity: affinity([In(OTHERS)]) } })),
      item(`${g}, nodeName of a leased node`, "Pod", spec({ gpu, extra: { nodeName: "gpu-001" } })),
      item(`${g}, nodeName of the system node`, "Pod", spec({ lease: null, gpu, extra: { nodeName: "system-001" } })),
      item(
        `${g}, selecting a node by hostname`,
        "Pod",
        spec({ lease: null, gpu, extra: { nodeSelector: { "kubernetes.io/hostname": "gpu-001" } } }),
      ),
    );
  }
  return out;
}

/** Tolerations a tenant pod may and may not carry. */
function tolerationCorpus(): CorpusItem[] {
  const withTol = (what: string, ...extra: object[]) =>
    item(`toleration: ${what}`, "Pod", spec({ gpu: 1, extra: { tolerations: [tenantTol(), ...extra] } }));
  return [
    withTol("its lease only"),
    item("toleration: its tenant, NoSchedule only", "Pod", spec({ gpu: 1, extra: { tolerations: [tenantTol(TENANT, "NoSchedule")] } })),
    item("toleration: its lease by the earlier key", "Pod", spec({ gpu: 1, extra: { tolerations: [tol(H100)] } })),
    withTol("another tenant", tenantTol("bluefin")),
    withTol("the idle value (an unleased pool node)", tenantTol("")),
    withTol("the tenant key, operator Exists", { key: "leasehold.io/tenant", operator: "Exists" }),
    withTol("the tenant key, no value", { key: "leasehold.io/tenant", operator: "Equal", effect: "NoExecute" }),
    item("toleration: none at all", "Pod", spec({ gpu: 1, extra: { tolerations: [] } })),
    withTol("its other lease", tol(L40S)),
    withTol("another tenant's lease", tol(OTHERS)),
    withTol("the lease key, operator Exists", { key: "leasehold.io/lease", operator: "Exists" }),
    withTol("the lease key, Exists with a value", { key: "leasehold.io/lease", operator: "Exists", value: H100 }),
    withTol("catch-all", { operator: "Exists" }),
    withTol("catch-all NoExecute", { operator: "Exists", effect: "NoExecute" }),
    withTol("nvidia.com/gpu NoSchedule", { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }),
    withTol("nvidia.com/gpu with no effect", { key: "nvidia.com/gpu", operator: "Exists" }),
    withTol("not-ready NoExecute 300 s", {
      key: "node.kubernetes.io/not-ready",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 300,
    }),
    withTol("unreachable NoExecute 301 s", {
      key: "node.kubernetes.io/unreachable",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 301,
    }),
    withTol("unreachable NoExecute forever", { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }),
    withTol("unschedulable (a cordon)", { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }),
    withTol("a landlord's GPU-health taint", { key: "example.com/gpu-health", operator: "Equal", value: "degraded", effect: "NoSchedule" }),
    withTol("disk-pressure", { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" }),
  ];
}

/** Resources as the API server defaults, validates and counts them. */
function resourceCorpus(): CorpusItem[] {
  const one = (what: string, resources: object, extra: Record<string, unknown> = {}) =>
    item(`resources: ${what}`, "Pod", { ...spec(), containers: [container("c0", resources)], ...extra });
  const cs = (what: string, containers: object[], initContainers?: object[], extra: Record<string, unknown> = {}) =>
    item(`resources: ${what}`, "Pod", { ...spec(), containers, ...(initContainers ? { initContainers } : {}), ...extra });
  const out: CorpusItem[] = [];
  for (const n of ["1", "8", "9", "16", "0", "1.0", "1000m", "500m", "0.5", ".5", "10.5", "eight", "8e0", "1Ki", "-1"])
    out.push(one(`limits nvidia.com/gpu ${JSON.stringify(n)}`, gpus(n)));
  out.push(
    one("GPUs in requests only", gpus(8, "requests")),
    one("GPUs in requests and limits alike", gpus(8, "both")),
    one("GPU requests 4 under limits 8", { limits: { "nvidia.com/gpu": "8" }, requests: { "nvidia.com/gpu": "4" } }),
    one("GPU requests 8 over limits 4", { limits: { "nvidia.com/gpu": "4" }, requests: { "nvidia.com/gpu": "8" } }),
    one("an explicit 0 in requests", gpus(0, "requests")),
    one("cpu and memory with 8 GPUs", { limits: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "8" } }),
    one("cpu limit 193, over the LimitRange's 192", { limits: { cpu: "193", "nvidia.com/gpu": "1" } }),
    one("cpu request 2 without a limit (defaulted to 1)", { requests: { cpu: "2" }, limits: { "nvidia.com/gpu": "1" } }),
    one("cpu request 500m without a limit", { requests: { cpu: "500m" } }),
    one("memory limit 3Ti, over the LimitRange's 2Ti", { limits: { memory: "3Ti" } }),
    one("memory request 8Gi without a limit (defaulted to 4Gi)", { requests: { memory: "8Gi" } }),
    one("a MIG profile", { limits: { "nvidia.com/mig-1g.10gb": "1" } }),
    one("time-sliced shares", { limits: { "nvidia.com/gpu.shared": "1" } }),
    one("amd.com/gpu", { limits: { "amd.com/gpu": "1" } }),
    one("EFA (no EFA pool here)", { limits: { "vpc.amazonaws.com/efa": "1" } }),
    one("a device plugin's resource", { limits: { "example.com/fuse": "1" } }),
    cs("two containers x 8", [container("a", gpus(8)), container("b", gpus(8))]),
    cs("three containers x 8", [container("a", gpus(8)), container("b", gpus(8)), container("c", gpus(8))]),
    cs("four containers x 8", [container("a", gpus(8)), container("b", gpus(8)), container("c", gpus(8)), container("d", gpus(8))]),
    cs("init container 8, app 8 (one after the other)", [container("a", gpus(8))], [container("i", gpus(8))]),
    cs("two init containers 8 each, app 8", [container("a", gpus(8))], [container("i1", gpus(8)), container("i2", gpus(8))]),
    cs("sidecar 8 beside app 8", [container("a", gpus(8))], [container("s", gpus(8), { restartPolicy: "Always" })]),
    cs(
      "sidecar 8 beside two apps 8",
      [container("a", gpus(8)), container("b", gpus(8))],
      [container("s", gpus(8), { restartPolicy: "Always" })],
    ),
    cs(
      "two sidecars 8 beside app 8",
      [container("a", gpus(8))],
      [container("s1", gpus(8), { restartPolicy: "Always" }), container("s2", gpus(8), { restartPolicy: "Always" })],
    ),
    cs(
      "sidecar 8, then an init container 8, app 0",
      [container("a")],
      [container("s", gpus(8), { restartPolicy: "Always" }), container("i", gpus(8))],
    ),
    cs(
      "init container 8 then sidecar 8, app 8",
      [container("a", gpus(8))],
      [container("i", gpus(8)), container("s", gpus(8), { restartPolicy: "Always" })],
    ),
    cs("a GPU sidecar with no app GPUs", [container("a")], [container("s", gpus(4), { restartPolicy: "Always" })]),
    cs("pod-level cpu and memory", [container("a", gpus(8))], undefined, { resources: { limits: { cpu: "4", memory: "8Gi" } } }),
    cs("pod-level GPUs", [container("a")], undefined, { resources: { limits: { "nvidia.com/gpu": "1" } } }),
    cs("pod-level GPUs beside container GPUs", [container("a", gpus(8))], undefined, {
      resources: { requests: { "nvidia.com/gpu": "8" }, limits: { "nvidia.com/gpu": "8" } },
    }),
  );
  return out;
}

/** Controllers: the pods they create, as many as they run at once, against the quota. */
function controllerCorpus(): CorpusItem[] {
  const two = (lease = H100) => spec({ lease, gpu: 8, containers: 2 }); // 16 GPUs a pod
  const out: CorpusItem[] = [];
  for (const kind of ["Deployment", "ReplicaSet"]) {
    out.push(
      item("1 x CPU", kind, spec()),
      item("3 x 8 GPUs (all the quota)", kind, spec({ gpu: 8 }), { replicas: 3 }),
      item("4 x 8 GPUs (over the quota)", kind, spec({ gpu: 8 }), { replicas: 4 }),
      item("2 x 16 GPUs (over the quota)", kind, two(), { replicas: 2 }),
      item("0 x 16 GPUs", kind, two(), { replicas: 0 }),
      item("1 x 8 GPUs unpinned", kind, spec({ lease: null, gpu: 8 })),
      item("1 x 8 GPUs on another tenant's lease", kind, spec({ lease: OTHERS, gpu: 8 })),
      item("1 x 8 GPUs in requests only", kind, { ...spec(), containers: [container("c0", gpus(8, "requests"))] }),
      item("1 x 0.5 GPU", kind, spec({ gpu: "0.5" })),
      item("1 x sidecar 8 beside app 8 (16)", kind, {
        ...spec(),
        containers: [container("a", gpus(8))],
        initContainers: [container("s", gpus(8), { restartPolicy: "Always" })],
      }),
      item(
        "2 x sidecar 8 beside app 8 (32)",
        kind,
        { ...spec(), containers: [container("a", gpus(8))], initContainers: [container("s", gpus(8), { restartPolicy: "Always" })] },
        { replicas: 2 },
      ),
    );
  }
  out.push(
    item("1 x 24 GPUs, the default rolling update (a warning)", "Deployment", spec({ gpu: 8, containers: 3 })),
    item("1 x 24 GPUs, maxSurge 0", "Deployment", spec({ gpu: 8, containers: 3 }), {
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    }),
    item("1 x 24 GPUs, Recreate", "Deployment", spec({ gpu: 8, containers: 3 }), { strategy: { type: "Recreate" } }),
    item("a tenant's nodeName in the template", "Deployment", spec({ gpu: 8, extra: { nodeName: "gpu-001" } })),
    item("Parallel, 3 x 8 GPUs", "StatefulSet", spec({ gpu: 8 }), { replicas: 3, podManagementPolicy: "Parallel" }),
    item("Parallel, 2 x 16 GPUs (over)", "StatefulSet", two(), { replicas: 2, podManagementPolicy: "Parallel" }),
    item("Parallel, 1 x 16 GPUs", "StatefulSet", two(), { podManagementPolicy: "Parallel" }),
    item("Parallel, 4 x 8 GPUs (over)", "StatefulSet", spec({ gpu: 8 }), { replicas: 4, podManagementPolicy: "Parallel" }),
    // OrderedReady starts a pod once the one before is Ready: unpinned, on the landlord's system node.
    item("OrderedReady, 2 x CPU", "StatefulSet", spec({ lease: null }), { replicas: 2 }),
    item("Parallel, unpinned GPUs", "StatefulSet", spec({ lease: null, gpu: 1 }), { podManagementPolicy: "Parallel" }),
    item("CPU, unpinned", "DaemonSet", spec({ lease: null })),
    item("CPU, nodeSelector on its L40S lease", "DaemonSet", spec({ lease: L40S })),
    item("8 GPUs, nodeSelector on its L40S lease", "DaemonSet", spec({ lease: L40S, gpu: 8 })),
    item("16 GPUs, nodeSelector on its L40S lease", "DaemonSet", two(L40S)),
    item("24 GPUs, nodeSelector on its L40S lease", "DaemonSet", spec({ lease: L40S, gpu: 8, containers: 3 })),
    item("32 GPUs, nodeSelector on its L40S lease (over)", "DaemonSet", spec({ lease: L40S, gpu: 8, containers: 4 })),
    item(
      "8 GPUs, affinity on its L40S lease (the controller rewrites it)",
      "DaemonSet",
      spec({
        lease: null,
        gpu: 8,
        extra: {
          tolerations: [tenantTol()],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: [L40S] }] }],
              },
            },
          },
        },
      }),
    ),
    item(
      "CPU, tolerating disk-pressure (the controller's own)",
      "DaemonSet",
      spec({
        lease: L40S,
        extra: { tolerations: [tenantTol(), { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" }] },
      }),
    ),
    item(
      "CPU, tolerating out-of-service",
      "DaemonSet",
      spec({
        lease: L40S,
        extra: { tolerations: [tenantTol(), { key: "node.kubernetes.io/out-of-service", operator: "Exists", effect: "NoExecute" }] },
      }),
    ),
  );
  for (const kind of ["Job", "CronJob"]) {
    out.push(
      item("completions 1, parallelism 2, 16 GPUs a pod (1 pod)", kind, two(), { completions: 1, parallelism: 2 }),
      item("completions 3, parallelism 3, 16 GPUs a pod (over)", kind, two(), { completions: 3, parallelism: 3 }),
      item("parallelism 2, no completions, 8 GPUs a pod", kind, spec({ gpu: 8 }), { parallelism: 2 }),
      item("parallelism 4, no completions, 8 GPUs a pod (over)", kind, spec({ gpu: 8 }), { parallelism: 4 }),
      item("completions 4, parallelism 1, 16 GPUs a pod", kind, two(), { completions: 4 }),
      item("completions 2, parallelism 2, 16 GPUs a pod (over)", kind, two(), { completions: 2, parallelism: 2 }),
      item("parallelism 0, 16 GPUs a pod", kind, two(), { parallelism: 0 }),
      item("indexed, completions 2, parallelism 2, 8 GPUs a pod", kind, spec({ gpu: 8 }), {
        completions: 2,
        parallelism: 2,
        completionMode: "Indexed",
      }),
      item("1 x 8 GPUs unpinned", kind, spec({ lease: null, gpu: 8 })),
      item("1 x GPUs in requests only", kind, { ...spec(), containers: [container("c0", gpus(4, "requests"))] }),
    );
  }
  return out;
}

/** Services: ClusterIP and headless only, no externalIPs, no ExternalName. */
function serviceCorpus(): CorpusItem[] {
  const svc = (what: string, s: Record<string, unknown>): CorpusItem => {
    const name = nextName("s");
    return {
      what: `Service: ${what}`,
      object: { apiVersion: "v1", kind: "Service", metadata: meta(name), spec: { selector: { app: "web" }, ports: [{ port: 443 }], ...s } },
    };
  };
  return [
    svc("ClusterIP", {}),
    svc("ClusterIP, two ports", {
      ports: [
        { name: "https", port: 443 },
        { name: "metrics", port: 9090, protocol: "TCP" },
      ],
    }),
    svc("headless", { clusterIP: "None" }),
    svc("no selector", { selector: undefined }),
    svc("NodePort", { type: "NodePort" }),
    svc("LoadBalancer", { type: "LoadBalancer" }),
    svc("LoadBalancer, no node ports", { type: "LoadBalancer", allocateLoadBalancerNodePorts: false }),
    svc("ExternalName", { type: "ExternalName", externalName: "db.example.com", selector: undefined, ports: undefined }),
    svc("externalIPs", { externalIPs: ["203.0.113.10"] }),
    svc("externalIPs, empty", { externalIPs: [] }),
    svc("a nodePort on a ClusterIP", { ports: [{ port: 443, nodePort: 30443 }] }),
    svc("sessionAffinity ClientIP", { sessionAffinity: "ClientIP" }),
    svc("internalTrafficPolicy Local", { internalTrafficPolicy: "Local" }),
    svc("UDP", { ports: [{ port: 53, protocol: "UDP" }] }),
  ];
}

/**
 * The kinds the issue names, beyond the generated ones: the mirror-pod annotation, user
 * namespaces, and manifests whose YAML is read by YAML 1.1 rules (merge keys, yes/no, octal), as
 * kubectl (sigs.k8s.io/yaml) reads them.
 */
function issueCorpus(): CorpusItem[] {
  const out: CorpusItem[] = [];
  const mirror = item("a mirror-pod annotation without nodeName", "Pod", spec({ gpu: 1 }));
  mirror.object.metadata.annotations = { "kubernetes.io/config.mirror": "x" };
  out.push(mirror);
  const mirrorCpu = item("a mirror-pod annotation without nodeName, CPU", "Pod", spec({ lease: null }));
  mirrorCpu.object.metadata.annotations = { "kubernetes.io/config.mirror": "x" };
  out.push(mirrorCpu);
  out.push(
    item("hostUsers false, restricted", "Pod", spec({ gpu: 1, extra: { hostUsers: false } })),
    item("hostUsers false, runAsUser 0, no runAsNonRoot", "Pod", {
      ...spec({ gpu: 1, extra: { hostUsers: false } }),
      securityContext: { runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } },
    }),
    item("hostUsers false, runAsNonRoot false", "Pod", {
      ...spec({ gpu: 1, extra: { hostUsers: false } }),
      securityContext: { runAsNonRoot: false, seccompProfile: { type: "RuntimeDefault" } },
    }),
    item("hostUsers false, hostNetwork", "Pod", spec({ gpu: 1, extra: { hostUsers: false, hostNetwork: true } })),
    item("hostUsers false, procMount Unmasked", "Pod", {
      ...spec({ extra: { hostUsers: false } }),
      containers: [container("c0", undefined, { securityContext: { ...RESTRICTED, procMount: "Unmasked" } })],
    }),
    item("hostUsers true", "Pod", spec({ gpu: 1, extra: { hostUsers: true } })),
    item("hostUsers false, as a Deployment", "Deployment", spec({ gpu: 1, extra: { hostUsers: false } })),
  );
  const text = (what: string, prefix: string, body: (name: string) => string): CorpusItem => {
    const name = nextName(prefix);
    const t = body(name);
    return { what, object: parse(t, { version: "1.1", merge: true }) as Record<string, any>, text: t };
  };
  const head = (name: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ${TENANT}\n  labels: {${ITEM_LABEL}: ${name}}\n`;
  const pinned = `  nodeSelector: {leasehold.io/lease: ${H100}}\n  tolerations:\n    - {key: leasehold.io/tenant, operator: Equal, value: ${TENANT}, effect: NoExecute}\n`;
  out.push(
    text(
      "YAML: a merge key copies a restricted securityContext",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: &restricted\n        allowPrivilegeEscalation: false\n        capabilities: {drop: [ALL]}\n    - name: b\n      image: registry.example/app:1\n      securityContext:\n        <<: *restricted\n`,
    ),
    text(
      "YAML: a merge key overridden to privilege escalation",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: &restricted\n        allowPrivilegeEscalation: false\n        capabilities: {drop: [ALL]}\n    - name: b\n      image: registry.example/app:1\n      securityContext:\n        <<: *restricted\n        allowPrivilegeEscalation: true\n`,
    ),
    text(
      "YAML: a merge key brings 8 GPUs to each of three containers (24)",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - &gpu\n      name: a\n      image: registry.example/app:1\n      resources: {limits: {nvidia.com/gpu: 8}}\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n    - <<: *gpu\n      name: b\n    - <<: *gpu\n      name: c\n`,
    ),
    text(
      "YAML: a merge key brings 8 GPUs to each of four containers (32, over)",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - &gpu\n      name: a\n      image: registry.example/app:1\n      resources: {limits: {nvidia.com/gpu: 8}}\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n    - <<: *gpu\n      name: b\n    - <<: *gpu\n      name: c\n    - <<: *gpu\n      name: d\n`,
    ),
    text(
      "YAML: a merge key after an explicit key overrides it (go-yaml v2), here back to no privilege escalation",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: &restricted\n        allowPrivilegeEscalation: false\n        capabilities: {drop: [ALL]}\n    - name: b\n      image: registry.example/app:1\n      securityContext:\n        allowPrivilegeEscalation: true\n        <<: *restricted\n`,
    ),
    text(
      "YAML: a list of merge keys, the first wins",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: &safe {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n    - name: b\n      image: registry.example/app:1\n      securityContext:\n        <<: [*safe, {allowPrivilegeEscalation: true}]\n`,
    ),
    text(
      "YAML 1.1: runAsNonRoot: yes, allowPrivilegeEscalation: off",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: yes, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: {allowPrivilegeEscalation: off, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: allowPrivilegeEscalation: on",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: {allowPrivilegeEscalation: on, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: runAsNonRoot: n (false)",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: n, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: nvidia.com/gpu: 010 is octal 8",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      resources: {limits: {nvidia.com/gpu: 010}}\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: nvidia.com/gpu: 012 is octal 10 (over the container max)",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      resources: {limits: {nvidia.com/gpu: 012}}\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: nvidia.com/gpu: .5 (a float)",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      resources: {limits: {nvidia.com/gpu: .5}}\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: a volume's defaultMode 0777 is octal",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  volumes:\n    - name: cfg\n      configMap: {name: cfg, defaultMode: 0777}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      volumeMounts: [{name: cfg, mountPath: /cfg}]\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: terminationGracePeriodSeconds: 0x12d is 301",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  terminationGracePeriodSeconds: 0x12d\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
    text(
      "YAML 1.1: terminationGracePeriodSeconds: 4_00 is 400",
      "y",
      (n) =>
        `${head(n)}spec:\n${pinned}  terminationGracePeriodSeconds: 4_00\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n    - name: a\n      image: registry.example/app:1\n      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
    ),
  );
  return out;
}

/**
 * Pod (anti-)affinity across namespaces (issue 24): a tenant pod repelling every namespace's pods
 * kept others off its node; one attracted to another tenant's pods probed what runs there.
 */
function affinityCorpus(): CorpusItem[] {
  const host = "kubernetes.io/hostname";
  const everyone = { labelSelector: {}, topologyKey: host, namespaceSelector: {} };
  const probe = { labelSelector: { matchLabels: { app: "trainer" } }, topologyKey: host, namespaces: [OTHERS.split("-")[0]!] };
  const own = { labelSelector: { matchLabels: { app: "trainer" } }, topologyKey: host };
  const cpu = (affinity: object) => spec({ lease: null, extra: { affinity } });
  const gpu = (affinity: object) => spec({ gpu: 1, extra: { affinity } });
  return [
    item(
      "required anti-affinity to every namespace's pods, CPU",
      "Pod",
      cpu({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [everyone] } }),
    ),
    item(
      "preferred anti-affinity to every namespace's pods",
      "Pod",
      gpu({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: everyone }] } }),
    ),
    item(
      "required affinity to another tenant's pods by namespaces",
      "Pod",
      cpu({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [probe] } }),
    ),
    item(
      "affinity naming its own namespace and another",
      "Pod",
      cpu({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...probe, namespaces: [TENANT, ...probe.namespaces] }] } }),
    ),
    item(
      "a namespaceSelector matching its own namespace only",
      "Pod",
      cpu({
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { ...own, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": TENANT } } },
          ],
        },
      }),
    ),
    item(
      "anti-affinity to its own namespace's pods (the default)",
      "Pod",
      gpu({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [own] } }),
    ),
    item(
      "affinity naming its own namespace",
      "Pod",
      gpu({
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { ...own, namespaces: [TENANT] } }],
        },
      }),
    ),
    item(
      "required anti-affinity to every namespace's pods, as a Deployment",
      "Deployment",
      cpu({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [everyone] } }),
    ),
  ];
}

/**
 * What `admit` predicted otherwise than kubectl and the API server (issue 24, round3 cases): Go's
 * `0o` integers, YAML 1.1 booleans and numbers in string fields, pod-level resources over
 * LimitRange defaults, restart policies, a surging GPU DaemonSet.
 */
function predictionCorpus(): CorpusItem[] {
  const out: CorpusItem[] = [];
  const text = (what: string, body: (name: string) => string): CorpusItem => {
    const name = nextName("t");
    const t = body(name);
    return { what, object: parse(t, { version: "1.1", merge: true }) as Record<string, any>, text: t };
  };
  const restricted = "securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}";
  const podSec = "securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}";
  const pinned = `nodeSelector: {leasehold.io/lease: ${H100}}\n      tolerations: [{key: leasehold.io/tenant, operator: Equal, value: ${TENANT}, effect: NoExecute}]`;
  const deployment = (replicas: string) => (n: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${n}, namespace: ${TENANT}}\nspec:\n  replicas: ${replicas}\n  strategy: {type: Recreate}\n  selector: {matchLabels: {${ITEM_LABEL}: ${n}}}\n  template:\n    metadata: {labels: {${ITEM_LABEL}: ${n}}}\n    spec:\n      ${pinned}\n      ${podSec}\n      containers:\n        - {name: a, image: registry.example/app:1, resources: {limits: {nvidia.com/gpu: 8}}, ${restricted}}\n`;
  const pod =
    (containers: string, labels = "") =>
    (n: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${n}, namespace: ${TENANT}, labels: {${ITEM_LABEL}: ${n}${labels}}}\nspec:\n  ${pinned.replace(/\n {6}/g, "\n  ")}\n  ${podSec}\n  containers:\n${containers}`;
  out.push(
    text("YAML: replicas 0o20 is 16 to kubectl (8 GPUs each: 128, over)", deployment("0o20")),
    text("YAML: replicas 0o2 is 2 to kubectl (16 GPUs)", deployment("0o2")),
    text("YAML: replicas 0O3 is 3 to kubectl (24 GPUs)", deployment("0O3")),
    text(
      "YAML: nvidia.com/gpu 0o10 is 8 to kubectl",
      pod(`    - {name: a, image: registry.example/app:1, resources: {limits: {nvidia.com/gpu: 0o10}}, ${restricted}}\n`),
    ),
    text("YAML: a container named n (false to YAML 1.1)", pod(`    - {name: n, image: registry.example/app:1, ${restricted}}\n`)),
    text(
      "YAML: a label value yes (true to YAML 1.1)",
      pod(`    - {name: a, image: registry.example/app:1, ${restricted}}\n`, ", team: yes"),
    ),
    text("YAML: a label value 1 (a number)", pod(`    - {name: a, image: registry.example/app:1, ${restricted}}\n`, ", version: 1")),
    text(
      "YAML: an env value on (true to YAML 1.1)",
      pod(`    - {name: a, image: registry.example/app:1, env: [{name: DEBUG, value: on}], ${restricted}}\n`),
    ),
    text('YAML: a quoted label value "yes"', pod(`    - {name: a, image: registry.example/app:1, ${restricted}}\n`, ', team: "yes"')),
  );
  const twoBare = [container("app"), container("sidecar")];
  out.push(
    item("pod-level resources under the LimitRange's container defaults (too small)", "Pod", {
      ...spec({ lease: null }),
      containers: twoBare,
      resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
    }),
    item("pod-level resources over the LimitRange's container defaults (fits)", "Pod", {
      ...spec({ lease: null }),
      containers: twoBare,
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "8Gi" } },
    }),
    item("pod-level memory limit under one container's own limit", "Pod", {
      ...spec({ lease: null }),
      containers: [container("app", { limits: { cpu: "1", memory: "3Gi" } })],
      resources: { limits: { memory: "2Gi" } },
    }),
  );
  const job = item("a Job whose pod template leaves restartPolicy out (Always)", "Job", spec({ gpu: 8 }));
  delete job.object.spec.template.spec.restartPolicy;
  const cron = item("a CronJob whose pod template restarts Always", "CronJob", spec({ gpu: 8 }));
  cron.object.spec.jobTemplate.spec.template.spec.restartPolicy = "Always";
  out.push(
    job,
    cron,
    item("a Job that restarts OnFailure", "Job", { ...spec({ gpu: 8 }), restartPolicy: "OnFailure" }),
    item("a Deployment whose pods restart OnFailure", "Deployment", { ...spec({ gpu: 8 }), restartPolicy: "OnFailure" }),
    item("a StatefulSet whose pods restart Never", "StatefulSet", { ...spec({ gpu: 8 }), restartPolicy: "Never" }),
    item("a GPU DaemonSet whose rolling update surges (admitted, warned)", "DaemonSet", spec({ lease: L40S, gpu: 8 }), {
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    }),
  );
  return out;
}

/** The whole corpus; `podSecurityDir` is Kubernetes' Pod Security fixtures (skipped when absent). */
export function admitCorpus(podSecurityDir: string): CorpusItem[] {
  counter = 0;
  return [
    ...podSecurityCorpus(podSecurityDir),
    ...pinningCorpus(),
    ...tolerationCorpus(),
    ...resourceCorpus(),
    ...controllerCorpus(),
    ...serviceCorpus(),
    ...issueCorpus(),
    ...affinityCorpus(),
    ...predictionCorpus(),
  ];
}

/** The controller kinds, judged by creating them for real and watching their controllers. */
export const CONTROLLER_KINDS = ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"];

/** True when the object's pods ask for an extended resource (those are judged one at a time: the quota is the namespace's). */
export function asksExtended(object: unknown): boolean {
  const walk = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.some(walk);
    if (!v || typeof v !== "object") return false;
    return Object.entries(v).some(
      ([k, x]) =>
        ((k === "limits" || k === "requests") && x && typeof x === "object" && Object.keys(x).some((r) => r.includes("/"))) || walk(x),
    );
  };
  return walk((object as { spec?: unknown }).spec);
}
