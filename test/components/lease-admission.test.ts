import { describe, expect, it } from "vitest";
import { admit, admitDelete, admitEviction, admitService } from "./cel";
import { configAdmission } from "../../lease/admission";
import { ofType, runMocked } from "./mocks";
import * as k8s from "@pulumi/kubernetes";

const NS = { "leasehold.io/tenant": "acme", "lease.leasehold.io/acme-h100": "in-force", "lease.leasehold.io/acme-l40s": "in-force" };
const NO_LEASE = { "leasehold.io/tenant": "acme" };

const container = (gpus?: number) => ({
  name: "c",
  image: "x",
  ...(gpus ? { resources: { limits: { "nvidia.com/gpu": String(gpus) } } } : {}),
});
const pod = (spec: object) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "acme" },
  spec: { containers: [container(1)], ...spec },
});
const pinned = {
  nodeSelector: { "leasehold.io/lease": "acme-h100" },
  tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: "acme-h100", effect: "NoExecute" }],
};

const byTenant = {
  nodeSelector: { "leasehold.io/tenant": "acme", "leasehold.io/gpu-type": "h100-80gb" },
  tolerations: [{ key: "leasehold.io/tenant", operator: "Equal", value: "acme", effect: "NoExecute" }],
};

describe("lease admission policy (CEL): pinned by tenant", () => {
  it("admits a GPU pod that selects and tolerates its own tenant while a lease is in force (the manifest a renewal does not change)", () => {
    expect(admit(pod(byTenant), NS)).toEqual({ allowed: true, messages: [] });
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/tenant", operator: "In", values: ["acme"] }] }],
        },
      },
    };
    expect(admit(pod({ affinity, tolerations: byTenant.tolerations }), NS).allowed).toBe(true);
  });

  it("refuses selecting or tolerating another tenant, by nodeSelector, by affinity or by toleration", () => {
    expect(admit(pod({ ...byTenant, nodeSelector: { "leasehold.io/tenant": "bluefin" } }), NS).allowed).toBe(false);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/tenant", operator: "In", values: ["acme", "bluefin"] }] }],
        },
      },
    };
    expect(admit(pod({ affinity, tolerations: byTenant.tolerations }), NS).allowed).toBe(false);
    const notIn = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/tenant", operator: "NotIn", values: ["bluefin"] }] }],
        },
      },
    };
    expect(admit(pod({ affinity: notIn, tolerations: byTenant.tolerations }), NS).allowed).toBe(false);
    const other = { ...byTenant, tolerations: [{ key: "leasehold.io/tenant", operator: "Equal", value: "bluefin", effect: "NoExecute" }] };
    expect(admit(pod(other), NS).messages).toEqual([
      "pod may tolerate only its own tenant's taint leasehold.io/tenant=acme while a lease is in force, and no catch-all toleration (nor a landlord's taint: only node.kubernetes.io/not-ready and node.kubernetes.io/unreachable for at most 300 s)",
    ]);
    // The idle value (an unleased pool node) and Exists on the key are catch-alls of the pool.
    const idle = { ...byTenant, tolerations: [{ key: "leasehold.io/tenant", operator: "Equal", value: "", effect: "NoExecute" }] };
    expect(admit(pod(idle), NS).allowed).toBe(false);
    expect(admit(pod({ ...byTenant, tolerations: [{ key: "leasehold.io/tenant", operator: "Exists" }] }), NS).allowed).toBe(false);
  });

  it("refuses the tenant's own toleration, and GPUs, while no lease is in force; a CPU pod that selects its tenant is admitted (it stays Pending)", () => {
    expect(admit(pod(byTenant), NO_LEASE).allowed).toBe(false);
    expect(admit(pod({ containers: [container()], tolerations: byTenant.tolerations }), NO_LEASE).allowed).toBe(false);
    expect(admit(pod({ containers: [container()], nodeSelector: byTenant.nodeSelector }), NO_LEASE).allowed).toBe(true);
  });

  it("only the label value in-force admits: a namespace label lease.leasehold.io/<id> of ended or false names no lease in force", () => {
    for (const value of ["ended", "false", "", "In-Force"]) {
      const ns = { "leasehold.io/tenant": "acme", "lease.leasehold.io/acme-h100": value };
      expect(admit(pod(pinned), ns).allowed, value).toBe(false);
      expect(admit(pod(byTenant), ns).allowed, value).toBe(false);
      expect(admit(pod({ containers: [container(8)] }), ns).messages, value).toEqual([
        "pod requests nvidia.com/gpu but tenant acme has no lease in force",
      ]);
    }
  });
});

