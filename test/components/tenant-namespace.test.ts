import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { ofType, runMocked, type Recorded } from "./mocks";
import { BUILTIN_CATALOG } from "../../lease/catalog";
import type { Lease, TenantConfig } from "../../lease/schema";

// Components are imported after the mocks are set (runMocked sets them before each build).
async function build(tenant: Partial<TenantConfig["tenant"]>, leases: Lease[], at: string, purge = false): Promise<Recorded[]> {
  const { TenantNamespace } = await import("../../components/tenant-namespace");
  return runMocked(() => {
    const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
    const full: TenantConfig["tenant"] = {
      name: "acme",
      access: { admins: ["acme:admins"], viewers: [] },
      network: { egress: [] },
      ...tenant,
    };
    const ns = new TenantNamespace("acme", { tenant: full, leases, catalog: BUILTIN_CATALOG, at: Date.parse(at), purge }, { provider });
    return { gpuQuota: ns.gpuQuota };
  });
}

function lease(id: string, count: number, start: string, end: string, notice?: Lease["reclaim"]["notice"]): Lease {
  return {
    id,
    gpu: { type: "h100-80gb", count },
    window: { start, end },
    placement: { pool: "h100-a", nodes: ["n1"] },
    reclaim: notice ? { noticeHours: 72, notice } : { noticeHours: 72 },
  };
}

const MANAGED = { "pulumi.com/patchFieldManager": "leasehold-tenant-acme" };
const quotaOf = (r: Recorded[]) => ofType(r, "kubernetes:core/v1:ResourceQuota")[0]!.inputs.spec.hard as Record<string, string>;
const nsOf = (r: Recorded[]) => ofType(r, "kubernetes:core/v1:Namespace")[0]!.inputs.metadata;

