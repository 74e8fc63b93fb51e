import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runMocked, type Recorded } from "./mocks";
import { loadStackText, type PlatformStack, type TenantStack } from "../../lease/load";
import { autoName, eksTenantNames, labelKeyProblem, LIMITS, nameProblem, type NameLimit } from "../../lease/names";
import { formatProblem } from "../../lease/problems";
import { offlinePlatformOutputs } from "../../programs/offline";
import { providerOf } from "../../providers";
import type { PlatformStack as NamesPlatform, TenantStack as NamesTenant } from "../../lease/load";

/** The names rule of a tenant on its platform, as check runs it (the platform's provider's tenant problems). */
const namesProblems = (t: NamesTenant, p: NamesPlatform) => providerOf(p.config.cluster).tenantProblems(t, p, p.config.cluster);

// Every name the EKS programs really pass to AWS and Kubernetes, read from the registrations under
// strict mocks, against its target's limit: with the longest inputs the checks let through, and
// one character past them (which the program would deploy, and the fleet check refuses).

/** The AWS resource types that take a name, the property, and its limit; auto-named when the property is unset. */
const NAMED: Record<string, [string, NameLimit]> = {
  "aws:eks/nodeGroup:NodeGroup": ["nodeGroupName", LIMITS.eksNodeGroupName],
  "aws:eks/cluster:Cluster": ["name", LIMITS.eksClusterName],
  "aws:ec2/securityGroup:SecurityGroup": ["name", LIMITS.securityGroupName],
  "aws:ec2/launchTemplate:LaunchTemplate": ["name", LIMITS.launchTemplateName],
  "aws:ec2/placementGroup:PlacementGroup": ["name", LIMITS.placementGroupName],
  "aws:iam/role:Role": ["name", LIMITS.iamRoleName],
};
const RULES = new Set([
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
]);

/** One name as a resource carries it. */
interface Carried {
  where: string;
  value: string;
  limit: NameLimit;
}

/** Every name, description, tag, label and taint the registrations carry, with its limit. */
function carried(recorded: Recorded[]): { names: Carried[]; keyProblems: string[] } {
  const names: Carried[] = [];
  const keyProblems: string[] = [];
  const add = (where: string, value: unknown, limit: NameLimit) => names.push({ where, value: String(value), limit });
  const tags = (where: string, t: Record<string, string> | undefined) => {
    for (const [k, v] of Object.entries(t ?? {})) {
      add(`${where} tag key`, k, LIMITS.tagKey);
      add(`${where} tag ${k}`, v, LIMITS.tagValue);
    }
  };
  const labels = (where: string, l: Record<string, string> | undefined, valueLimit: NameLimit) => {
    for (const [k, v] of Object.entries(l ?? {})) {
      const p = labelKeyProblem(k);
      if (p) keyProblems.push(`${where} label key ${k}: ${p}`);
      add(`${where} label ${k}`, v, valueLimit);
      add(`${where} label ${k}`, v, LIMITS.labelValue);
    }
  };
  for (const r of recorded.filter((x) => x.custom)) {
    const where = `${r.type} ${r.name}`;
    if (r.type.startsWith("aws:")) {
      const named = NAMED[r.type];
      if (named) add(`${where} ${named[0]}`, r.inputs[named[0]] ?? autoName(r.name), named[1]);
      for (const prefix of ["namePrefix", "nodeGroupNamePrefix"])
        if (r.inputs[prefix] !== undefined) keyProblems.push(`${where} passes ${prefix}, whose limit is shorter`);
      if (r.type === "aws:ec2/securityGroup:SecurityGroup")
        add(`${where} description`, r.inputs.description, LIMITS.securityGroupDescription);
      if (RULES.has(r.type)) add(`${where} description`, r.inputs.description, LIMITS.securityGroupRuleDescription);
      tags(where, r.inputs.tags);
      for (const spec of r.inputs.tagSpecifications ?? []) tags(`${where} ${spec.resourceType}`, spec.tags);
      if (r.type === "aws:eks/nodeGroup:NodeGroup") {
        labels(where, r.inputs.labels, LIMITS.eksLabelValue);
        for (const t of r.inputs.taints ?? []) {
          add(`${where} taint ${t.key}`, t.value, LIMITS.eksTaintValue);
          add(`${where} taint ${t.key}`, t.value, LIMITS.labelValue);
        }
      }
    } else if (r.type.startsWith("kubernetes:")) {
      const meta = r.inputs.metadata ?? {};
      if (meta.name !== undefined)
        add(`${where} metadata.name`, meta.name, r.type === "kubernetes:core/v1:Namespace" ? LIMITS.dns1123Label : LIMITS.dns1123Subdomain);
      if (meta.namespace !== undefined) add(`${where} metadata.namespace`, meta.namespace, LIMITS.dns1123Label);
      labels(where, meta.labels, LIMITS.labelValue);
      for (const k of Object.keys(meta.annotations ?? {})) {
        const p = labelKeyProblem(k);
        if (p) keyProblems.push(`${where} annotation key ${k}: ${p}`);
      }
      const manager = meta.annotations?.["pulumi.com/patchFieldManager"];
      if (manager !== undefined) add(`${where} field manager`, manager, LIMITS.fieldManager);
    }
  }
  return { names, keyProblems };
}