describe("lease admission policy (CEL)", () => {
  it("admits a GPU pod pinned by nodeSelector to its tenant's lease in force, tolerating that lease's taint", () => {
    expect(admit(pod(pinned), NS)).toEqual({ allowed: true, messages: [] });
  });

  it("admits a pod pinned by required node affinity to leases in force", () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["acme-h100", "acme-l40s"] }] }],
        },
      },
    };
    expect(admit(pod({ affinity }), NS).allowed).toBe(true);
  });

  it("admits a CPU-only pod that selects no lease (it runs on the landlord's non-pool nodes), with or without a lease in force", () => {
    const cpuOnly = pod({ containers: [{ name: "c", image: "x", resources: { limits: { "nvidia.com/gpu": "0" } } }] });
    expect(admit(cpuOnly, NS).allowed).toBe(true);
    expect(admit(cpuOnly, NO_LEASE).allowed).toBe(true);
  });

  it("refuses a GPU pod that selects no lease while its tenant has one in force", () => {
    const r = admit(pod({}), NS);
    expect(r.allowed).toBe(false);
    expect(r.messages).toEqual([
      "pod must select its tenant acme (nodeSelector leasehold.io/tenant) or one of its leases in force (leasehold.io/lease), with nodeSelector or a required node affinity",
    ]);
  });

  it("refuses a pod pinned to another tenant's lease, by selector or by affinity", () => {
    expect(admit(pod({ nodeSelector: { "leasehold.io/lease": "bluefin-h100" } }), NS).allowed).toBe(false);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["acme-h100"] }] },
            { matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["bluefin-h100"] }] },
          ],
        },
      },
    };
    expect(admit(pod({ affinity }), NS).allowed).toBe(false);
    // An affinity term without the lease key is an escape hatch (terms are ORed): refused.
    const open = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }],
        },
      },
    };
    expect(admit(pod({ affinity: open }), NS).allowed).toBe(false);
    // NotIn names no lease: it does not pin.
    const notIn = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/lease", operator: "NotIn", values: ["x"] }] }],
        },
      },
    };
    expect(admit(pod({ affinity: notIn }), NS).allowed).toBe(false);
  });

  it("refuses tolerating another lease's taint, and catch-all tolerations", () => {
    const other = {
      ...pinned,
      tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: "bluefin-h100", effect: "NoExecute" }],
    };
    expect(admit(pod(other), NS).messages).toEqual([
      "pod may tolerate only its own tenant's taint leasehold.io/tenant=acme while a lease is in force, and no catch-all toleration (nor a landlord's taint: only node.kubernetes.io/not-ready and node.kubernetes.io/unreachable for at most 300 s)",
    ]);
    expect(admit(pod({ ...pinned, tolerations: [{ operator: "Exists" }] }), NS).allowed).toBe(false);
    expect(admit(pod({ ...pinned, tolerations: [{ key: "leasehold.io/lease", operator: "Exists" }] }), NS).allowed).toBe(false);
    // Tolerating an unrelated taint is fine.
    expect(
      admit(
        pod({ ...pinned, tolerations: [...pinned.tolerations, { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] }),
        NS,
      ).allowed,
    ).toBe(true);
  });

  it("refuses GPU pods while the tenant has no lease in force, but admits CPU pods to reach its data", () => {
    const r = admit(pod({}), NO_LEASE);
    expect(r.messages).toEqual(["pod requests nvidia.com/gpu but tenant acme has no lease in force"]);
    expect(admit(pod({ containers: [container()] }), NO_LEASE).allowed).toBe(true);
    // GPUs asked for in an init container count too.
    expect(admit(pod({ containers: [container()], initContainers: [container(2)] }), NO_LEASE).allowed).toBe(false);
    // A lease reclaimed since is no longer in force: pinning to it is refused.
    expect(admit(pod(pinned), NO_LEASE).allowed).toBe(false);
  });

  it("refuses spec.nodeName on create, which would skip the scheduler", () => {
    expect(admit(pod({ ...pinned, nodeName: "gpu-001" }), NS).allowed).toBe(false);
  });

  it("lets a running pod be updated after its lease was reclaimed (finalizers must still go), but not gain a toleration", () => {
    const running = pod({ ...pinned, nodeName: "gpu-001" });
    expect(admit(running, NO_LEASE, "UPDATE", running).allowed).toBe(true);
    const added = pod({
      ...pinned,
      nodeName: "gpu-001",
      tolerations: [...pinned.tolerations, { key: "leasehold.io/lease", operator: "Equal", value: "bluefin-h100" }],
    });
    expect(admit(added, NS, "UPDATE", running).allowed).toBe(false);
  });
});

