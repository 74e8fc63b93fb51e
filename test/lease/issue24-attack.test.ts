import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { judgeWorkload } from "../../lease/admit";
import { readCidr } from "../../lease/address";
import { admissionSettings } from "../../lease/admission";
import { BUILTIN_CATALOG, mergeCatalog } from "../../lease/catalog";
import { contractOf } from "../../lease/contract";
import { instant } from "../../lease/fields";
import { checkFleet, fleetAt } from "../../lease/fleet";
import { loadStackFile, loadStackText, type PlatformStack, type Stack, type TenantStack } from "../../lease/load";
import { leaseReserves, reserveDeployment, reserveName } from "../../lease/reserve";
import { clusterSchema, leaseSchema, type Lease } from "../../lease/schema";
import { podLimitViolations, reachableNodes } from "../../lease/workloads";
import { leaseReservesHeld } from "../../policies/quota";
import { admit, admitDelete, admitEviction } from "../components/cel";
import { createStackValidationArgs, messages, runStackPolicy, type TestResource } from "../policies/util";
import { differenceFromIpcheck, type IpcheckLine } from "./address-corpus";

// Issue 24: attacks on the lease reserves, the admit prediction of which leases a pod reaches and
// how many of its pods fit, the admission policy's new CEL rules, and the CIDR reader. Each test
// states the correct behaviour; a failing test is a defect.

