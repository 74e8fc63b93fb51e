import { describe, expect, it } from "vitest";
import { admit } from "./cel";
import { ofType, runMocked } from "./mocks";
import * as k8s from "@pulumi/kubernetes";

const NS = { "leasehold.io/tenant": "acme", "lease.leasehold.io/acme-h100": "in-force", "lease.leasehold.io/acme-l40s": "in-force" };
const NO_LEASE = { "leasehold.io/tenant": "acme" };

const container = (gpus?: number) => ({ name: "c", image: "x", ...(gpus ? { resources: { limits: { "nvidia.com/gpu": String(gpus) } } } : {}) });
const pod = (spec: object) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "acme" }, spec: { containers: [container(1)], ...spec } });
const pinned = { nodeSelector: { "leasehold.io/lease": "acme-h100" }, tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: "acme-h100", effect: "NoSchedule" }] };

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

  it("refuses a pod that selects no lease while its tenant has one in force", () => {
    const r = admit(pod({}), NS);
    expect(r.allowed).toBe(false);
    expect(r.messages).toEqual(["pod must select one of tenant acme's leases in force with nodeSelector or a required node affinity on leasehold.io/lease"]);
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
    const open = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }] } } };
    expect(admit(pod({ affinity: open }), NS).allowed).toBe(false);
    // NotIn names no lease: it does not pin.
    const notIn = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "leasehold.io/lease", operator: "NotIn", values: ["x"] }] }] } } };
    expect(admit(pod({ affinity: notIn }), NS).allowed).toBe(false);
  });

  it("refuses tolerating another lease's taint, and catch-all tolerations", () => {
    const other = { ...pinned, tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: "bluefin-h100", effect: "NoSchedule" }] };
    expect(admit(pod(other), NS).messages).toEqual(["pod may tolerate only the taints of tenant acme's own leases in force, and no catch-all toleration"]);
    expect(admit(pod({ ...pinned, tolerations: [{ operator: "Exists" }] }), NS).allowed).toBe(false);
    expect(admit(pod({ ...pinned, tolerations: [{ key: "leasehold.io/lease", operator: "Exists" }] }), NS).allowed).toBe(false);
    // Tolerating an unrelated taint is fine.
    expect(admit(pod({ ...pinned, tolerations: [...pinned.tolerations, { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] }), NS).allowed).toBe(true);
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
    const added = pod({ ...pinned, nodeName: "gpu-001", tolerations: [...pinned.tolerations, { key: "leasehold.io/lease", operator: "Equal", value: "bluefin-h100" }] });
    expect(admit(added, NS, "UPDATE", running).allowed).toBe(false);
  });
});

describe("LeaseAdmission component", () => {
  it("binds the policy to every tenant namespace, denying, with failurePolicy Fail", async () => {
    const { LeaseAdmission } = await import("../../components/lease-admission");
    const r = await runMocked(() => new LeaseAdmission("admission", {}, { provider: new k8s.Provider("k8s", { kubeconfig: "{}" }) }));
    const policy = ofType(r, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")[0]!.inputs;
    const binding = ofType(r, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")[0]!.inputs;
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConstraints.resourceRules[0].resources).toEqual(["pods"]);
    expect(binding.spec).toEqual({
      policyName: policy.metadata.name,
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchExpressions: [{ key: "leasehold.io/tenant", operator: "Exists" }] } },
    });
  });
});