const over = (c: { names: Carried[] }) =>
  c.names
    .filter((n) => nameProblem(n.limit, n.value))
    .map((n) => `${n.where}: ${JSON.stringify(n.value)} ${nameProblem(n.limit, n.value)}`);

const a = (n: number) => "a".repeat(n);
const TENANT = `t${a(62)}`; // 63: the longest DNS-1123 label
const CLUSTER = `c${a(62)}`;

function platform(): PlatformStack {
  const text = `config:
  leasehold:role: platform
  leasehold:cluster: {provider: eks, name: ${CLUSTER}, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b], admins: [arn:aws:iam::123456789012:role/platform-admins]}
  leasehold:pools:
    - {name: ${"p".repeat(63)}, gpuType: h100-80gb, maxNodes: 8, efa: true, capacityReservation: {id: cr-0123456789abcdef0, kind: capacity-block, availabilityZone: us-east-2a, start: "2026-12-31T11:30:00Z", end: "2027-04-01T11:30:00Z"}}
    - {name: pg, gpuType: h100-80gb, maxNodes: 8, efa: true, placementGroup: true}
`;
  const r = loadStackText("stacks/Pulumi.platform-aws.yaml", text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.stack as PlatformStack;
}

/** A tenant of the longest name with one lease on each pool, their ids `length` characters long. */
function tenant(length: number): TenantStack {
  const ids = ["1", "2"].map((n) => `${a(length - 2)}-${n}`);
  const lease = (id: string, pool: string) =>
    `    - {id: ${id}, gpu: {type: h100-80gb, count: 16}, window: {start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z"}, placement: {pool: ${pool}}, reclaim: {noticeHours: 0}}`;
  const text = `config:
  leasehold:role: tenant
  leasehold:platform: platform-aws
  leasehold:tenant: {name: ${TENANT}}
  leasehold:leases:
${lease(ids[0]!, "p".repeat(63))}
${lease(ids[1]!, "pg")}
`;
  const r = loadStackText(`stacks/Pulumi.tenant-${TENANT}.yaml`, text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.stack as TenantStack;
}

async function tenantRecorded(stack: TenantStack, on: PlatformStack): Promise<Recorded[]> {
  const { tenantProgram } = await import("../../programs/tenant");
  return runMocked(
    () => tenantProgram(stack, { platform: on, at: Date.parse("2027-01-15T00:00:00Z") }),
    stack.name,
    offlinePlatformOutputs(on),
  );
}

describe("names the EKS programs pass to AWS and Kubernetes", () => {
  it("with a 63-character tenant name and 49-character lease ids (the longest the check lets through), every one keeps its limit", async () => {
    const on = platform();
    const stack = tenant(49);
    expect(namesProblems(stack, on)).toEqual([]);
    const recorded = await tenantRecorded(stack, on);
    const c = carried(recorded);
    expect(c.keyProblems).toEqual([]);
    expect(over(c)).toEqual([]);
    // What was checked: the node groups, groups, templates, the placement group, their descriptions, tags, labels and taints.
    const kinds = new Set(c.names.map((n) => n.limit.what));
    for (const l of [
      LIMITS.eksNodeGroupName,
      LIMITS.securityGroupName,
      LIMITS.launchTemplateName,
      LIMITS.placementGroupName,
      LIMITS.securityGroupDescription,
      LIMITS.securityGroupRuleDescription,
      LIMITS.tagValue,
      LIMITS.eksTaintValue,
      LIMITS.fieldManager,
      LIMITS.dns1123Label,
    ]) {
      expect(kinds, l.what).toContain(l.what);
    }
    const longest = Math.max(...c.names.filter((n) => n.limit === LIMITS.eksNodeGroupName).map((n) => n.value.length));
    expect(longest).toBe(63);
  });

  it("predicts (lease/names.ts) every AWS name and description the program derives from the tenant name or a lease id", async () => {
    const on = platform();
    const stack = tenant(49);
    const predicted = new Set(
      eksTenantNames(stack.name, TENANT, stack.config.leases, on.config.pools).map((d) => `${d.limit.what}: ${d.name}`),
    );
    const c = carried(await tenantRecorded(stack, on));
    const derived = c.names.filter(
      (n) =>
        n.where.startsWith("aws:") &&
        !n.where.includes(" tag key") &&
        [TENANT, ...stack.config.leases.map((l) => l.id)].some((input) => n.value.includes(input)),
    );
    expect(derived.length).toBeGreaterThan(20);
    const missing = derived
      .filter((n) => n.limit !== LIMITS.labelValue && !predicted.has(`${n.limit.what}: ${n.value}`))
      .map((n) => `${n.where}: ${n.value}`);
    expect(missing).toEqual([]);
  });

  it("with a 50-character lease id the node group name passes 63: the program would deploy it, the fleet check refuses the same name", async () => {
    const on = platform();
    const stack = tenant(50);
    const c = carried(await tenantRecorded(stack, on));
    const ids = stack.config.leases.map((l) => l.id);
    expect(over(c)).toEqual(
      ids.map((id) => `aws:eks/nodeGroup:NodeGroup ${id}-nodes nodeGroupName: "${id}-nodes-xxxxxxx" 64 characters, over the limit of 63`),
    );
    const problems = namesProblems(stack, on);
    expect(problems.map((p) => p.path)).toEqual(["leasehold:leases[0].id", "leasehold:leases[1].id"]);
    for (const [i, id] of ids.entries()) expect(problems[i]!.message).toContain(`"${id}-nodes-xxxxxxx"`);
  });

  it("the platform program with a 63-character cluster name: IAM roles, cluster, system node group and template, subnet tags keep their limits", async () => {
    const on = platform();
    const { platformProgram } = await import("../../programs/platform");
    const recorded = await runMocked(() => platformProgram(on), on.name);
    const c = carried(recorded);
    expect(c.keyProblems).toEqual([]);
    expect(over(c)).toEqual([]);
    expect(c.names.filter((n) => n.limit === LIMITS.iamRoleName).map((n) => n.value)).toEqual([
      "cluster-cluster-role-xxxxxxx",
      "cluster-node-role-xxxxxxx",
    ]);
    expect(c.names.some((n) => n.where.endsWith(` tag key`) && n.value === `kubernetes.io/cluster/${CLUSTER}`)).toBe(true);
  });

  it("covers every AWS resource type the programs register that takes a name (read from the @pulumi/aws typings)", async () => {
    const on = platform();
    const { platformProgram } = await import("../../programs/platform");
    const recorded = [...(await runMocked(() => platformProgram(on), on.name)), ...(await tenantRecorded(tenant(49), on))];
    const root = path.dirname(require.resolve("@pulumi/aws/package.json"));
    const types = [...new Set(recorded.filter((r) => r.custom && r.type.startsWith("aws:")).map((r) => r.type))];
    expect(types.length).toBeGreaterThan(15);
    const uncovered = types.filter((t) => {
      const [, mod, res] = /^aws:([^/]+)\/([^:]+):/.exec(t)!;
      const typings = fs.readFileSync(path.join(root, mod!, `${res}.d.ts`), "utf8");
      const args = typings.slice(typings.search(/export interface \w+Args \{/));
      return /^\s+(name|nodeGroupName)\?: pulumi\.Input/m.test(args) && !(t in NAMED);
    });
    expect(uncovered).toEqual([]);
  });
});