const AT = instant("2027-01-15T00:00:00Z");
const JAN = { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" };
const FEB = { start: "2027-02-01T00:00:00Z", end: "2027-03-01T00:00:00Z" };
const lease = (id: string, type: string, count: number, nodes?: string[] | string, window = JAN, pool = "p"): Lease =>
  leaseSchema.parse({
    id,
    gpu: { type, count },
    window,
    placement: { pool, ...(nodes ? { nodes } : {}) },
    reclaim: { noticeHours: 72 },
  });

// ------------------------------------------------------------------------------------------------
// 1. Lease reserves
// ------------------------------------------------------------------------------------------------

describe("issue24 reserves: shapes that hold", () => {
  it("units: the remainder of the lease's whole nodes, per type and resource (1 of 8 -> 7; 16 of 8 -> none; MIG 50 of 56 -> 6)", () => {
    expect(leaseReserves("acme", [lease("a", "h100-80gb", 1, ["gpu-001"])], BUILTIN_CATALOG, AT)[0]).toMatchObject({
      units: 7,
      node: "gpu-001",
    });
    expect(leaseReserves("acme", [lease("a", "h100-80gb", 16, ["gpu-001", "gpu-002"])], BUILTIN_CATALOG, AT)).toEqual([]);
    expect(leaseReserves("acme", [lease("a", "h100-80gb", 23, "gpu-[001-003]")], BUILTIN_CATALOG, AT)[0]).toMatchObject({
      units: 1,
      node: "gpu-003",
    });
    const catalog = mergeCatalog({ mig: { ...BUILTIN_CATALOG["h100-80gb"]!, gpusPerNode: 56, resource: "nvidia.com/mig-1g.10gb" } });
    const [r] = leaseReserves("acme", [lease("m", "mig", 50, ["n1"])], catalog, AT);
    expect(r).toMatchObject({ resource: "nvidia.com/mig-1g.10gb", units: 6 });
    const pod = reserveDeployment("acme", r!).spec.template.spec;
    expect(pod.containers[0]!.resources.requests["nvidia.com/mig-1g.10gb"]).toBe("6");
    expect(pod.containers[0]!.resources.requests).not.toHaveProperty("nvidia.com/gpu");
    expect(pod.tolerations[1]).toEqual({ key: "nvidia.com/mig-1g.10gb", operator: "Exists", effect: "NoSchedule" });
  });

  it("two leases of one tenant in force at once, of one type: each its own reserve on its own last node; the tenant runs exactly the sum", () => {
    const leases = [lease("a", "h100-80gb", 12, "gpu-[001-002]"), lease("b", "h100-80gb", 4, ["gpu-003"])];
    const rs = leaseReserves("acme", leases, BUILTIN_CATALOG, AT);
    expect(rs.map((r) => [r.lease, r.node, r.units, r.name])).toEqual([
      ["a", "gpu-002", 4, "reserve-acme-gpu-002-5eeab8157e"],
      ["b", "gpu-003", 4, "reserve-acme-gpu-003-f6960e9829"],
    ]);
    // 3 nodes x 8 minus what the reserves hold = the two counts.
    expect(3 * 8 - rs.reduce((n, r) => n + r.units, 0)).toBe(16);
  });

  it("EKS (no named node): the reserve is the lease's, on any of its nodes, by tenant and lease labels", () => {
    const [r] = leaseReserves("acme", [lease("grp", "h100-80gb", 20)], BUILTIN_CATALOG, AT);
    expect(r).toMatchObject({ units: 4, name: "reserve-acme-grp-2b3e85c2a5" });
    expect(r!.node).toBeUndefined();
    expect(reserveDeployment("acme", r!).spec.template.spec.nodeSelector).toEqual({
      "leasehold.io/tenant": "acme",
      "leasehold.io/lease": "grp",
    });
  });

  it("names: every reserve name is a DNS-1123 subdomain of at most 63 characters, long tenants and nodes included; distinct long inputs stay distinct", () => {
    const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    const seen = new Map<string, string>();
    const tenants = ["a", "x".repeat(63), `t-${"y".repeat(40)}`, "acme"];
    const nodes = ["n", "gpu-001", `rack-1.${"n".repeat(60)}`, `a.${"b".repeat(43)}.c-1`, `${"z".repeat(45)}.x`, "9".repeat(253)];
    for (const t of tenants)
      for (const n of nodes) {
        const name = reserveName(t, { lease: "l", node: n });
        expect(name.length, name).toBeLessThanOrEqual(63);
        expect(name, name).toMatch(subdomain);
        const key = `${t}/${n}`;
        expect(seen.get(name), `${key} and ${seen.get(name)} share ${name}`).toBeUndefined();
        seen.set(name, key);
      }
  });

  it("a renewal on the same nodes with a changed count changes the reserve's units on the same node (expected: the lease changed)", () => {
    const jan = leaseReserves("acme", [lease("jan", "h100-80gb", 12, "gpu-[001-002]")], BUILTIN_CATALOG, AT)[0]!;
    const feb = leaseReserves("acme", [lease("feb", "h100-80gb", 14, "gpu-[001-002]", FEB)], BUILTIN_CATALOG, instant(FEB.start))[0]!;
    expect([jan.name, jan.node, jan.units]).toEqual(["reserve-acme-gpu-002-5eeab8157e", "gpu-002", 4]);
    expect([feb.name, feb.node, feb.units]).toEqual(["reserve-acme-gpu-002-5eeab8157e", "gpu-002", 2]);
  });
});

describe("issue24 reserves: defects", () => {
  it("(an attack found this) reserves of two tenants never share a Deployment name (tenant team on node a-gpu-001, tenant team-a on node gpu-001)", () => {
    const [a] = leaseReserves("team", [lease("team-h100", "h100-80gb", 4, ["a-gpu-001"])], BUILTIN_CATALOG, AT);
    const [b] = leaseReserves("team-a", [lease("team-a-h100", "h100-80gb", 4, ["gpu-001"])], BUILTIN_CATALOG, AT);
    // Both are leasehold-system/reserve-team-a-gpu-001: the stacks fight over one object (the later
    // deploy fails, or moves the other tenant's reserve to its own node; a destroy deletes the other's).
    expect(a!.name).not.toBe(b!.name);
  });

  it("(an attack found this) reserves of two tenants on EKS never share a Deployment name (tenant team lease a-x, tenant team-a lease x)", () => {
    const [a] = leaseReserves("team", [lease("a-x", "h100-80gb", 4)], BUILTIN_CATALOG, AT);
    const [b] = leaseReserves("team-a", [lease("x", "h100-80gb", 4)], BUILTIN_CATALOG, AT);
    expect(a!.name).not.toBe(b!.name);
  });

  it("(an attack found this) a renewal on the same nodes with the same count keeps the same reserve pod (README: 'keeps the same pod')", () => {
    const jan = leaseReserves("acme", [lease("renew-jan", "h100-80gb", 12, "gpu-[001-002]")], BUILTIN_CATALOG, AT)[0]!;
    const feb = leaseReserves("acme", [lease("renew-feb", "h100-80gb", 12, "gpu-[001-002]", FEB)], BUILTIN_CATALOG, instant(FEB.start))[0]!;
    const dj = reserveDeployment("acme", jan);
    const df = reserveDeployment("acme", feb);
    expect(df.metadata.name).toBe(dj.metadata.name); // holds
    // The selector and pod template carry leasehold.io/lease: <lease id>. spec.selector is immutable
    // (pulumi-kubernetes replaces a Deployment whose selector changes, here deleteBeforeReplace), and
    // a changed template is a new pod anyway: the reserve's 4 GPUs are free between the two pods and
    // a Pending tenant pod takes them, to be preempted by the new reserve.
    expect(df.spec.selector).toEqual(dj.spec.selector);
    expect(df.spec.template).toEqual(dj.spec.template);
  });

  it("(an attack found this) a renewal on the same node set, written in another order, keeps the reserve on the same node", () => {
    const jan = leaseReserves("acme", [lease("renew-jan", "h100-80gb", 12, "gpu-[001-002]")], BUILTIN_CATALOG, AT)[0]!;
    const feb = leaseReserves(
      "acme",
      [lease("renew-feb", "h100-80gb", 12, ["gpu-002", "gpu-001"], FEB)],
      BUILTIN_CATALOG,
      instant(FEB.start),
    )[0]!;
    // jan's reserve is on gpu-002; feb's would be created on gpu-001 (a new name, so created before the
    // old is deleted) where the tenant's pods hold all 8 GPUs: it preempts 4 GPUs of running jobs at a
    // renewal that keeps every node with the tenant.
    expect(feb.node).toBe(jan.node);
    expect(feb.name).toBe(jan.name);
  });
});

describe("issue24 reserves: the fleet as check sees it", () => {
  const stackOf = (file: string, text: string): Stack => {
    const r = loadStackText(file, text);
    if (!r.ok) throw new Error(`${file}: ${JSON.stringify(r)}`);
    return r.stack;
  };
  const platform = stackOf(
    "stacks/Pulumi.platform-local.yaml",
    `config:
  leasehold:role: platform
  leasehold:cluster: {provider: existing}
  leasehold:pools:
    - {name: h100-a, gpuType: h100-80gb, nodes: [a-gpu-001, gpu-001]}
`,
  );
  const tenant = (name: string, id: string, node: string) =>
    stackOf(
      `stacks/Pulumi.tenant-${name}.yaml`,
      `config:
  leasehold:role: tenant
  leasehold:platform: platform-local
  leasehold:tenant: {name: ${name}}
  leasehold:leases:
    - id: ${id}
      gpu: {type: h100-80gb, count: 4}
      window: {start: "2027-01-01T00:00:00Z", end: "2027-04-01T00:00:00Z"}
      placement: {pool: h100-a, nodes: [${node}]}
      reclaim: {noticeHours: 72}
`,
    );
  const fleet = [platform, tenant("team", "team-h100", "a-gpu-001"), tenant("team-a", "team-a-h100", "gpu-001")];

  it("(an attack found this) check passes a fleet whose two tenants' reserves are one object (leasehold-system/reserve-team-a-gpu-001)", () => {
    const names = (fleet.slice(1) as TenantStack[]).map(
      (t) => leaseReserves(t.config.tenant.name, t.config.leases, (platform as PlatformStack).catalog, AT)[0]!.name,
    );
    const problems = checkFleet(fleet);
    // RESERVED shows both, each on its own node, while the Deployments are one name.
    expect(fleetAt(fleet, AT).leases.map((l) => [l.tenant, l.reserved?.node])).toEqual([
      ["team", "a-gpu-001"],
      ["team-a", "gpu-001"],
    ]);
    expect(problems.length > 0 || new Set(names).size === 2, `both reserves are ${names[0]} and check says nothing`).toBe(true);
  });
});

describe("issue24 reserves: the pack's lease-reserves-held", () => {
  const STACKS = path.resolve(__dirname, "../../stacks");
  const load = <T>(name: string) => {
    const r = loadStackFile(path.join(STACKS, `Pulumi.${name}.yaml`));
    if (!r.ok) throw new Error(`stack ${name} invalid`);
    return r.stack as T;
  };
  const platform = load<PlatformStack>("platform-local");
  const corvid = load<TenantStack>("tenant-corvid");
  const AT_NOV = "2026-11-29T00:00:00Z";
  const cfg = { contract: contractOf(corvid, platform, AT_NOV) };
  const wanted = leaseReserves("corvid", corvid.config.leases, platform.catalog, Date.parse(AT_NOV));
  const reserve = (edit: (spec: any) => void = () => {}): TestResource => {
    const d = structuredClone(reserveDeployment("corvid", wanted[0]!)) as any;
    edit(d.spec.template.spec);
    return { type: k8s.apps.v1.Deployment, name: d.metadata.name, props: d };
  };
  const run = async (r: TestResource) => messages(await runStackPolicy(leaseReservesHeld, createStackValidationArgs([r], cfg)));

  it("accepts the reserve as declared; refuses one holding less (holds)", async () => {
    expect(wanted.map((w) => [w.name, w.node, w.units])).toEqual([["reserve-corvid-l40s-002-ea7cc66120", "l40s-002", 4]]);
    expect(await run(reserve())).toEqual([]);
    expect(await run(reserve((s) => (s.containers[0].resources.requests["nvidia.com/gpu"] = "3")))).toHaveLength(1);
  });

  it("(an attack found this) refuses a reserve that cannot hold the lease's GPUs: pinned to another node, to another tenant's nodes, or without the tenant's toleration", async () => {
    const otherNode = await run(
      reserve(
        (s) =>
          (s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values = [
            "l40s-001",
          ]),
      ),
    );
    const otherTenant = await run(reserve((s) => (s.nodeSelector = { "leasehold.io/tenant": "bluefin" })));
    const noToleration = await run(reserve((s) => (s.tolerations = [])));
    expect({ otherNode: otherNode.length, otherTenant: otherTenant.length, noToleration: noToleration.length }).toEqual({
      otherNode: 1,
      otherTenant: 1,
      noToleration: 1,
    });
  });
});

describe("issue24 reserves: the reserve's priority is above every tenant pod's", () => {
  it("the CEL refuses a tenant pod at the reserve's PriorityClass under the default settings (holds)", () => {
    expect(admit(pod({ ...byLease, priorityClassName: "leasehold-lease-reserve" }), NS).allowed).toBe(false);
  });

  it("(an attack found this) a platform cannot grant tenants the reserve's own PriorityClass (tenantPriorityClasses: [leasehold-lease-reserve])", () => {
    // Accepted: tenant pods then run at 1,000,000,000 too, which the reserve cannot preempt (a victim
    // must have a lower priority), so a tenant pod that takes the last node's spare GPUs first keeps
    // them and the reserve stays Pending: the tenant runs 16 GPUs of a 12-GPU lease.
    expect(clusterSchema.safeParse({ provider: "existing", tenantPriorityClasses: ["leasehold-lease-reserve"] }).success).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------
// 2. admit: reachableNodes and the Pending warning
// ------------------------------------------------------------------------------------------------

const TOLERATE = [{ key: "leasehold.io/tenant", operator: "Equal", value: "acme", effect: "NoExecute" }];
const restricted = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
const ctr = (gpus: number, extra: object = {}) => ({
  name: `c${gpus}`,
  image: "x",
  resources: { limits: { "nvidia.com/gpu": String(gpus) } },
  securityContext: restricted,
  ...extra,
});
const spec = (gpus: number, more: object = {}) => ({ tolerations: TOLERATE, containers: [ctr(gpus)], ...more });
const template = (s: object) => ({ metadata: { labels: { app: "x" } }, spec: s });
const deployment = (replicas: number, s: object) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "d", namespace: "acme" },
  spec: { replicas, strategy: { type: "Recreate" }, selector: { matchLabels: { app: "x" } }, template: template(s) },
});
const daemonSet = (s: object) => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "ds", namespace: "acme" },
  spec: { selector: { matchLabels: { app: "x" } }, template: template(s) },
});
const terms = (...t: object[]) => ({
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: t } } },
});
const judge = (kind: "Deployment" | "DaemonSet" | "Pod", o: object, leases: Lease[]) =>
  judgeWorkload(kind, o, { tenant: { name: "acme" } as never, leases }, { catalog: BUILTIN_CATALOG }, AT);