describe("lease admission policy (CEL): the rules a hostile tenant probes", () => {
  const cpu = (extra: object = {}) => ({
    name: "c",
    image: "x",
    resources: { limits: { "nvidia.com/gpu": "0" }, requests: { "nvidia.com/gpu": "0" } },
    ...extra,
  });

  it("a CPU pod whose containers got the LimitRange's GPU default of 0 requests no GPU, with or without a lease in force", () => {
    const three = pod({ containers: [cpu(), { ...cpu(), name: "d" }, { ...cpu(), name: "e" }] });
    expect(admit(three, NO_LEASE)).toEqual({ allowed: true, messages: [] });
    expect(admit(pod({ ...pinned, containers: [cpu()] }), NS).allowed).toBe(true);
  });

  it("on update, a toleration appended or swapped in passes the create rule (the duplicate-then-patch swap is refused)", () => {
    const twice = pod({ ...pinned, tolerations: [pinned.tolerations[0], pinned.tolerations[0]] });
    const swapped = pod({ ...pinned, tolerations: [pinned.tolerations[0], { operator: "Exists" }] });
    expect(admit(twice, NS).allowed).toBe(true);
    expect(admit(swapped, NS, "UPDATE", twice).messages).toEqual([
      "pod may tolerate only its own tenant's taint leasehold.io/tenant=acme while a lease is in force, and no catch-all toleration (nor a landlord's taint: only node.kubernetes.io/not-ready and node.kubernetes.io/unreachable for at most 300 s)",
    ]);
    // An own lease's toleration may be appended; an unchanged pod passes even once its lease is over.
    const appended = pod({
      ...pinned,
      tolerations: [...pinned.tolerations, { key: "leasehold.io/lease", operator: "Equal", value: "acme-l40s" }],
    });
    expect(admit(appended, NS, "UPDATE", pod(pinned)).allowed).toBe(true);
    expect(admit(twice, NO_LEASE, "UPDATE", twice).allowed).toBe(true);
  });

  it("pod affinity and anti-affinity may match the pod's own namespace only: no namespaceSelector, no other namespace", () => {
    const everyone = { labelSelector: {}, topologyKey: "kubernetes.io/hostname", namespaceSelector: {} };
    const cpuPod = (affinity: object) => pod({ containers: [cpu()], affinity });
    const message =
      "pod affinity and anti-affinity in a tenant namespace may match only that namespace's pods (no namespaceSelector, no other namespace in namespaces): across namespaces a tenant could keep others' pods off a node, or learn what runs there";
    // The attack: one CPU pod, even of a tenant with no lease, repelling every namespace's pods.
    expect(admit(cpuPod({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [everyone] } }), NO_LEASE).messages).toEqual([
      message,
    ]);
    expect(
      admit(
        cpuPod({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: everyone }] } }),
        NS,
      ).messages,
    ).toEqual([message]);
    // The probe: does bluefin run a pod labelled app=trainer?
    const probe = { labelSelector: { matchLabels: { app: "trainer" } }, topologyKey: "kubernetes.io/hostname", namespaces: ["bluefin"] };
    expect(admit(cpuPod({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [probe] } }), NS).allowed).toBe(false);
    expect(
      admit(
        cpuPod({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...probe, namespaces: ["acme", "bluefin"] }] } }),
        NS,
      ).allowed,
    ).toBe(false);
    // Its own namespace, by default or by name: admitted.
    const own = { labelSelector: { matchLabels: { app: "trainer" } }, topologyKey: "kubernetes.io/hostname" };
    expect(admit(cpuPod({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [own] } }), NS).allowed).toBe(true);
    expect(
      admit(
        cpuPod({
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { ...own, namespaces: ["acme"] } }],
          },
        }),
        NS,
      ).allowed,
    ).toBe(true);
    // An existing pod (from before the rule) can still be updated.
    const old = cpuPod({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [everyone] } });
    expect(admit(old, NS, "UPDATE", old).allowed).toBe(true);
  });

  it("a pod whose last scheduling gate an update removes is judged as a new pod, against the leases in force then", () => {
    const gates = { schedulingGates: [{ name: "example.com/queue" }] };
    // Created gated while acme-h100 was in force; the lease has ended (only acme-l40s is).
    const waiting = pod({ ...byTenant, nodeSelector: { "leasehold.io/lease": "acme-h100" }, ...gates });
    const released = pod({ ...byTenant, nodeSelector: { "leasehold.io/lease": "acme-h100" } });
    const l40sOnly = { "leasehold.io/tenant": "acme", "lease.leasehold.io/acme-l40s": "in-force" };
    expect(admit(released, l40sOnly, "UPDATE", waiting).messages).toEqual([
      "pod must select its tenant acme (nodeSelector leasehold.io/tenant) or one of its leases in force (leasehold.io/lease), with nodeSelector or a required node affinity",
    ]);
    // With no lease in force at all, the GPUs themselves are refused, and the tenant's toleration.
    expect(admit(released, NO_LEASE, "UPDATE", waiting).messages).toContain(
      "pod requests nvidia.com/gpu but tenant acme has no lease in force",
    );
    expect(admit(released, NO_LEASE, "UPDATE", waiting).messages.some((m) => m.startsWith("pod may tolerate only"))).toBe(true);
    // Its lease still in force: the gate goes. Removing one gate of two judges nothing yet.
    expect(admit(released, NS, "UPDATE", waiting).allowed).toBe(true);
    const twoGates = pod({
      ...byTenant,
      nodeSelector: { "leasehold.io/lease": "acme-h100" },
      schedulingGates: [{ name: "a" }, { name: "b" }],
    });
    const oneGate = pod({ ...byTenant, nodeSelector: { "leasehold.io/lease": "acme-h100" }, schedulingGates: [{ name: "b" }] });
    expect(admit(oneGate, l40sOnly, "UPDATE", twoGates).allowed).toBe(true);
    expect(admit(released, l40sOnly, "UPDATE", oneGate).allowed).toBe(false);
    // A pod that never had a gate is not judged again on an update (a running pod of an ended lease).
    expect(admit(released, NO_LEASE, "UPDATE", released).allowed).toBe(true);
  });

  it("pinning is checked again when an update changes the scheduling fields (a gated pod re-pointed at another lease)", () => {
    const gated = pod({ containers: [cpu()] });
    const repointed = pod({ containers: [cpu()], nodeSelector: { "leasehold.io/lease": "bluefin-h100" } });
    expect(admit(repointed, NO_LEASE, "UPDATE", gated).allowed).toBe(false);
    expect(admit(gated, NO_LEASE, "UPDATE", gated).allowed).toBe(true);
  });

  it("a DaemonSet's pod, its affinity rewritten to matchFields metadata.name: a CPU pod needs no lease, a GPU pod must keep a lease nodeSelector", () => {
    const byController = {
      metadata: {
        name: "agent-x",
        namespace: "acme",
        ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u", controller: true }],
      },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["l40s-001"] }] }],
          },
        },
      },
    };
    const controller = "system:serviceaccount:kube-system:daemon-set-controller";
    const own = [{ key: "leasehold.io/lease", operator: "Equal", value: "acme-l40s" }];
    const dsPod = (containers: object[], extra: object = {}) => ({
      ...pod({ affinity: byController.affinity, tolerations: own, containers, ...extra }),
      metadata: byController.metadata,
    });
    const cpu = [{ name: "c", image: "x" }];
    expect(admit(dsPod(cpu), NS, "CREATE", undefined, undefined, undefined, controller)).toEqual({ allowed: true, messages: [] });
    // A GPU pod the controller wrote from an affinity-pinned template names no lease: refused, even
    // forged by the tenant; pinned by nodeSelector (which the controller keeps) it passes.
    expect(admit(dsPod([container(1)]), NS, "CREATE", undefined, undefined, undefined, controller).allowed).toBe(false);
    expect(admit(dsPod([container(1)]), NS).allowed).toBe(false);
    expect(
      admit(
        dsPod([container(1)], { nodeSelector: { "leasehold.io/lease": "acme-l40s" } }),
        NS,
        "CREATE",
        undefined,
        undefined,
        undefined,
        controller,
      ).allowed,
    ).toBe(true);
    // The controller's own tolerations of node conditions, unbounded, are its to add; out-of-service is not.
    const conditions = [
      ...own,
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
    ];
    expect(
      admit(
        { ...dsPod(cpu), spec: { ...dsPod(cpu).spec, tolerations: conditions } },
        NS,
        "CREATE",
        undefined,
        undefined,
        undefined,
        controller,
      ).allowed,
    ).toBe(true);
    const outOfService = [...own, { key: "node.kubernetes.io/out-of-service", operator: "Exists" }];
    expect(
      admit(
        { ...dsPod(cpu), spec: { ...dsPod(cpu).spec, tolerations: outOfService } },
        NS,
        "CREATE",
        undefined,
        undefined,
        undefined,
        controller,
      ).allowed,
    ).toBe(false);
    // The same tolerations in a pod of the tenant's own: refused.
    expect(admit({ ...dsPod(cpu), spec: { ...dsPod(cpu).spec, tolerations: conditions } }, NS).allowed).toBe(false);
  });

  it("accelerators the platform does not lease are refused; those it declares count as GPUs", () => {
    const other = pod({
      ...pinned,
      containers: [{ name: "c", image: "x", resources: { limits: { "nvidia.com/mig-1g.10gb": "7", "amd.com/gpu": "2" } } }],
    });
    expect(admit(other, NS).messages).toEqual([
      "pod requests an extended resource the platform does not lease; leased accelerators are: nvidia.com/gpu",
    ]);
    for (const name of ["nvidia.com/gpu.shared", "gpu.intel.com/i915", "aws.amazon.com/neuroncore", "google.com/tpu", "habana.ai/gaudi"]) {
      expect(
        admit(pod({ ...pinned, containers: [{ name: "c", image: "x", resources: { limits: { [name]: "1" } } }] }), NS).allowed,
        name,
      ).toBe(false);
    }
    // Native resources (no domain) are not extended resources: hugepages pass.
    expect(
      admit(
        pod({ ...pinned, containers: [{ name: "c", image: "x", resources: { limits: { "hugepages-2Mi": "1Gi", memory: "1Gi" } } }] }),
        NS,
      ).allowed,
    ).toBe(true);
    const settings = { accelerators: ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"], extendedResources: [], priorityClasses: [] };
    const mig = pod({
      ...pinned,
      containers: [{ name: "c", image: "x", resources: { limits: { "nvidia.com/mig-1g.10gb": "7", "nvidia.com/gpu": "0" } } }],
    });
    expect(admit(mig, NS, "CREATE", undefined, settings).allowed).toBe(true);
    expect(admit(mig, NO_LEASE, "CREATE", undefined, settings).messages).toContain(
      "pod requests nvidia.com/gpu or nvidia.com/mig-1g.10gb but tenant acme has no lease in force",
    );
  });

  it("the NVIDIA device variables, foreign PriorityClasses and long grace periods are refused", () => {
    const env = pod({ ...pinned, containers: [{ ...cpu(), env: [{ name: "NVIDIA_VISIBLE_DEVICES", value: "all" }] }] });
    expect(admit(env, NS).messages).toEqual([
      "a container sets an NVIDIA_* variable (by env, or envFrom with a prefix that could spell one), which the NVIDIA container toolkit reads to inject devices; GPUs are requested as resources only",
    ]);
    expect(
      admit(
        pod({
          ...pinned,
          containers: [cpu()],
          initContainers: [{ ...cpu(), env: [{ name: "NVIDIA_DRIVER_CAPABILITIES", value: "all" }] }],
        }),
        NS,
      ).allowed,
    ).toBe(false);
    expect(admit(pod({ ...pinned, containers: [{ ...cpu(), env: [{ name: "CUDA_VISIBLE_DEVICES", value: "0" }] }] }), NS).allowed).toBe(
      true,
    );
    for (const name of ["NVIDIA_IMEX_CHANNELS", "NVIDIA_NVSWITCH", "NVIDIA_GDS", "NVIDIA_MOFED", "NVIDIA_GDRCOPY"]) {
      expect(admit(pod({ ...pinned, containers: [{ ...cpu(), env: [{ name, value: "all" }] }] }), NS).allowed, name).toBe(false);
    }
    expect(admit(pod({ ...pinned, priorityClassName: "system-node-critical" }), NS).messages).toEqual([
      "pod uses PriorityClass system-node-critical; tenant pods may use none",
    ]);
    expect(
      admit(pod({ ...pinned, priorityClassName: "tenant-batch" }), NS, "CREATE", undefined, {
        accelerators: ["nvidia.com/gpu"],
        extendedResources: [],
        priorityClasses: ["tenant-batch"],
      }).allowed,
    ).toBe(true);
    expect(admit(pod({ ...pinned, terminationGracePeriodSeconds: 301 }), NS).messages).toEqual([
      "pod asks for terminationGracePeriodSeconds 301; at most 300 in a tenant namespace, so a lease that ends takes its GPUs back within that",
    ]);
    expect(admit(pod({ ...pinned, terminationGracePeriodSeconds: 300 }), NS).allowed).toBe(true);
  });

  it("tenant pods tolerate no landlord taint: not a cordon, a GPU-health or maintenance taint, nor node conditions beyond 300 s", () => {
    const tol = (t: object) => pod({ ...pinned, tolerations: [...pinned.tolerations, t] });
    for (const t of [
      { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
      { key: "nvidia.com/gpu.health", operator: "Exists" },
      { key: "example.com/maintenance", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 301 },
    ]) {
      expect(admit(tol(t), NS).allowed, JSON.stringify(t)).toBe(false);
    }
    // What DefaultTolerationSeconds adds, and ExtendedResourceToleration's GPU toleration, pass.
    expect(
      admit(tol({ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }), NS).allowed,
    ).toBe(true);
    expect(admit(tol({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }), NS).allowed).toBe(true);
    // Not with another effect (a landlord's NoExecute GPU-health taint keyed nvidia.com/gpu).
    expect(admit(tol({ key: "nvidia.com/gpu", operator: "Exists" }), NS).allowed).toBe(false);
  });

  it("extended resources are an allowlist (other case, other domains refused), envFrom prefixes that spell an NVIDIA variable and DRA claims are refused", () => {
    const res = (name: string) => pod({ ...pinned, containers: [{ name: "c", image: "x", resources: { limits: { [name]: "1" } } }] });
    for (const name of ["amd.com/GPU", "cloud-tpus.google.com/v3", "furiosa.ai/npu", "vpc.amazonaws.com/efa"])
      expect(admit(res(name), NS).allowed, name).toBe(false);
    expect(
      admit(res("vpc.amazonaws.com/efa"), NS, "CREATE", undefined, {
        accelerators: ["nvidia.com/gpu"],
        extendedResources: ["vpc.amazonaws.com/efa"],
        priorityClasses: [],
      }).allowed,
    ).toBe(true);
    const envFrom = (prefix: string) =>
      pod({ ...pinned, containers: [{ ...container(1), envFrom: [{ prefix, configMapRef: { name: "cm" } }] }] });
    expect(admit(envFrom("NVIDIA_"), NS).allowed).toBe(false);
    expect(admit(envFrom("N"), NS).allowed).toBe(false);
    expect(admit(envFrom("APP_"), NS).allowed).toBe(true);
    const dra = pod({ ...pinned, resourceClaims: [{ name: "gpu", resourceClaimTemplateName: "gpu" }] });
    expect(admit(dra, NS).messages).toEqual([
      "pod uses DRA resource claims; devices are leased as extended resources (nvidia.com/gpu) only",
    ]);
  });

  it("a ConfigMap or Secret key named like an NVIDIA device variable is refused (envFrom would bring it in)", () => {
    const cm = (data: object) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "acme" }, data });
    const policy = configAdmission();
    expect(admit(cm({ NVIDIA_VISIBLE_DEVICES: "all" }), NS, "CREATE", undefined, undefined, policy).allowed).toBe(false);
    expect(admit(cm({ VISIBLE_DEVICES: "all" }), NS, "CREATE", undefined, undefined, policy).allowed).toBe(true);
  });

  it("a Service with externalIPs is refused (CVE-2020-8554); a ClusterIP Service is admitted", () => {
    const svc = (spec: object) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s", namespace: "acme" },
      spec: { ports: [{ port: 443 }], ...spec },
    });
    expect(admitService(svc({ externalIPs: ["203.0.113.10"] })).allowed).toBe(false);
    expect(admitService(svc({})).allowed).toBe(true);
    expect(admitService(svc({ type: "ExternalName", externalName: "169.254.169.254" })).allowed).toBe(false);
  });

  it("a tenant's delete with a grace period over 300 s is refused (it would hold a lease's GPUs past its end); plain deletes pass", () => {
    expect(admitDelete({ apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions", gracePeriodSeconds: 86400 }).messages).toEqual([
      "a delete with gracePeriodSeconds 86400; at most 300 in a tenant namespace, so a lease that ends takes its GPUs back within that",
    ]);
    expect(admitDelete({ apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions" }).allowed).toBe(true);
    expect(admitDelete({ apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions", gracePeriodSeconds: 0 }).allowed).toBe(true);
    expect(admitDelete(null).allowed).toBe(true);
  });

  it("an eviction (pods/eviction, which Kubernetes' edit and admin roles grant) with a grace period over 300 s is refused too", () => {
    const eviction = (deleteOptions?: object) => ({
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name: "p", namespace: "acme" },
      ...(deleteOptions ? { deleteOptions } : {}),
    });
    expect(admitEviction(eviction({ gracePeriodSeconds: 86400 })).messages).toEqual([
      "an eviction with gracePeriodSeconds 86400; at most 300 in a tenant namespace, so a lease that ends takes its GPUs back within that",
    ]);
    expect(admitEviction(eviction({ gracePeriodSeconds: 301 })).allowed).toBe(false);
    expect(admitEviction(eviction({ gracePeriodSeconds: 300 })).allowed).toBe(true);
    expect(admitEviction(eviction({})).allowed).toBe(true);
    expect(admitEviction(eviction()).allowed).toBe(true);
  });
});

describe("LeaseAdmission component", () => {
  it("binds the pod, deletion, config and service policies to every tenant namespace, denying, with failurePolicy Fail", async () => {
    const { LeaseAdmission } = await import("../../components/lease-admission");
    const r = await runMocked(() => new LeaseAdmission("admission", {}, { provider: new k8s.Provider("k8s", { kubeconfig: "{}" }) }));
    const byName = (a: Record<string, any>, b: Record<string, any>) => String(a.metadata.name).localeCompare(String(b.metadata.name));
    const policies = ofType(r, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")
      .map((x) => x.inputs)
      .sort(byName);
    const bindings = ofType(r, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
      .map((x) => x.inputs)
      .sort(byName);
    expect(policies.map((p) => [p.metadata.name, p.spec.matchConstraints.resourceRules[0].resources])).toEqual([
      ["leasehold-lease-pinning", ["pods", "pods/ephemeralcontainers"]],
      ["leasehold-pod-deletion", ["pods"]],
      ["leasehold-tenant-config", ["configmaps", "secrets"]],
      ["leasehold-tenant-services", ["services"]],
    ]);
    expect(policies.find((p) => p.metadata.name === "leasehold-pod-deletion")!.spec.matchConstraints.resourceRules).toEqual([
      { apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["pods"] },
      { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods/eviction"] },
    ]);
    for (const [i, policy] of policies.entries()) {
      expect(policy.spec.failurePolicy).toBe("Fail");
      expect(bindings[i]!.spec).toEqual({
        policyName: policy.metadata.name,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchExpressions: [{ key: "leasehold.io/tenant", operator: "Exists" }] } },
      });
    }
  });
});