describe("TenantNamespace quota across lease windows", () => {
  const a = lease("a", 16, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z");
  const b = lease("b", 8, "2027-02-01T00:00:00Z", "2027-04-01T00:00:00Z");
  const cases: [string, string, number][] = [
    ["before any lease starts", "2026-12-31T23:59:59Z", 0],
    ["at the exact start instant", "2027-01-01T00:00:00Z", 16],
    ["inside one lease", "2027-01-15T00:00:00Z", 16],
    ["while two leases overlap", "2027-02-15T00:00:00Z", 24],
    ["at the exact end instant of the first (it no longer counts)", "2027-03-01T00:00:00Z", 8],
    ["after every window", "2027-04-01T00:00:00Z", 0],
  ];
  for (const [what, at, gpus] of cases) {
    it(`grants ${gpus} GPUs ${what}`, async () => {
      const r = await build({}, [a, b], at);
      expect(quotaOf(r)["requests.nvidia.com/gpu"]).toBe(String(gpus));
    });
  }

  it("keeps a lease in notice in the quota and shows the notice on the namespace", async () => {
    const notice = { issuedAt: "2027-01-10T00:00:00Z", effectiveAt: "2027-01-13T00:00:00Z", reason: "maintenance" };
    const r = await build({}, [lease("a", 16, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z", notice)], "2027-01-12T00:00:00Z");
    expect(quotaOf(r)["requests.nvidia.com/gpu"]).toBe("16");
    expect(nsOf(r).annotations).toEqual({
      ...MANAGED,
      "leasehold.io/reclaim-at": "2027-01-13T00:00:00Z",
      "leasehold.io/reclaim-reason": "a: maintenance",
    });
    expect(nsOf(r).labels["lease.leasehold.io/a"]).toBe("in-force");
    // Where the tenant can read it: its quota (the Namespace object is out of its reach).
    const quota = ofType(r, "kubernetes:core/v1:ResourceQuota")[0]!.inputs;
    expect(quota.metadata.annotations).toMatchObject({
      "leasehold.io/reclaim-at": "2027-01-13T00:00:00Z",
      "leasehold.io/reclaim-reason": "a: maintenance",
    });
  });

  it("drops a reclaimed lease from the quota and from the namespace's leases in force", async () => {
    const notice = { issuedAt: "2027-01-10T00:00:00Z", effectiveAt: "2027-01-13T00:00:00Z", reason: "maintenance" };
    const r = await build({}, [lease("a", 16, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z", notice)], "2027-01-13T00:00:00Z");
    expect(quotaOf(r)["requests.nvidia.com/gpu"]).toBe("0");
    expect(nsOf(r).labels["lease.leasehold.io/a"]).toBeUndefined();
    expect(nsOf(r).annotations).toEqual(MANAGED);
    expect(ofType(r, "kubernetes:core/v1:ResourceQuota")[0]!.inputs.metadata.annotations).toEqual(MANAGED);
  });

  it("protects and retains the namespace, until a purge lifts both; nothing else is protected", async () => {
    const l = [lease("a", 16, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z")];
    const kept = await build({}, l, "2027-04-01T00:00:00Z");
    const ns = ofType(kept, "kubernetes:core/v1:Namespace")[0]!;
    expect([ns.protect, ns.retainOnDelete]).toEqual([true, true]);
    expect(kept.filter((r) => r.custom && r.type !== "kubernetes:core/v1:Namespace" && r.protect).map((r) => r.name)).toEqual([]);
    const purged = ofType(await build({}, l, "2027-04-01T00:00:00Z", true), "kubernetes:core/v1:Namespace")[0]!;
    expect([purged.protect, purged.retainOnDelete]).toEqual([false, false]);
  });

  it("applies every object as one stable field manager, so a killed deploy's objects are adopted by the next", async () => {
    const r = await build({}, [lease("a", 16, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z")], "2027-01-02T00:00:00Z");
    const objects = r.filter((x) => x.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) expect(o.inputs.metadata.annotations?.["pulumi.com/patchFieldManager"], o.type).toBe("leasehold-tenant-acme");
  });

  it("derives cpu, memory, storage and pods from the catalog, and honours the tenant's caps", async () => {
    const derived = quotaOf(await build({}, [lease("a", 8, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z")], "2027-01-02T00:00:00Z"));
    // base 4 CPU + 8 x 24; 16Gi + 8 x 256Gi; 1Ti (1024Gi) + 8 x 3576Gi; 20 + 8 x 32 pods
    expect(derived).toMatchObject({
      "requests.cpu": "196",
      "limits.cpu": "196",
      "requests.memory": "2064Gi",
      "requests.storage": "29632Gi",
      pods: "276",
    });
    const capped = quotaOf(
      await build(
        { resources: { cpu: "100", memory: "1.5Ti", storage: "200Ti", pods: 50 } },
        [lease("a", 8, "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z")],
        "2027-01-02T00:00:00Z",
      ),
    );
    expect(capped).toMatchObject({ "requests.cpu": "100", "limits.memory": "1.5Ti", "requests.storage": "200Ti", pods: "50" });
  });

  it("always forbids NodePort and LoadBalancer services and bounds object counts", async () => {
    const hard = quotaOf(await build({}, [], "2027-01-01T00:00:00Z"));
    expect(hard).toMatchObject({ "services.nodeports": "0", "services.loadbalancers": "0", "requests.nvidia.com/gpu": "0" });
    for (const k of [
      "pods",
      "services",
      "secrets",
      "configmaps",
      "persistentvolumeclaims",
      "requests.ephemeral-storage",
      "limits.ephemeral-storage",
    ]) {
      expect(hard[k], k).toMatch(/^\d/);
    }
  });
});

describe("TenantNamespace isolation objects", () => {
  it("pins Pod Security restricted, with a version, for enforce, audit and warn", async () => {
    const labels = nsOf(await build({}, [], "2027-01-01T00:00:00Z")).labels;
    for (const mode of ["enforce", "audit", "warn"]) {
      expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe("restricted");
      expect(labels[`pod-security.kubernetes.io/${mode}-version`]).toMatch(/^v1\.\d+$/);
    }
  });

  it("denies all ingress and egress by default and allows DNS to kube-system only on port 53", async () => {
    const r = await build({}, [], "2027-01-01T00:00:00Z");
    const pols = Object.fromEntries(
      ofType(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => [p.inputs.metadata.name, p.inputs.spec]),
    );
    expect(pols["leasehold-default-deny"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const dns = pols["leasehold-allow-dns"].egress[0];
    expect(dns.to).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      },
    ]);
    expect(dns.ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    expect(pols["leasehold-allow-egress"].egress).toEqual([]);
  });

  it("always excepts the metadata addresses inside an egress block, IPv4 and IPv6, and leaves other blocks alone", async () => {
    const egress = [
      { cidr: "0.0.0.0/0", ports: [443] },
      { cidr: "::/0" },
      { cidr: "10.20.0.0/16", except: ["10.20.1.0/24"], ports: [9000], protocol: "TCP" as const },
    ];
    const r = await build({ network: { egress } }, [], "2027-01-01T00:00:00Z");
    const rules = ofType(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find(
      (p) => p.inputs.metadata.name === "leasehold-allow-egress",
    )!.inputs.spec.egress;
    expect(rules).toEqual([
      { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }], ports: [{ protocol: "TCP", port: 443 }] },
      { to: [{ ipBlock: { cidr: "::/0", except: ["fd00:ec2::254/128"] } }] },
      { to: [{ ipBlock: { cidr: "10.20.0.0/16", except: ["10.20.1.0/24"] } }], ports: [{ protocol: "TCP", port: 9000 }] },
    ]);
  });

  it("grants tenants namespaced roles only: no wildcard, no escalate/bind/impersonate, landlord objects read-only", async () => {
    const r = await build({ access: { admins: ["acme:admins"], viewers: ["acme:viewers"] } }, [], "2027-01-01T00:00:00Z");
    expect(r.filter((x) => /ClusterRole/.test(x.type))).toEqual([]);
    const roles = ofType(r, "kubernetes:rbac.authorization.k8s.io/v1:Role");
    expect(roles.map((x) => x.inputs.metadata.name).sort()).toEqual(["tenant-admin", "tenant-viewer"]);
    for (const role of roles) {
      expect(role.inputs.metadata.namespace).toBe("acme");
      for (const rule of role.inputs.rules) {
        for (const list of [rule.verbs, rule.resources, rule.apiGroups]) expect(list).not.toContain("*");
        for (const v of ["escalate", "bind", "impersonate"]) expect(rule.verbs).not.toContain(v);
        const guarded = ["resourcequotas", "limitranges", "networkpolicies", "roles", "rolebindings", "namespaces", "nodes"];
        if (rule.resources.some((x: string) => guarded.includes(x)))
          expect(rule.verbs.every((v: string) => ["get", "list", "watch"].includes(v))).toBe(true);
      }
    }
    const bindings = Object.fromEntries(
      ofType(r, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").map((b) => [b.inputs.metadata.name, b.inputs]),
    );
    expect(bindings["tenant-admins"].subjects).toEqual([{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "acme:admins" }]);
    expect(bindings["tenant-viewers"].roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "tenant-viewer" });
  });

  it("labels every object with the tenant, retains the namespace on delete, and uses the given provider for every object", async () => {
    const r = await build({}, [], "2027-01-01T00:00:00Z");
    const objects = r.filter((x) => x.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      expect(o.inputs.metadata.labels["leasehold.io/tenant"], o.name).toBe("acme");
      expect("leasehold.io/lease" in o.inputs.metadata.labels, o.name).toBe(true);
      expect(o.provider, o.name).toMatch(/::k8s::/);
    }
  });
});