const pendingWarnings = (j: ReturnType<typeof judge>) =>
  [...j.violations, ...j.warnings].filter((w) => w.policy === "gpu-requests-within-quota").map((w) => w.message);

describe("issue24 admit: reachableNodes against Kubernetes' node selection (holds)", () => {
  const leases = [
    { id: "h1", gpuType: "h100-80gb", pool: "h100-a", nodes: ["gpu-001", "gpu-002"] },
    { id: "h2", gpuType: "h100-80gb", pool: "h100-b", nodes: ["gpu-009"] },
    { id: "l", gpuType: "l40s", pool: "l40s-a", nodes: ["l40s-001"] },
  ];
  const ids = (s: object) => [
    ...new Set(
      reachableNodes(
        s as Record<string, unknown>,
        "acme",
        leases.map((l) => ({ ...l, nodeCount: l.nodes.length })),
      ).map((n) => n.lease.id),
    ),
  ];

  it("nodeSelector AND affinity; terms ORed; expressions ANDed; an empty term matches nothing", () => {
    expect(
      ids({
        nodeSelector: { "leasehold.io/lease": "h1" },
        ...terms({ matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["l"] }] }),
      }),
    ).toEqual([]);
    expect(
      ids(
        terms(
          { matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["h1"] }] },
          { matchExpressions: [{ key: "leasehold.io/gpu-type", operator: "In", values: ["l40s"] }] },
        ),
      ),
    ).toEqual(["h1", "l"]);
    expect(
      ids(
        terms({
          matchExpressions: [
            { key: "leasehold.io/tenant", operator: "In", values: ["acme"] },
            { key: "leasehold.io/pool", operator: "NotIn", values: ["h100-a"] },
          ],
        }),
      ),
    ).toEqual(["h2", "l"]);
    expect(ids(terms({}))).toEqual([]);
    expect(ids(terms({}, { matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["h2"] }] }))).toEqual(["h2"]);
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/lease", operator: "DoesNotExist" }] }))).toEqual([]);
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/gpu-type", operator: "Exists" }] }))).toEqual(["h1", "h2", "l"]);
  });

  it("matchFields on metadata.name ANDed with expressions in a term, ORed across terms", () => {
    const f = (values: string[], operator = "In") => ({ matchFields: [{ key: "metadata.name", operator, values }] });
    expect(ids(terms(f(["l40s-001"])))).toEqual(["l"]);
    expect(ids(terms({ ...f(["gpu-009"]), matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["h1"] }] }))).toEqual(
      [],
    );
    expect(ids(terms(f(["gpu-009"]), { matchExpressions: [{ key: "leasehold.io/lease", operator: "In", values: ["l"] }] }))).toEqual([
      "h2",
      "l",
    ]);
    expect(ids(terms(f(["gpu-001", "gpu-002", "gpu-009"], "NotIn")))).toEqual(["l"]);
  });

  it("(an attack found this) Gt and Lt on a leasehold label (whose values are not integers) match no node in Kubernetes", () => {
    // labels.Requirement.Matches: Gt/Lt parse the node's label value as an integer; "h100-80gb" is not
    // one, so the node does not match. reachableNodes took any operator it does not know to match.
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/gpu-type", operator: "Gt", values: ["0"] }] }))).toEqual([]);
    expect(ids(terms({ matchExpressions: [{ key: "leasehold.io/pool", operator: "Lt", values: ["99"] }] }))).toEqual([]);
  });
});

