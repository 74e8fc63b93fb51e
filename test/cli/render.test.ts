import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ipaddr from "ipaddr.js";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { exampleStacks, ROOT, run, runBin } from "./helpers";

const STACKS = path.join(ROOT, "stacks");
const GOLDEN = path.join(ROOT, "test", "golden");
const AT = "2026-12-20T00:00:00Z";
const TENANTS = ["tenant-acme", "tenant-bluefin", "tenant-corvid"];
const METADATA = ipaddr.parse("169.254.169.254");

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};

async function renderObjects(stack: string, at = AT, stacks = STACKS): Promise<Obj[]> {
  const r = await run("render", "--stacks", stacks, "--stack", stack, "--at", at);
  expect(r.code, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

describe("leasehold render", () => {
  // Golden files are the review artefact: regenerate with UPDATE_GOLDEN=1 npx vitest run test/cli/render.test.ts
  for (const stack of ["platform-local", ...TENANTS, "platform-aws", "tenant-delta"]) {
    it(`matches the golden render of ${stack} at ${AT}`, async () => {
      const r = await run("render", "--stacks", STACKS, "--stack", stack, "--at", AT);
      expect(r.code, r.stderr).toBe(0);
      const golden = path.join(GOLDEN, `${stack}.yaml`);
      if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, r.stdout);
      expect(r.stdout).toBe(fs.readFileSync(golden, "utf8"));
    });
  }

  it("is byte-identical between runs in separate processes", () => {
    const a = runBin(ROOT, "render", "--stack", "tenant-acme", "--at", AT);
    const b = runBin(ROOT, "render", "--stack", "tenant-acme", "--at", AT);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it("shows a tenant's node set as the Node fields it writes on each node: the tenant's taint and labels, the lease's start", async () => {
    const nodes = (await renderObjects("tenant-acme")).filter((o) => o.kind === "Node");
    expect(nodes.map((n) => n.metadata.name)).toEqual(["gpu-001", "gpu-002", "l40s-001"]);
    expect(nodes[0]).toEqual({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: "gpu-001",
        annotations: { "leasehold.io/lease-start": "2026-12-01T00:00:00Z" },
        labels: { "leasehold.io/lease": "acme-h100-2026q4", "leasehold.io/tenant": "acme" },
      },
      spec: { taints: [{ key: "leasehold.io/tenant", value: "acme", effect: "NoExecute" }] },
    });
  });

  it("shows the platform's pool nodes with their pool labels and the idle taint", async () => {
    const nodes = (await renderObjects("platform-local")).filter((o) => o.kind === "Node");
    expect(nodes[0]).toEqual({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "gpu-001", labels: { "leasehold.io/gpu-type": "h100-80gb", "leasehold.io/pool": "h100-a" } },
      spec: { taints: [{ key: "leasehold.io/tenant", effect: "NoExecute" }] },
    });
  });

  it('always writes requests.nvidia.com/gpu, "0" when no lease is in force', async () => {
    // corvid's L40S lease was reclaimed on Nov 30; its H100 lease starts on Jan 1.
    const quota = (await renderObjects("tenant-corvid")).find((o) => o.kind === "ResourceQuota")!;
    expect(quota.spec.hard["requests.nvidia.com/gpu"]).toBe("0");
    const later = (await renderObjects("tenant-corvid", "2027-01-01T00:00:00Z")).find((o) => o.kind === "ResourceQuota")!;
    expect(later.spec.hard["requests.nvidia.com/gpu"]).toBe("8");
  });

  it("shows a reclaim notice on the namespace while it runs", async () => {
    const ns = (await renderObjects("tenant-corvid", "2026-11-29T00:00:00Z")).find((o) => o.kind === "Namespace")!;
    expect(ns.metadata.annotations).toEqual({
      "leasehold.io/reclaim-at": "2026-11-30T09:00:00Z",
      "leasehold.io/reclaim-reason": "corvid-l40s-2026q4: Capacity moves to a new inference cluster.",
    });
  });

  it("writes one file per object with --out, in render order", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-render-"));
    const r = await run("render", "--stacks", STACKS, "--stack", "tenant-bluefin", "--at", AT, "--out", out);
    expect(r.code).toBe(0);
    const files = fs.readdirSync(out).sort();
    const objects = await renderObjects("tenant-bluefin");
    expect(files).toHaveLength(objects.length);
    expect(files[0]).toBe("001-namespace-bluefin.yaml");
  });

  it("refuses an unknown stack (exit 2) and an invalid one (exit 1) without a stack trace", async () => {
    expect((await run("render", "--stacks", STACKS, "--stack", "tenant-nobody")).code).toBe(2);
    const dir = exampleStacks();
    const file = path.join(dir, "Pulumi.tenant-acme.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("count: 16", "count: many"));
    const r = await run("render", "--stacks", dir, "--stack", "tenant-acme");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('leasehold:leases[0].gpu.count: expected a positive integer, got "many"');
  });
});

// The Multi-Tenancy Benchmark's profile-level-1 configuration checks and CIS 5.3.2, as properties
// of what every example tenant stack renders, at instants before, inside and after its leases.
describe("tenant isolation properties of the render (MTB profile level 1, CIS 5.3.2)", () => {
  const instants = ["2026-10-01T00:00:00Z", AT, "2027-02-01T00:00:00Z", "2028-01-01T00:00:00Z"];
  const renders: Promise<{ stack: string; at: string; objects: Obj[] }[]> = (async () => {
    const out = [];
    for (const stack of TENANTS) for (const at of instants) out.push({ stack, at, objects: await renderObjects(stack, at) });
    return out;
  })();
  const CLUSTER_SCOPED = new Set([
    "nodes",
    "namespaces",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "customresourcedefinitions",
    "validatingadmissionpolicies",
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
  ]);

  it("blocks access to cluster resources: no cluster-scoped RBAC, and namespaced roles name no cluster-scoped resource", async () => {
    for (const { objects } of await renders) {
      expect(objects.filter((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding")).toEqual([]);
      for (const role of objects.filter((o) => o.kind === "Role")) {
        for (const rule of role.rules) for (const res of rule.resources) expect(CLUSTER_SCOPED.has(res), res).toBe(false);
      }
      for (const b of objects.filter((o) => o.kind === "RoleBinding")) expect(b.roleRef.kind).toBe("Role");
    }
  });

  it("blocks modification of resource quotas and limit ranges", async () => {
    for (const { objects } of await renders) {
      for (const role of objects.filter((o) => o.kind === "Role")) {
        for (const rule of role.rules) {
          if (rule.resources.includes("resourcequotas") || rule.resources.includes("limitranges")) {
            expect(rule.verbs.filter((v: string) => !["get", "list", "watch"].includes(v))).toEqual([]);
          }
        }
      }
    }
  });

  it("sets quotas on cpu, memory, ephemeral storage and object counts, and blocks NodePort and LoadBalancer services", async () => {
    for (const { objects, stack, at } of await renders) {
      const quotas = objects.filter((o) => o.kind === "ResourceQuota");
      expect(quotas, `${stack}@${at}`).toHaveLength(1);
      const hard = quotas[0]!.spec.hard;
      for (const k of [
        "requests.cpu",
        "limits.cpu",
        "requests.memory",
        "limits.memory",
        "requests.ephemeral-storage",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "requests.nvidia.com/gpu",
      ]) {
        expect(hard[k], `${stack}@${at} ${k}`).toBeDefined();
      }
      expect(hard["services.nodeports"]).toBe("0");
      expect(hard["services.loadbalancers"]).toBe("0");
    }
  });

  it("blocks access to other tenants' resources: every namespaced object and binding stays in the tenant's namespace and names only its groups", async () => {
    for (const { objects, stack } of await renders) {
      const tenant = stack.replace("tenant-", "");
      // A lease's reserve is the one object outside: the landlord's, where the tenant cannot reach it.
      const reserve = (o: (typeof objects)[number]) => o.kind === "Deployment" && o.metadata.namespace === "leasehold-system";
      for (const o of objects.filter((x) => x.kind !== "Namespace" && x.kind !== "Node" && !reserve(x)))
        expect(o.metadata.namespace).toBe(tenant);
      for (const o of objects.filter(reserve)) expect(o.metadata.labels?.["leasehold.io/tenant"]).toBe(tenant);
      for (const b of objects.filter((o) => o.kind === "RoleBinding")) {
        for (const s of b.subjects ?? []) {
          if (s.kind === "Group") expect(s.name.startsWith(`${tenant}:`), s.name).toBe(true);
          else expect(s.namespace).toBe(tenant);
        }
      }
    }
  });

  it("gives every tenant namespace a NetworkPolicy, with default deny of ingress and egress (CIS 5.3.2)", async () => {
    for (const { objects } of await renders) {
      const pols = objects.filter((o) => o.kind === "NetworkPolicy");
      expect(
        pols.some(
          (p) =>
            JSON.stringify(p.spec.podSelector) === "{}" &&
            p.spec.policyTypes.includes("Ingress") &&
            p.spec.policyTypes.includes("Egress") &&
            !p.spec.ingress &&
            !p.spec.egress,
        ),
      ).toBe(true);
      for (const p of pols)
        for (const rule of p.spec.egress ?? [])
          for (const to of rule.to ?? []) {
            // Cloud metadata is never reachable: any block that contains it excepts it.
            const [net, bits] = ipaddr.parseCIDR(to.ipBlock?.cidr ?? "0.0.0.0/32");
            if (to.ipBlock && net.kind() === "ipv4" && METADATA.match(net, bits)) {
              expect(to.ipBlock.except ?? [], to.ipBlock.cidr).toContain("169.254.169.254/32");
            }
          }
    }
  });

  it("enforces Pod Security restricted on every tenant namespace", async () => {
    for (const { objects } of await renders) {
      const ns = objects.find((o) => o.kind === "Namespace")!;
      expect(ns.metadata.labels!["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    }
  });
});
