import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { runMocked } from "../components/mocks";
import { contractOf, readContract, type WrittenContract } from "../../lease/contract";
import { loadStackFile, loadStackText, type PlatformStack, type Stack, type TenantStack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";
import { POLICY_NAMES } from "../../lease/policy-names";
import { POLICIES } from "../../policies/all";
import { tenantDataRetained } from "../../policies/data";
import { offlinePlatformOutputs } from "../../programs/offline";
import { leaseContract, poolCapacity } from "../../policies/capacity";
import { noPublicServices, tenantNamespaceIsolated, tenantRbacNamespaced } from "../../policies/isolation";
import { leaseLabels } from "../../policies/labels";
import { nodePoolWithinLease } from "../../policies/nodes";
import { leaseReservesHeld, reclaimAfterNotice, tenantGpuQuotaWithinLeases } from "../../policies/quota";
import { gpuRequestsWithinQuota, leasePinning, podSecurityRestrictedPolicy } from "../../policies/workloads";
import {
  createResourceValidationArgs,
  createStackValidationArgs,
  messages,
  runResourcePolicy,
  runStackPolicy,
  type TestResource,
} from "./util";

const STACKS = path.resolve(__dirname, "../../stacks");
const AT = "2026-12-20T00:00:00Z";
const load = <T extends Stack>(name: string) => {
  const r = loadStackFile(path.join(STACKS, `Pulumi.${name}.yaml`));
  if (!r.ok) throw new Error(`example stack ${name} invalid`);
  return r.stack as T;
};
const platform = load<PlatformStack>("platform-local");
const acme = load<TenantStack>("tenant-acme");
const corvid = load<TenantStack>("tenant-corvid");
const config = (c: WrittenContract) => ({ contract: c });
const acmeConfig = config(contractOf(acme, platform, AT));

/** The resources a tenant stack's program registers, as the engine passes them to the pack (inputs). */
async function stackResources(stack: TenantStack, at: string): Promise<TestResource[]> {
  const { tenantProgram } = await import("../../programs/tenant");
  const recorded = await runMocked(() => tenantProgram(stack, { platform, at: Date.parse(at) }), stack.name);
  return recorded.filter((r) => r.custom).map((r) => ({ type: r.type, props: r.inputs, name: r.name, opts: { protect: r.protect } }));
}

const resource = (policy: ResourceValidationPolicy, r: TestResource, cfg: object = acmeConfig) =>
  runResourcePolicy(policy, createResourceValidationArgs(r, cfg));
const stack = (policy: StackValidationPolicy, rs: TestResource[], cfg: object = acmeConfig) =>
  runStackPolicy(policy, createStackValidationArgs(rs, cfg));

const quota = (gpus: string | undefined, namespace = "acme"): TestResource => ({
  type: k8s.core.v1.ResourceQuota,
  props: {
    metadata: { name: "leasehold-quota", namespace },
    spec: { hard: gpus === undefined ? { pods: "10" } : { "requests.nvidia.com/gpu": gpus } },
  },
});

describe("the pack", () => {
  it("builds exactly the policies leasehold policy-config writes the contract for", () => {
    expect(POLICIES.map((p) => p.name)).toEqual([...POLICY_NAMES]);
    for (const p of POLICIES) expect(p.configSchema?.properties.contract, p.name).toBeDefined();
  });

  it("passes the example tenant stack's own resources on every policy", async () => {
    const rs = await stackResources(acme, AT);
    for (const p of POLICIES) {
      if ("validateStack" in p) expect(messages(await stack(p, rs)), p.name).toEqual([]);
      else for (const r of rs) expect(messages(await resource(p as ResourceValidationPolicy, r)), `${p.name} ${r.name}`).toEqual([]);
    }
  });
});

describe("the contract in the policy config", () => {
  // A data hall's pool, with names out of order, gaps and a second naming scheme; the lease holds part of it.
  const names = [
    ...Array.from({ length: 10_000 }, (_, i) => `gpu-${String(10_000 - i).padStart(5, "0")}`).filter((n) => !n.endsWith("77")),
    "rack01-node01",
    "rack01-node02",
    "rack02-node01",
  ];
  const hall = (role: string, body: string): Stack => {
    const r = loadStackText(`stacks/Pulumi.${role}.yaml`, body);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    return r.stack;
  };
  const hallPlatform = hall(
    "platform-hall",
    `config:\n  leasehold:role: platform\n  leasehold:cluster: {provider: existing}\n  leasehold:pools:\n    - {name: h100, gpuType: h100-80gb, nodes: ${JSON.stringify(names)}}\n`,
  ) as PlatformStack;
  const leased = names.slice(100, 8_292);
  const hallTenant = hall(
    "tenant-lab",
    `config:\n  leasehold:role: tenant\n  leasehold:platform: platform-hall\n  leasehold:tenant: {name: lab}\n  leasehold:leases:\n    - {id: lab-1, gpu: {type: h100-80gb, count: ${leased.length * 8}}, window: {start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z"}, placement: {pool: h100, nodes: ${JSON.stringify(leased)}}, reclaim: {noticeHours: 0}}\n`,
  ) as TenantStack;

  it("carries node sets as hostlists that read back as exactly the stack's nodes", () => {
    const written = contractOf(hallTenant, hallPlatform, AT);
    const text = JSON.stringify(written);
    // One name per entry, this contract was about 150 KB, copied under every policy of the pack.
    expect(text.length).toBeLessThan(4_000);
    expect(written.platform.pools[0]!.nodes).toMatch(/^gpu-\[00001-00076,00078-00176,(\d{5}-\d{5},)+09978-10000\],rack/);
    const read = readContract(JSON.parse(text), 0);
    if (typeof read === "string") throw new Error(read);
    expect(new Set(read.platform.config.pools[0]!.nodes)).toEqual(new Set(names));
    expect(read.platform.config.pools[0]!.nodes).toHaveLength(names.length);
    expect(new Set(read.tenant!.config.leases[0]!.placement.nodes)).toEqual(new Set(leased));
    expect(read.tenant!.config.leases[0]!.placement.nodes).toHaveLength(leased.length);
  });

  it("keeps names that share no numbering as the list they are (a hostlist of them would not be smaller)", () => {
    const odd = ["alpha", "bravo", "charlie", "delta-7.dc1", "echo-3.dc2"];
    const p = hall(
      "platform-odd",
      `config:\n  leasehold:role: platform\n  leasehold:cluster: {provider: existing}\n  leasehold:pools:\n    - {name: h100, gpuType: h100-80gb, nodes: ${JSON.stringify(odd)}}\n`,
    ) as PlatformStack;
    expect(contractOf(p, p, AT).platform.pools[0]!.nodes).toEqual(odd);
  });

  it("keeps an empty or absent node set as it is", () => {
    const written = contractOf(acme, platform, AT);
    for (const [i, p] of platform.config.pools.entries())
      if (!p.nodes || p.nodes.length === 0) expect(written.platform.pools[i]!.nodes).toEqual(p.nodes);
  });
});

describe("lease-contract", () => {
  it("is a mandatory violation when the contract is missing or invalid, and silent when valid", async () => {
    expect(leaseContract.enforcementLevel).toBe("mandatory");
    expect(messages(await stack(leaseContract, [], {}))[0]).toMatch(
      /^The policy config carries no lease contract; generate it with `leasehold policy-config --stack NAME`/,
    );
    const bad = { contract: { ...contractOf(acme, platform), leases: [{ id: "x" }] } };
    expect(messages(await stack(leaseContract, [], bad))[0]).toContain("contract.leases[0].gpu");
    expect(messages(await stack(leaseContract, [], acmeConfig))).toEqual([]);
  });

  it("makes the other policies not applicable rather than silently passing", async () => {
    const v = await resource(tenantGpuQuotaWithinLeases, quota("999"), {});
    expect(v.notApplicable).toContain("no lease contract");
  });
});

describe("tenant-gpu-quota-within-leases", () => {
  it("refuses a quota above the leases in force, with the numbers", async () => {
    expect(messages(await resource(tenantGpuQuotaWithinLeases, quota("72")))).toEqual([
      "Tenant acme would hold 72 GPUs but its leases in force at 2026-12-20T00:00:00Z grant 24 (16 h100-80gb + 8 l40s).",
    ]);
  });

  it("accepts a quota equal to the leases in force, and ignores other namespaces", async () => {
    expect(messages(await resource(tenantGpuQuotaWithinLeases, quota("24")))).toEqual([]);
    expect(messages(await resource(tenantGpuQuotaWithinLeases, quota("72", "kube-system")))).toEqual([]);
  });

  it("with a MIG profile in the catalog: refuses a quota that leaves it out or grants more than the leases", async () => {
    const mig = {
      ...platform,
      config: { ...platform.config, gpuTypes: { "a100-80gb": { resource: "nvidia.com/mig-1g.10gb", gpusPerNode: 56 } } },
    } as PlatformStack;
    const withMig = config(contractOf(acme, mig, AT));
    expect(messages(await resource(tenantGpuQuotaWithinLeases, quota("24"), withMig))).toEqual([
      "ResourceQuota acme/leasehold-quota sets no requests.nvidia.com/mig-1g.10gb, which the platform's nodes advertise, so tenant acme could use all of it; its leases in force grant 0.",
    ]);
    const granted = {
      ...quota("24"),
      props: { ...quota("24").props, spec: { hard: { "requests.nvidia.com/gpu": "24", "requests.nvidia.com/mig-1g.10gb": "7" } } },
    };
    expect(messages(await resource(tenantGpuQuotaWithinLeases, granted, withMig))).toEqual([
      "Tenant acme would hold 7 nvidia.com/mig-1g.10gb but its leases in force at 2026-12-20T00:00:00Z grant 0.",
    ]);
  });

  it("refuses a quota with no GPU limit at all", async () => {
    expect(messages(await resource(tenantGpuQuotaWithinLeases, quota(undefined)))[0]).toContain("sets no requests.nvidia.com/gpu");
  });

  it("does not apply to a platform stack", async () => {
    const v = await resource(tenantGpuQuotaWithinLeases, quota("72"), config(contractOf(platform, platform)));
    expect(v.notApplicable).toContain("platform stack");
  });
});

describe("node-pool-within-lease", () => {
  const patch = (node: string, lease: string): TestResource => ({
    type: k8s.core.v1.NodePatch,
    name: `${lease}-${node}`,
    props: { metadata: { name: node, labels: { "leasehold.io/lease": lease, "leasehold.io/tenant": "acme" } } },
  });

  it("accepts the lease's own nodes while it is in force", async () => {
    expect(
      messages(await stack(nodePoolWithinLease, [patch("gpu-001", "acme-h100-2026q4"), patch("gpu-002", "acme-h100-2026q4")])),
    ).toEqual([]);
  });

  it("refuses nodes of another lease, outside the placement, beyond what the GPUs need, or after the lease ended", async () => {
    expect(messages(await stack(nodePoolWithinLease, [patch("gpu-003", "bluefin-h100-burst")]))).toEqual([
      "Node gpu-003 is given to lease bluefin-h100-burst, which is not one of tenant acme's leases.",
    ]);
    expect(
      messages(
        await stack(nodePoolWithinLease, [
          patch("gpu-001", "acme-h100-2026q4"),
          patch("gpu-002", "acme-h100-2026q4"),
          patch("gpu-003", "acme-h100-2026q4"),
        ]),
      ),
    ).toEqual([
      "Node gpu-003 is given to lease acme-h100-2026q4, but the lease's placement is gpu-[001-002].",
      "Lease acme-h100-2026q4 is for 16 h100-80gb GPUs (2 node(s) of 8), but 3 nodes x 8 GPUs per node = 24 GPUs are given to it: gpu-[001-003].",
    ]);
    const later = config(contractOf(acme, platform, "2027-07-01T00:00:00Z"));
    expect(messages(await stack(nodePoolWithinLease, [patch("gpu-001", "acme-h100-2026q4")], later))).toEqual([
      "Node gpu-001 is given to lease acme-h100-2026q4, which is not in force at 2027-07-01T00:00:00Z (window 2026-12-01T00:00:00Z to 2027-06-01T00:00:00Z).",
    ]);
  });
});

describe("node-pool-within-lease: lease taints", () => {
  const taint = (node: string, value: string, mode = "set"): TestResource => ({
    type: "pulumi-nodejs:dynamic/leasehold:NodeTaint",
    name: `${value}-${node}-taint`,
    props: {
      node,
      intent: { mode, key: "leasehold.io/lease", value, effect: "NoExecute" },
      releaseTo: "",
      fieldManager: `leasehold-lease-${value}`,
    },
  });

  it("accepts the taint of the tenant's lease in force on its own nodes", async () => {
    expect(
      messages(await stack(nodePoolWithinLease, [taint("gpu-001", "acme-h100-2026q4"), taint("gpu-002", "acme-h100-2026q4")])),
    ).toEqual([]);
  });

  it("refuses a taint for another tenant's lease, on a node outside the placement, after the lease ended, or the idle entry", async () => {
    expect(messages(await stack(nodePoolWithinLease, [taint("gpu-003", "bluefin-h100-burst")]))).toEqual([
      "Node gpu-003 is given the taint leasehold.io/lease=bluefin-h100-burst by tenant acme's stack, which names none of its leases.",
    ]);
    expect(messages(await stack(nodePoolWithinLease, [taint("gpu-003", "acme-h100-2026q4")]))).toEqual([
      "Node gpu-003 is tainted for lease acme-h100-2026q4, but the lease's placement is gpu-[001-002].",
    ]);
    expect(messages(await stack(nodePoolWithinLease, [taint("gpu-001", "", "ensure")]))).toHaveLength(1);
    const later = config(contractOf(acme, platform, "2027-07-01T00:00:00Z"));
    expect(messages(await stack(nodePoolWithinLease, [taint("gpu-001", "acme-h100-2026q4")], later))).toEqual([
      "Node gpu-001 is tainted for lease acme-h100-2026q4, which is not in force at 2027-07-01T00:00:00Z.",
    ]);
  });
});

describe("pool-capacity", () => {
  it("refuses leases that overflow their pool only while they overlap", async () => {
    const eks = {
      ...contractOf(acme, platform),
      platform: {
        name: "platform-aws",
        cluster: {
          provider: "eks" as const,
          name: "gpu",
          version: "1.33",
          vpcCidr: "10.40.0.0/16",
          availabilityZones: ["us-east-2a", "us-east-2b"],
        },
        pools: [{ name: "p5", gpuType: "h100-80gb", maxNodes: 2 }],
      },
    };
    const lease = (id: string, count: number, start: string, end: string) => ({
      id,
      gpu: { type: "h100-80gb", count },
      window: { start, end },
      placement: { pool: "p5" },
      reclaim: { noticeHours: 0 },
    });
    const fits = {
      ...eks,
      leases: [
        lease("a", 8, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        lease("b", 16, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"),
      ],
    };
    expect(messages(await stack(poolCapacity, [], config(fits)))).toEqual([]);
    const over = {
      ...eks,
      leases: [
        lease("a", 8, "2027-01-01T00:00:00Z", "2027-02-01T00:00:01Z"),
        lease("b", 16, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"),
      ],
    };
    expect(messages(await stack(poolCapacity, [], config(over)))).toEqual([
      "leasehold:leases[1].gpu.count: pool p5 of platform-aws holds 2 nodes of 8 GPUs (maxNodes), but from 2027-02-01T00:00:00Z its leases in force would take 3 nodes (a node group holds whole nodes): a (8 GPUs, 1 node), b (16 GPUs, 2 nodes).",
    ]);
  });
});

describe("tenant-namespace-isolated", () => {
  it("refuses a tenant namespace without default deny or Pod Security restricted", async () => {
    const rs = await stackResources(acme, AT);
    const weakened = rs
      .filter((r) => !(r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.props.metadata.name === "leasehold-default-deny"))
      .map((r) =>
        r.type === "kubernetes:core/v1:Namespace"
          ? {
              ...r,
              props: {
                ...r.props,
                metadata: { ...r.props.metadata, labels: { ...r.props.metadata.labels, "pod-security.kubernetes.io/enforce": "baseline" } },
              },
            }
          : r,
      );
    expect(messages(await stack(tenantNamespaceIsolated, weakened))).toEqual([
      'Tenant namespace acme lacks a NetworkPolicy that selects every pod and denies all ingress and egress, the label pod-security.kubernetes.io/enforce=restricted (it is "baseline").',
    ]);
  });

  it("refuses a tenant namespace with no quota and no limit range", async () => {
    const rs = (await stackResources(acme, AT)).filter((r) => !/ResourceQuota|LimitRange/.test(String(r.type)));
    expect(messages(await stack(tenantNamespaceIsolated, rs))[0]).toMatch(/^Tenant namespace acme lacks a ResourceQuota, a LimitRange\.$/);
  });
});

describe("tenant-rbac-namespaced", () => {
  it("refuses cluster-wide grants to tenant groups, wildcards, escalation verbs and ClusterRoles bound in the namespace", async () => {
    const crb: TestResource = {
      type: k8s.rbac.v1.ClusterRoleBinding,
      props: {
        metadata: { name: "acme-view" },
        roleRef: { kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "Group", name: "acme:admins" }],
      },
    };
    expect(messages(await resource(tenantRbacNamespaced, crb))).toEqual([
      "ClusterRoleBinding acme-view grants ClusterRole view cluster-wide to tenant acme's Group acme:admins; tenants get namespaced Roles only.",
    ]);
    const wild: TestResource = {
      type: k8s.rbac.v1.Role,
      props: { metadata: { name: "r", namespace: "acme" }, rules: [{ apiGroups: [""], resources: ["*"], verbs: ["get", "escalate"] }] },
    };
    expect(messages(await resource(tenantRbacNamespaced, wild))).toEqual([
      'Role acme/r rule 0 has the wildcard "*" in resources; list what the tenant needs one by one.',
      "Role acme/r rule 0 grants escalate, which let a tenant raise its own rights.",
    ]);
    const rb: TestResource = {
      type: k8s.rbac.v1.RoleBinding,
      props: { metadata: { name: "b", namespace: "acme" }, roleRef: { kind: "ClusterRole", name: "admin" }, subjects: [] },
    };
    expect(messages(await resource(tenantRbacNamespaced, rb))[0]).toContain("binds ClusterRole admin in tenant namespace acme");
  });

  it("accepts a cluster-wide binding for the landlord's own groups", async () => {
    const crb: TestResource = {
      type: k8s.rbac.v1.ClusterRoleBinding,
      props: {
        metadata: { name: "ops" },
        roleRef: { kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "Group", name: "landlord:ops" }],
      },
    };
    expect(messages(await resource(tenantRbacNamespaced, crb))).toEqual([]);
  });
});

describe("no-public-services", () => {
  const svc = (type?: string, namespace = "acme"): TestResource => ({
    type: k8s.core.v1.Service,
    props: { metadata: { name: "web", namespace }, spec: type ? { type } : {} },
  });
  it("refuses NodePort and LoadBalancer services in the tenant namespace", async () => {
    expect(messages(await resource(noPublicServices, svc("NodePort")))).toEqual([
      "Service acme/web is of type NodePort; services in tenant namespaces are ClusterIP or headless only (the quota also allows 0 NodePorts and 0 LoadBalancers).",
    ]);
    expect(messages(await resource(noPublicServices, svc("LoadBalancer")))).toHaveLength(1);
  });
  it("accepts ClusterIP (also by default)", async () => {
    expect(messages(await resource(noPublicServices, svc()))).toEqual([]);
    expect(messages(await resource(noPublicServices, svc("ClusterIP")))).toEqual([]);
  });
});

describe("lease-labels", () => {
  it("is advisory and names the missing labels", async () => {
    expect(leaseLabels.enforcementLevel).toBe("advisory");
    const cm: TestResource = {
      type: k8s.core.v1.ConfigMap,
      props: { kind: "ConfigMap", metadata: { name: "c", namespace: "acme", labels: { "leasehold.io/tenant": "acme" } } },
    };
    expect(messages(await resource(leaseLabels, cm))).toEqual([
      "ConfigMap c of tenant acme lacks the label(s) leasehold.io/lease, so its cost cannot be charged back to a lease.",
    ]);
    cm.props.metadata.labels["leasehold.io/lease"] = "";
    expect(messages(await resource(leaseLabels, cm))).toEqual([]);
  });
});

describe("reclaim-after-notice", () => {
  // corvid's L40S lease is in notice on Nov 29 (effective Nov 30, 09:00).
  const IN_NOTICE = "2026-11-29T00:00:00Z";
  const corvidConfig = config(contractOf(corvid, platform, IN_NOTICE));

  it("accepts a quota that still covers a lease in notice", async () => {
    expect(messages(await stack(reclaimAfterNotice, await stackResources(corvid, IN_NOTICE), corvidConfig))).toEqual([]);
  });

  it("refuses a quota and a namespace that drop a lease before its notice took effect", async () => {
    // The resources as they would be once the reclaim took effect, judged during the notice.
    const early = await stackResources(corvid, "2026-11-30T09:00:00Z");
    expect(messages(await stack(reclaimAfterNotice, early, corvidConfig))).toEqual([
      "Tenant corvid's quota grants 0 GPUs at 2026-11-29T00:00:00Z, but its leases still owed to it hold 4: corvid-l40s-2026q4 (4, until its notice takes effect at 2026-11-30T09:00:00Z). GPUs leave a lease early only once its reclaim notice has taken effect.",
      "Namespace corvid does not list lease corvid-l40s-2026q4 as in force, but the lease runs until its reclaim notice takes effect at 2026-11-30T09:00:00Z: its pods would be refused before their notice elapsed.",
    ]);
  });
});

describe("lease-reserves-held", () => {
  // corvid's L40S lease is for 4 GPUs of l40s-002's 8: its reserve holds the other 4 (until the
  // lease's reclaim takes effect on Nov 30).
  const AT_NOV = "2026-11-29T00:00:00Z";
  const corvidConfig = config(contractOf(corvid, platform, AT_NOV));
  const isReserve = (r: TestResource) => r.props.metadata?.namespace === "leasehold-system";

  it("accepts the reserve the program declares, and a stack whose leases are whole nodes with none", async () => {
    const rs = await stackResources(corvid, AT_NOV);
    expect(rs.filter(isReserve).map((r) => r.props.metadata.name)).toEqual(["reserve-corvid-l40s-002-ea7cc66120"]);
    expect(messages(await stack(leaseReservesHeld, rs, corvidConfig))).toEqual([]);
    expect(messages(await stack(leaseReservesHeld, await stackResources(acme, AT)))).toEqual([]);
    // As the engine hands it over after a deploy: with the API server's defaults beside its fields.
    const withDefaults = rs.map((r) => {
      if (!isReserve(r)) return r;
      const d = structuredClone(r);
      d.props.spec.revisionHistoryLimit = 10;
      d.props.spec.progressDeadlineSeconds = 600;
      Object.assign(d.props.spec.template.spec, { dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler" });
      Object.assign(d.props.spec.template.spec.containers[0], {
        terminationMessagePath: "/dev/termination-log",
        imagePullPolicy: "IfNotPresent",
      });
      return d;
    });
    expect(messages(await stack(leaseReservesHeld, withDefaults, corvidConfig))).toEqual([]);
    // But nothing added where it decides where the pod runs or what it holds.
    for (const change of [
      (p: any) => (p.nodeSelector.zone = "nowhere"),
      (p: any) => p.tolerations.push({ operator: "Exists" }),
      (p: any) => (p.containers[0].resources.requests["example.com/none"] = "1"),
    ]) {
      const bad = withDefaults.map((r) => {
        if (!isReserve(r)) return r;
        const d = structuredClone(r);
        change(d.props.spec.template.spec);
        return d;
      });
      expect(messages(await stack(leaseReservesHeld, bad, corvidConfig))).toHaveLength(1);
    }
    // The workload policies leave the landlord's reserve alone, and only it: a Deployment of
    // another name in leasehold-system is judged as any other.
    const reserve = rs.find(isReserve)!;
    const impostor = structuredClone(reserve);
    impostor.props.metadata.name = "reserve-corvid-elsewhere";
    for (const p of [podSecurityRestrictedPolicy, leasePinning, gpuRequestsWithinQuota]) {
      expect(messages(await resource(p, reserve, corvidConfig)), p.name).toEqual([]);
    }
    expect(messages(await resource(leasePinning, impostor, corvidConfig)).join("\n")).toContain("PriorityClass leasehold-lease-reserve");
  });

  it("refuses a stack with no reserve, or one that holds less, runs no pod or has another PriorityClass", async () => {
    const rs = await stackResources(corvid, AT_NOV);
    expect(
      messages(
        await stack(
          leaseReservesHeld,
          rs.filter((r) => !isReserve(r)),
          corvidConfig,
        ),
      ),
    ).toEqual([
      "Lease corvid-l40s-2026q4 is for 4 l40s GPUs on nodes that hold 8, but the stack declares no reserve (Deployment leasehold-system/reserve-corvid-l40s-002-ea7cc66120) holding the other 4: tenant corvid could run on all 8.",
    ]);
    const altered = rs.map((r) => {
      if (!isReserve(r)) return r;
      const d = structuredClone(r);
      d.props.spec.replicas = 0;
      d.props.spec.template.spec.priorityClassName = "low";
      d.props.spec.template.spec.containers[0].resources.requests["nvidia.com/gpu"] = "2";
      return d;
    });
    expect(messages(await stack(leaseReservesHeld, altered, corvidConfig))).toEqual([
      'Lease corvid-l40s-2026q4 is for 4 l40s GPUs on nodes that hold 8, but its reserve leasehold-system/reserve-corvid-l40s-002-ea7cc66120 is not the one that holds the other 4 on l40s-002: spec.replicas: want 1, got 0; spec.template.spec.priorityClassName: want "leasehold-lease-reserve", got "low"; spec.template.spec.containers[0].resources.requests.nvidia.com/gpu: want "4", got "2".',
    ]);
  });
});

describe("tenant-data-retained", () => {
  const ns = (protect: boolean, name = "acme"): TestResource => ({
    type: k8s.core.v1.Namespace,
    name,
    props: { metadata: { name } },
    opts: { protect },
  });
  const pvc = (protect: boolean, namespace?: string): TestResource => ({
    type: k8s.core.v1.PersistentVolumeClaim,
    name: "checkpoints",
    props: {
      metadata: { name: "checkpoints", ...(namespace ? { namespace } : {}) },
      spec: { resources: { requests: { storage: "1Ti" } } },
    },
    opts: { protect },
  });
  const sts = (whenDeleted: string, whenScaled = "Retain"): TestResource => ({
    type: k8s.apps.v1.StatefulSet,
    name: "trainer",
    props: {
      metadata: { name: "trainer", namespace: "acme" },
      spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } },
    },
  });
  const AFTER = "2027-06-01T00:00:00Z";
  const purged = (at: string, confirmedAt = AFTER) => config({ ...contractOf(acme, platform, at), purge: { tenant: "acme", confirmedAt } });

  it("is mandatory and passes the example tenant stack's namespace, which is protected", async () => {
    expect(tenantDataRetained.enforcementLevel).toBe("mandatory");
    const rs = (await stackResources(acme, AT)).filter((r) => r.type === "kubernetes:core/v1:Namespace");
    expect(rs.map((r) => r.opts?.protect)).toEqual([true]);
    expect(messages(await resource(tenantDataRetained, rs[0]!))).toEqual([]);
  });

  it("refuses an unprotected tenant namespace or PVC (a missing namespace is the tenant's), not other namespaces", async () => {
    expect(messages(await resource(tenantDataRetained, ns(false)))).toEqual([
      "Namespace acme holds every PersistentVolumeClaim of tenant acme and is not protected, so a later update, replacement or destroy could delete it; declare it with protect: true, or confirm the deletion with leasehold purge --stack tenant-acme --tenant acme --confirm acme.",
    ]);
    expect(messages(await resource(tenantDataRetained, pvc(false, "acme")))[0]).toMatch(
      /^PersistentVolumeClaim acme\/checkpoints holds tenant acme's data and is not protected/,
    );
    expect(messages(await resource(tenantDataRetained, pvc(false)))).toHaveLength(1);
    expect(messages(await resource(tenantDataRetained, pvc(true, "acme")))).toEqual([]);
    expect(messages(await resource(tenantDataRetained, pvc(false, "kube-system")))).toEqual([]);
    expect(messages(await resource(tenantDataRetained, ns(false, "kube-system")))).toEqual([]);
  });

  it("refuses a StatefulSet whose claims are deleted with it or on scale-down", async () => {
    expect(messages(await resource(tenantDataRetained, sts("Delete")))).toEqual([
      "StatefulSet acme/trainer deletes its PersistentVolumeClaims (persistentVolumeClaimRetentionPolicy whenDeleted: Delete), so removing or scaling it would delete tenant acme's data; use Retain, or confirm the deletion with leasehold purge --stack tenant-acme --tenant acme --confirm acme.",
    ]);
    expect(messages(await resource(tenantDataRetained, sts("Retain", "Delete")))[0]).toContain("whenScaled: Delete");
    expect(messages(await resource(tenantDataRetained, sts("Retain")))).toEqual([]);
  });

  it("lets data go once the purge marker is in the contract, and only after the last lease", async () => {
    for (const r of [ns(false), pvc(false, "acme"), sts("Delete")])
      expect(messages(await resource(tenantDataRetained, r, purged(AFTER))), r.name).toEqual([]);
    // A contract judged while a lease is still in force refuses the purge (the stack file rule
    // forbids this combination too; a contract can be written by hand).
    expect(messages(await resource(tenantDataRetained, ns(false), purged("2027-05-31T00:00:00Z", "2027-05-30T00:00:00Z")))).toEqual([
      "Tenant acme is marked for purge (confirmed at 2027-05-30T00:00:00Z), but lease acme-h100-2026q4 is in force until 2027-06-01T00:00:00Z; data under a live lease is never deleted.",
    ]);
  });

  it("passes the purged stack's own resources, whose namespace is no longer protected", async () => {
    const purgedStack: TenantStack = { ...acme, config: { ...acme.config, purge: { tenant: "acme", confirmedAt: AFTER } } };
    const rs = await stackResources(purgedStack, AFTER);
    const namespace = rs.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
    expect(namespace.opts?.protect).toBe(false);
    expect(messages(await resource(tenantDataRetained, namespace, purged(AFTER)))).toEqual([]);
    expect(messages(await resource(tenantDataRetained, namespace, config(contractOf(acme, platform, AFTER))))).toHaveLength(1);
  });

  it("keeps a marker confirmed after the deploy instant from lifting anything until then", async () => {
    // A marker written under a clock set ahead (LEASEHOLD_AT) must not unprotect data today.
    const later = "2030-01-01T00:00:00Z";
    const early: TenantStack = { ...acme, config: { ...acme.config, purge: { tenant: "acme", confirmedAt: later } } };
    const namespace = (await stackResources(early, AFTER)).find((r) => r.type === "kubernetes:core/v1:Namespace")!;
    expect(namespace.opts?.protect).toBe(true);
    expect(messages(await resource(tenantDataRetained, ns(false), purged(AFTER, later)))).toEqual([
      "Namespace acme holds every PersistentVolumeClaim of tenant acme and is not protected, so a later update, replacement or destroy could delete it; declare it with protect: true, or confirm the deletion with leasehold purge --stack tenant-acme --tenant acme --confirm acme.",
    ]);
    expect(messages(await resource(tenantDataRetained, ns(false), purged(later, later)))).toEqual([]);
  });
});

describe("the AWS platform's tenant stacks", () => {
  const awsPlatform = load<PlatformStack>("platform-aws");
  const delta = load<TenantStack>("tenant-delta");
  const IN_FORCE = "2027-01-15T00:00:00Z";
  const deltaConfig = (at = IN_FORCE) => config(contractOf(delta, awsPlatform, at));
  async function deltaResources(at = IN_FORCE): Promise<TestResource[]> {
    const { tenantProgram } = await import("../../programs/tenant");
    const recorded = await runMocked(
      () => tenantProgram(delta, { platform: awsPlatform, at: Date.parse(at) }),
      delta.name,
      offlinePlatformOutputs(awsPlatform),
    );
    return recorded.filter((r) => r.custom).map((r) => ({ type: r.type, props: r.inputs, name: r.name, opts: { protect: r.protect } }));
  }
  const group = (rs: TestResource[], name: string) => rs.find((r) => r.type === "aws:eks/nodeGroup:NodeGroup" && r.name === name)!;

  it("pass every policy with the stack's own resources (node groups, launch templates, security groups)", async () => {
    const rs = await deltaResources();
    expect(rs.filter((r) => typeof r.type === "string" && r.type.startsWith("aws:")).length).toBeGreaterThan(10);
    for (const p of POLICIES) {
      if ("validateStack" in p) expect(messages(await stack(p, rs, deltaConfig())), p.name).toEqual([]);
      else
        for (const r of rs)
          expect(messages(await resource(p as ResourceValidationPolicy, r, deltaConfig())), `${p.name} ${r.name}`).toEqual([]);
    }
  });

  it("node-pool-within-lease refuses a node group larger than the lease, one not scaled to zero after it, and the wrong instance type", async () => {
    const rs = structuredClone(await deltaResources());
    group(rs, "delta-h100-2027q1-nodes").props.scalingConfig = { desiredSize: 3, minSize: 2, maxSize: 4 };
    rs.find((r) => r.name === "delta-l40s-2026q4-template")!.props.instanceType = "p5.48xlarge";
    expect(messages(await stack(nodePoolWithinLease, rs, deltaConfig())).sort()).toEqual([
      "Node group delta-h100-2027q1-nodes of lease delta-h100-2027q1 has desiredSize 3: 3 nodes x 8 GPUs = 24 GPUs, but the lease is for 16 h100-80gb GPUs (2 node(s)).",
      "Node group delta-h100-2027q1-nodes of lease delta-h100-2027q1 may grow to 4 nodes x 8 GPUs = 32 GPUs, but the lease allows 16 (16 h100-80gb GPUs).",
      "Node group delta-l40s-2026q4-nodes of lease delta-l40s-2026q4 launches p5.48xlarge, which does not carry l40s (the catalog's instance types for it: g6e.48xlarge).",
    ]);
    // The resources of January, judged once both leases have ended.
    expect(messages(await stack(nodePoolWithinLease, await deltaResources(), deltaConfig("2027-04-01T00:00:00Z"))).sort()).toEqual([
      "Node group delta-h100-2027q1-nodes of lease delta-h100-2027q1 has desiredSize 2, but the lease is not in force at 2027-04-01T00:00:00Z: it must be scaled to zero.",
      "Node group delta-h100-2027q1-nodes of lease delta-h100-2027q1 has minSize 2, but the lease is not in force at 2027-04-01T00:00:00Z: it must be scaled to zero.",
      "Node group delta-h100-2027q1-nodes of lease delta-h100-2027q1 may grow to 2 nodes x 8 GPUs = 16 GPUs, but the lease allows 0 (16 h100-80gb GPUs, not in force now).",
      "Node group delta-l40s-2026q4-nodes of lease delta-l40s-2026q4 has desiredSize 1, but the lease is not in force at 2027-04-01T00:00:00Z: it must be scaled to zero.",
      "Node group delta-l40s-2026q4-nodes of lease delta-l40s-2026q4 has minSize 1, but the lease is not in force at 2027-04-01T00:00:00Z: it must be scaled to zero.",
    ]);
  });

  it("lease-labels asks for the chargeback tags on AWS resources, and skips the types that take none", async () => {
    const sg: TestResource = { type: "aws:ec2/securityGroup:SecurityGroup", name: "sg", props: { tags: { "leasehold:tenant": "delta" } } };
    expect(messages(await resource(leaseLabels, sg, deltaConfig()))).toEqual([
      "SecurityGroup sg of tenant delta lacks the tag(s) leasehold:lease, so its cost cannot be charged back to a lease.",
    ]);
    expect(
      messages(
        await resource(leaseLabels, { type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "a", props: {} }, deltaConfig()),
      ),
    ).toEqual([]);
  });
});

describe("workload policies", () => {
  const securePod = (spec: object) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "train", namespace: "acme" },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "train",
          image: "trainer:1",
          resources: { limits: { "nvidia.com/gpu": "8" } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
      nodeSelector: { "leasehold.io/lease": "acme-h100-2026q4" },
      tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: "acme-h100-2026q4", effect: "NoSchedule" }],
      ...spec,
    },
  });
  const deployment = (replicas: number, pod = securePod({})) => ({
    type: k8s.apps.v1.Deployment,
    props: {
      metadata: { name: "train", namespace: "acme" },
      spec: { replicas, selector: { matchLabels: { app: "t" } }, template: { metadata: { labels: { app: "t" } }, spec: pod.spec } },
    },
  });

  it("admit a restricted, pinned pod within the GPUs in force", async () => {
    for (const p of [podSecurityRestrictedPolicy, leasePinning, gpuRequestsWithinQuota]) {
      expect(messages(await resource(p, { type: k8s.core.v1.Pod, props: securePod({}) })), p.name).toEqual([]);
    }
  });

  it("refuse a privileged pod template under pod-security-restricted", async () => {
    const pod = securePod({ containers: [{ name: "train", image: "x", securityContext: { privileged: true } }] });
    const v = messages(await resource(podSecurityRestrictedPolicy, deployment(1, pod)));
    expect(v.length).toBeGreaterThan(0);
    expect(v.join("\n")).toContain("privileged");
  });

  it("refuse a pod pinned to another tenant's lease under lease-pinning", async () => {
    const v = messages(
      await resource(leasePinning, {
        type: k8s.core.v1.Pod,
        props: securePod({ nodeSelector: { "leasehold.io/lease": "bluefin-h100-burst" }, tolerations: [] }),
      }),
    );
    expect(v).toEqual([
      "The pod selects lease bluefin-h100-burst by nodeSelector, but tenant acme's leases in force are: acme-h100-2026q4, acme-l40s-2026q4.",
    ]);
  });

  it("count replicas in gpu-requests-within-quota", async () => {
    // 3 x 8 pinned to the 16-H100 lease is within the quota (24: 16 H100 and 8 L40S): the API
    // server admits it, so the pack does too; one pod stays Pending (admit warns, the lease's
    // nodes hold 2).
    expect(messages(await resource(gpuRequestsWithinQuota, deployment(3)))).toEqual([]);
    expect(messages(await resource(gpuRequestsWithinQuota, deployment(4)))).toEqual([
      "Deployment requests 8 nvidia.com/gpu per pod x 4 pod(s) = 32 GPUs, but tenant acme's leases in force at 2026-12-20T00:00:00Z grant 24.",
    ]);
  });
});