describe("issue24 admit: how many pods fit (the Pending warning)", () => {
  const h = lease("h", "h100-80gb", 12, "gpu-[001-002]"); // gpu-001: 8; gpu-002: 4 (reserve holds 4)
  const l8 = lease("l8", "l40s", 8, ["l40s-001"], JAN, "l40s-a");

  it("holds: beside 8 L40S (quota 20), 2 x 8 pinned to the 12-H100 lease warns 1 Pending; 3 x 4 fits; init containers and sidecars are counted as Kubernetes does", () => {
    const both = [h, l8];
    const sel = { nodeSelector: { "leasehold.io/lease": "h" } };
    expect(pendingWarnings(judge("Deployment", deployment(2, spec(8, sel)), both)).join("\n")).toContain("1 would stay Pending");
    expect(pendingWarnings(judge("Deployment", deployment(3, spec(4, sel)), both))).toEqual([]);
    // Quota: 2 x 8 against the 12-H100 lease alone is refused outright.
    expect(pendingWarnings(judge("Deployment", deployment(2, spec(8, sel)), [h])).join("\n")).toContain("grant 12");
    // A regular init container of 8 before a main container of 1: 8 per pod (2 pods: one Pending).
    const init = { ...sel, initContainers: [ctr(8)], containers: [ctr(1)] };
    expect(pendingWarnings(judge("Deployment", deployment(2, spec(1, init)), both)).join("\n")).toContain(
      "requests 8 nvidia.com/gpu per pod x 2 pod(s), but the nodes it selects",
    );
    // A sidecar of 4 beside a main container of 4: 8 per pod.
    const sidecar = { ...sel, initContainers: [ctr(4, { restartPolicy: "Always" })], containers: [ctr(4)] };
    expect(pendingWarnings(judge("Deployment", deployment(2, spec(4, sidecar)), both)).join("\n")).toContain(
      "requests 8 nvidia.com/gpu per pod x 2 pod(s), but the nodes it selects",
    );
    // 3 GPUs a pod on the 12-H100 lease: 2 on gpu-001 (8), 1 on gpu-002 (4 beside the reserve).
    expect(pendingWarnings(judge("Deployment", deployment(3, spec(3, sel)), both))).toEqual([]);
    expect(pendingWarnings(judge("Deployment", deployment(4, spec(3, sel)), both)).join("\n")).toContain("1 would stay Pending");
  });

  it("(an attack found this) a Deployment pinned by matchFields to the lease's last node (where the reserve holds 4 of 8): 2 x 4 GPUs, 1 stays Pending", () => {
    const s = spec(4, {
      nodeSelector: { "leasehold.io/tenant": "acme" },
      ...terms({ matchFields: [{ key: "metadata.name", operator: "In", values: ["gpu-002"] }] }),
    });
    // admit counts every node of the lease (room for 3) and says nothing.
    expect(pendingWarnings(judge("Deployment", deployment(2, s), [h])).join("\n")).toContain("would stay Pending");
  });

  it("(an attack found this) a Deployment pinned by matchFields to the lease's first node: 3 x 4 GPUs, 1 stays Pending", () => {
    const s = spec(4, {
      nodeSelector: { "leasehold.io/tenant": "acme" },
      ...terms({ matchFields: [{ key: "metadata.name", operator: "In", values: ["gpu-001"] }] }),
    });
    expect(pendingWarnings(judge("Deployment", deployment(3, s), [h])).join("\n")).toContain("would stay Pending");
  });

  it("(an attack found this) a workload that selects a GPU type none of its tenant's leases has: every pod stays Pending, and admit says nothing", () => {
    const s = spec(1, { nodeSelector: { "leasehold.io/tenant": "acme", "leasehold.io/gpu-type": "l40s" } });
    const j = judge("Deployment", deployment(1, s), [h]);
    expect(j.violations).toEqual([]);
    expect(j.warnings.map((w) => w.message).join("\n")).toContain("every pod would stay Pending");
  });

  it("(an attack found this) a GPU DaemonSet that selects its tenant (the manifest the README tells tenants to copy) is counted as 0 pods: 2 nodes x 8 GPUs = 16 > 12 passes", () => {
    const s = spec(8, { nodeSelector: { "leasehold.io/tenant": "acme" } });
    const j = judge("DaemonSet", daemonSet(s), [h]);
    // The DaemonSet runs a pod on each of the tenant's 2 nodes: 16 GPUs asked, quota 12; the second
    // pod is refused by the quota (and gpu-002 has room for 4 only).
    expect(pendingWarnings(j).length).toBeGreaterThan(0);
  });

  it("(an attack found this) a DaemonSet places one pod per node, not packed freely: 4 GPUs per pod on a 17-GPU lease (8, 8, 1) leaves the third pod Pending", () => {
    const big = lease("big", "h100-80gb", 17, "gpu-[001-003]");
    const s = spec(4, { nodeSelector: { "leasehold.io/lease": "big" } });
    const j = judge("DaemonSet", daemonSet(s), [big]);
    expect(j.violations).toEqual([]);
    expect(pendingWarnings(j).join("\n")).toContain("Pending");
  });
});

// ------------------------------------------------------------------------------------------------
// 3. The admission policy's CEL (the API server's reading), and podLimitViolations (admit's mirror)
// ------------------------------------------------------------------------------------------------

const NS = { "leasehold.io/tenant": "acme", "lease.leasehold.io/acme-h100": "in-force", "lease.leasehold.io/acme-l40s": "in-force" };
const L40S_ONLY = { "leasehold.io/tenant": "acme", "lease.leasehold.io/acme-l40s": "in-force" };
const NO_LEASE = { "leasehold.io/tenant": "acme" };
const pod = (s: object) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "acme" },
  spec: { containers: [{ name: "c", image: "x", resources: { limits: { "nvidia.com/gpu": "1" } } }], ...s },
});
const cpuPod = (s: object) => pod({ containers: [{ name: "c", image: "x" }], ...s });
const byLease = { nodeSelector: { "leasehold.io/lease": "acme-h100" }, tolerations: TOLERATE };

describe("issue24 CEL (a): the last scheduling gate's removal is judged against the leases in force (holds)", () => {
  it("gates removed in two steps: the first step judges nothing, the last is judged", () => {
    const two = pod({ ...byLease, schedulingGates: [{ name: "a" }, { name: "b" }] });
    const one = pod({ ...byLease, schedulingGates: [{ name: "a" }] });
    const none = pod(byLease);
    expect(admit(one, L40S_ONLY, "UPDATE", two).allowed).toBe(true);
    expect(admit(none, L40S_ONLY, "UPDATE", one).allowed).toBe(false);
    expect(admit({ ...none, spec: { ...none.spec, schedulingGates: [] } }, L40S_ONLY, "UPDATE", one).allowed).toBe(false);
    expect(admit(none, NS, "UPDATE", one).allowed).toBe(true);
  });

  it("a gate swapped for another (the API server refuses adding gates) judges nothing until the last goes; then judged", () => {
    const a = pod({ ...byLease, schedulingGates: [{ name: "a" }] });
    const b = pod({ ...byLease, schedulingGates: [{ name: "b" }] });
    expect(admit(b, L40S_ONLY, "UPDATE", a).allowed).toBe(true);
    expect(admit(pod(byLease), L40S_ONLY, "UPDATE", b).allowed).toBe(false);
  });

  it("ungating re-judges tolerations the pod already had (an ended lease's legacy toleration) and the GPUs with no lease in force", () => {
    const legacy = [{ key: "leasehold.io/lease", operator: "Equal", value: "acme-h100", effect: "NoExecute" }];
    const gated = pod({ nodeSelector: { "leasehold.io/tenant": "acme" }, tolerations: legacy, schedulingGates: [{ name: "q" }] });
    const open = pod({ nodeSelector: { "leasehold.io/tenant": "acme" }, tolerations: legacy });
    expect(admit(open, L40S_ONLY, "UPDATE", gated).messages.some((m) => m.startsWith("pod may tolerate only"))).toBe(true);
    expect(admit(open, NO_LEASE, "UPDATE", gated).messages).toContain("pod requests nvidia.com/gpu but tenant acme has no lease in force");
  });
});

describe("issue24 CEL (b): pod (anti-)affinity in the pod's own namespace only; admit's mirror agrees (holds)", () => {
  const base = { labelSelector: { matchLabels: { app: "x" } }, topologyKey: "kubernetes.io/hostname" };
  const cases: [string, object, boolean][] = [
    ["own namespace, implicit", base, true],
    ["namespaces: []", { ...base, namespaces: [] }, true],
    ["namespaces: [own]", { ...base, namespaces: ["acme"] }, true],
    ["namespaces: [own, own]", { ...base, namespaces: ["acme", "acme"] }, true],
    ["matchLabelKeys / mismatchLabelKeys", { ...base, matchLabelKeys: ["pod-template-hash"], mismatchLabelKeys: ["tenant"] }, true],
    ["topologyKey zone, empty labelSelector", { labelSelector: {}, topologyKey: "topology.kubernetes.io/zone" }, true],
    ["namespaceSelector {}", { ...base, namespaceSelector: {} }, false],
    [
      "namespaceSelector naming its own namespace",
      { ...base, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "acme" } } },
      false,
    ],
    ["namespaces: [other]", { ...base, namespaces: ["bluefin"] }, false],
    ["namespaces: [own, other]", { ...base, namespaces: ["acme", "bluefin"] }, false],
    ["namespaces [] with namespaceSelector {}", { ...base, namespaces: [], namespaceSelector: {} }, false],
  ];
  for (const [name, term, ok] of cases) {
    it(`${name}: ${ok ? "admitted" : "refused"}, required and preferred, affinity and anti-affinity, by the CEL and by admit alike`, () => {
      for (const kind of ["podAffinity", "podAntiAffinity"]) {
        for (const a of [
          { requiredDuringSchedulingIgnoredDuringExecution: [term] },
          { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term }] },
        ]) {
          const s = { affinity: { [kind]: a } };
          expect(admit(cpuPod(s), NS).allowed, `${kind} ${JSON.stringify(a)}`).toBe(ok);
          const mirror = podLimitViolations(s, admissionSettings(BUILTIN_CATALOG, {}), "acme");
          expect(mirror.length === 0, `mirror ${kind} ${JSON.stringify(a)}`).toBe(ok);
        }
      }
    });
  }
});

describe("issue24 CEL (c): deletes and evictions over 300 s are refused in every spelling (holds)", () => {
  const eviction = (apiVersion: string, deleteOptions?: object) => ({
    apiVersion,
    kind: "Eviction",
    metadata: { name: "p", namespace: "acme" },
    ...(deleteOptions ? { deleteOptions } : {}),
  });
  it("evictions: policy/v1 and v1beta1 bodies, with or without kind/apiVersion in deleteOptions, preconditions beside", () => {
    for (const v of ["policy/v1", "policy/v1beta1"]) {
      expect(admitEviction(eviction(v, { gracePeriodSeconds: 301 })).allowed).toBe(false);
      expect(admitEviction(eviction(v, { apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions", gracePeriodSeconds: 3600 })).allowed).toBe(
        false,
      );
      expect(admitEviction(eviction(v, { gracePeriodSeconds: 86400, preconditions: { uid: "u" }, dryRun: ["All"] })).allowed).toBe(false);
      expect(admitEviction(eviction(v, { gracePeriodSeconds: 300 })).allowed).toBe(true);
      expect(admitEviction(eviction(v, { gracePeriodSeconds: 0 })).allowed).toBe(true);
      expect(admitEviction(eviction(v, { propagationPolicy: "Foreground" })).allowed).toBe(true);
    }
  });
  it("deletes: the options as the API server hands them (body or query parameters give the same DeleteOptions)", () => {
    expect(admitDelete({ apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions", gracePeriodSeconds: 301 }).allowed).toBe(false);
    expect(admitDelete({ gracePeriodSeconds: 9_223_372_036 }).allowed).toBe(false);
    expect(
      admitDelete({ apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions", gracePeriodSeconds: 300, propagationPolicy: "Background" })
        .allowed,
    ).toBe(true);
    expect(admitDelete({ apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions", gracePeriodSeconds: -1 }).allowed).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// 4. readCidr against Go (ipcheck)
// ------------------------------------------------------------------------------------------------

const toolchain = path.join(os.homedir(), ".cache/leasehold/toolchain");
const ipcheckDir = existsSync(toolchain) ? readdirSync(toolchain).find((d) => d.startsWith("ipcheck-")) : undefined;
const IPCHECK = ipcheckDir ? path.join(toolchain, ipcheckDir, "bin/ipcheck") : undefined;

describe.skipIf(!IPCHECK || !existsSync(IPCHECK))("issue24 readCidr against Go's net/netip and k8s.io/utils/net (holds)", () => {
  const z = (n: number) => "0".repeat(n);
  const inputs = [
    // very long strings
    `${z(1000)}1.2.3.4/32`,
    `1.2.3.${z(100000)}4/32`,
    `10.0.0.0/${z(100000)}8`,
    `${z(100000)}1::/16`,
    `::ffff:${z(30)}1.2.3.4/128`,
    `1::${z(5)}255.1.1.1/128`,
    `::${z(6)}10000/128`,
    // unicode digits, spaces, signs
    "١.٢.٣.٤/32",
    "1.2.3.4/３２",
    "\u00a010.0.0.0/8",
    "10.0.0.0/8\u200b",
    "10.0.0.0/+8",
    "10.0.0.0/-0",
    "::/+0",
    "1.1.1.1/1_0",
    "1::/0x10",
    "1::/1e1",
    // '::' edges and IPv4 tails
    "::/0",
    ":::/0",
    "::::/0",
    "::0:0/0",
    "[::]/0",
    "::%25/0",
    "1:2:3:4:5:6:7:8::/128",
    "::1:2:3:4:5:6:7:8/128",
    "1:2:3:4:5:6:7::/128",
    "1:2:3:4:5:6:1.2.3.4/128",
    "1:2:3:4:5:6::1.2.3.4/128",
    "1:2:3:4:5::1.2.3.4/128",
    "1::1.2.3.4:1/128",
    "::1.2.3.4/128",
    "::0.0.0.1/128",
    "::ffff:0.0.0.0/96",
    "::ffff:0.0.0.0/95",
    "::ffff:0:0/96",
    "::FFFF:1.2.3.4/128",
    "0:0:0:0:0:ffff:1.2.3.4/100",
    "::fffe:1.2.3.4/128",
    // huge prefixes
    "10.0.0.0/4294967304",
    "10.0.0.0/18446744073709551624",
    "::/4294967424",
    "::ffff:1.2.3.4/999999999999",
    ...Array.from({ length: 129 }, (_, i) => `::ffff:10.0.0.0/${i}`),
    ...Array.from({ length: 129 }, (_, i) => `ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/${i}`),
  ];
  it("no spelling where leasehold and Go disagree", () => {
    const out = execFileSync(IPCHECK!, { input: inputs.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as IpcheckLine);
    expect(lines).toHaveLength(inputs.length);
    expect(lines.map((l) => differenceFromIpcheck(l, readCidr)).filter((d) => d !== undefined)).toEqual([]);
  });
});
