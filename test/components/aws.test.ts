import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ofType, promiseOf, runMocked, type Recorded } from "./mocks";
import { subnetPlan, UNTAGGABLE_TYPES } from "../../lease/aws";
import { loadStackFile, loadStackText, type PlatformStack, type TenantStack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";
import { offlinePlatformOutputs } from "../../programs/offline";

// The AWS side under strict mocks: no credentials, no network, every resource and its inputs
// recorded as the engine would receive them.

const STACKS = path.resolve(__dirname, "../../stacks");
const load = <T>(name: string) => {
  const r = loadStackFile(path.join(STACKS, `Pulumi.${name}.yaml`));
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.stack as T;
};
const platform = load<PlatformStack>("platform-aws");
const delta = load<TenantStack>("tenant-delta");
const IN_FORCE = "2027-01-15T00:00:00Z"; // both of delta's leases
const AFTER = "2027-04-01T00:00:00Z"; // both ended

async function platformResources(stack = platform): Promise<Recorded[]> {
  const { platformProgram } = await import("../../programs/platform");
  return runMocked(() => platformProgram(stack), stack.name);
}
async function tenantResources(at: string, stack = delta, on = platform): Promise<Recorded[]> {
  const { tenantProgram } = await import("../../programs/tenant");
  return runMocked(() => tenantProgram(stack, { platform: on, at: Date.parse(at) }), stack.name, offlinePlatformOutputs(on));
}
const aws = (r: Recorded[]) => r.filter((x) => x.custom && x.type.startsWith("aws:"));
const byName = (r: Recorded[], type: string, name: string) => ofType(r, type).find((x) => x.name === name)!;

/** A platform stack like platform-aws with its pools replaced. */
function platformWith(pools: string): PlatformStack {
  const text = `config:
  leasehold:role: platform
  leasehold:cluster: {provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b, us-east-2c]}
  leasehold:pools:
${pools}`;
  const r = loadStackText("stacks/Pulumi.platform-aws.yaml", text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.stack as PlatformStack;
}

describe("the VPC plan", () => {
  it("cuts one private and one public subnet per zone, private first", () => {
    expect(subnetPlan("10.40.0.0/16", ["us-east-2a", "us-east-2b"])).toEqual([
      { zone: "us-east-2a", private: "10.40.0.0/18", public: "10.40.128.0/18" },
      { zone: "us-east-2b", private: "10.40.64.0/18", public: "10.40.192.0/18" },
    ]);
    const three = subnetPlan("10.40.0.0/16", ["a1", "b1", "c1"]) as { private: string; public: string }[];
    expect(three.map((z) => [z.private, z.public])).toEqual([
      ["10.40.0.0/19", "10.40.96.0/19"],
      ["10.40.32.0/19", "10.40.128.0/19"],
      ["10.40.64.0/19", "10.40.160.0/19"],
    ]);
    expect(subnetPlan("10.40.0.0/23", ["us-east-2a", "us-east-2b"])).toBe(
      "is too small for 4 subnets (a private and a public one in each of 2 zones) of at least /24; expected a /22 or larger",
    );
  });
});

describe("the EKS platform program", () => {
  it("builds a private-only network: no subnet maps public IPs, a NAT gateway per zone, the default security group emptied", async () => {
    const r = await platformResources();
    const subnets = ofType(r, "aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => [s.inputs.availabilityZone, s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch])).toEqual([
      ["us-east-2a", "10.40.128.0/18", false],
      ["us-east-2a", "10.40.0.0/18", false],
      ["us-east-2b", "10.40.192.0/18", false],
      ["us-east-2b", "10.40.64.0/18", false],
    ]);
    expect(ofType(r, "aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    const privateRoutes = ofType(r, "aws:ec2/routeTable:RouteTable").filter((t) => t.name.includes("private"));
    expect(privateRoutes.map((t) => Object.keys(t.inputs.routes[0]))).toEqual([
      ["cidrBlock", "natGatewayId"],
      ["cidrBlock", "natGatewayId"],
    ]);
    const dflt = ofType(r, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0]!;
    expect([dflt.inputs.ingress, dflt.inputs.egress]).toEqual([[], []]);
  });

  it("creates the cluster with a private endpoint, access entries only, and the VPC CNI enforcing network policy", async () => {
    const r = await platformResources();
    const cluster = ofType(r, "aws:eks/cluster:Cluster")[0]!;
    expect(cluster.inputs.name).toBe("gpu-prod");
    expect(cluster.inputs.version).toBe("1.33");
    expect(cluster.inputs.vpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
    expect(cluster.inputs.vpcConfig.publicAccessCidrs).toBeUndefined();
    // Fixed whatever the admins: a change of this flag replaces the cluster.
    expect(cluster.inputs.accessConfig).toEqual({ authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
    expect(ofType(r, "aws:eks/accessEntry:AccessEntry").map((e) => e.inputs.principalArn)).toEqual([
      "arn:aws:iam::123456789012:role/platform-admins",
    ]);
    expect(ofType(r, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")[0]!.inputs).toMatchObject({
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });
    const cni = ofType(r, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "vpc-cni")!;
    expect(JSON.parse(cni.inputs.configurationValues)).toEqual({ enableNetworkPolicy: "true" });
    // The aws-auth ConfigMap is never written.
    expect(r.filter((x) => x.type === "kubernetes:core/v1:ConfigMap")).toEqual([]);
    // The admission policy is installed through the cluster's explicit provider.
    const vap = ofType(r, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")[0]!;
    expect(vap.provider).toMatch(/pulumi:providers:kubernetes::cluster-k8s::/);
  });

  it("opens the endpoint only to the listed blocks when asked", async () => {
    const text = `config:
  leasehold:role: platform
  leasehold:cluster: {provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b], endpointAccess: public-and-private, publicAccessCidrs: [203.0.113.0/24]}
  leasehold:pools: []
`;
    const s = loadStackText("stacks/Pulumi.platform-aws.yaml", text);
    if (!s.ok) throw new Error("invalid");
    const cluster = ofType(await platformResources(s.stack as PlatformStack), "aws:eks/cluster:Cluster")[0]!;
    expect(cluster.inputs.vpcConfig).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
    });
    expect(cluster.inputs.accessConfig.bootstrapClusterCreatorAdminPermissions).toBe(true);
  });

  it("gives the node role exactly the three managed policies nodes need, and system nodes IMDSv2 with one hop on encrypted disks", async () => {
    const r = await platformResources();
    const attachments = ofType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith("cluster-node-"));
    expect(attachments.map((a) => a.inputs.policyArn).sort()).toEqual([
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]);
    const lt = ofType(r, "aws:ec2/launchTemplate:LaunchTemplate")[0]!;
    expect(lt.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(lt.inputs.blockDeviceMappings[0].ebs.encrypted).toBe("true");
    const system = ofType(r, "aws:eks/nodeGroup:NodeGroup")[0]!;
    expect(system.inputs).toMatchObject({
      amiType: "AL2023_x86_64_STANDARD",
      instanceTypes: ["m7i.xlarge"],
      scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 2 },
    });
  });

  it("tags every taggable resource for chargeback, and returns what tenant stacks read", async () => {
    const { platformProgram } = await import("../../programs/platform");
    let outputs: Record<string, unknown> = {};
    const r = await runMocked(() => {
      outputs = platformProgram(platform);
      return outputs;
    }, "platform-aws");
    const untagged = aws(r).filter(
      (x) => !UNTAGGABLE_TYPES.has(x.type) && !(x.inputs.tags && "leasehold:tenant" in x.inputs.tags && "leasehold:lease" in x.inputs.tags),
    );
    expect(untagged.map((x) => `${x.type} ${x.name}`)).toEqual([]);
    expect(Object.keys(outputs).sort()).toEqual([
      "clusterName",
      "clusterProvider",
      "clusterSecurityGroupId",
      "kubeconfig",
      "nodeRoleArn",
      "pools",
      "privateSubnetIds",
      "region",
      "vpcId",
      "zones",
    ]);
    expect(await promiseOf(outputs.region)).toBe("us-east-2");
    const kubeconfig = outputs.kubeconfig as { isSecret: Promise<boolean> };
    expect(await kubeconfig.isSecret).toBe(true);
  });
});

/** Tenant delta with H100 leases [id, GPUs, pool] for January 2027. */
function deltaWith(leases: [string, number, string][]): TenantStack {
  const lines = leases.map(
    ([id, count, pool]) =>
      `    - {id: ${id}, gpu: {type: h100-80gb, count: ${count}}, window: {start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z"}, placement: {pool: ${pool}}, reclaim: {noticeHours: 0}}`,
  );
  const text = `config:\n  leasehold:role: tenant\n  leasehold:platform: platform-aws\n  leasehold:tenant: {name: delta}\n  leasehold:leases:\n${lines.join("\n")}\n`;
  const r = loadStackText("stacks/Pulumi.tenant-delta.yaml", text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.stack as TenantStack;
}

describe("the EKS GpuNodePool (tenant stack on an eks platform)", () => {
  it("sizes each lease's node group ceil(GPUs / GPUs per node) while in force, on the catalog's instance type and the NVIDIA AMI", async () => {
    const r = await tenantResources(IN_FORCE);
    const groups = ofType(r, "aws:eks/nodeGroup:NodeGroup").sort((a, b) => a.name.localeCompare(b.name));
    const row = (g: Recorded) => [
      g.name,
      g.inputs.amiType,
      g.inputs.capacityType,
      g.inputs.scalingConfig.desiredSize,
      g.inputs.scalingConfig.maxSize,
    ];
    expect(groups.map(row)).toEqual([
      // 16 H100 on 8-GPU p5.48xlarge: 2 nodes, from the capacity block
      ["delta-h100-2027q1-nodes", "AL2023_x86_64_NVIDIA", "CAPACITY_BLOCK", 2, 2],
      // 8 L40S on 8-GPU g6e.48xlarge: 1 node, on demand
      ["delta-l40s-2026q4-nodes", "AL2023_x86_64_NVIDIA", "ON_DEMAND", 1, 1],
    ]);
    const lts = ofType(r, "aws:ec2/launchTemplate:LaunchTemplate").sort((a, b) => a.name.localeCompare(b.name));
    expect(lts.map((l) => l.inputs.instanceType)).toEqual(["p5.48xlarge", "g6e.48xlarge"]);
    expect(groups[0]!.inputs.labels).toEqual({
      "leasehold.io/lease": "delta-h100-2027q1",
      "leasehold.io/tenant": "delta",
      "leasehold.io/pool": "h100-cb",
      "leasehold.io/gpu-type": "h100-80gb",
    });
    expect(groups[0]!.inputs.taints).toEqual([{ key: "leasehold.io/tenant", value: "delta", effect: "NO_EXECUTE" }]);
    expect(groups[0]!.inputs.nodeRoleArn).toBe("arn:aws:iam::000000000000:role/offline-node-role");
  });

  it("scales every node group to zero once its lease has ended or been reclaimed", async () => {
    const ended = ofType(await tenantResources(AFTER), "aws:eks/nodeGroup:NodeGroup").sort((a, b) => a.name.localeCompare(b.name));
    expect(ended.map((g) => g.inputs.scalingConfig)).toEqual([
      { desiredSize: 0, minSize: 0, maxSize: 1 },
      { desiredSize: 0, minSize: 0, maxSize: 1 },
    ]);
    const notice = { issuedAt: "2027-01-02T00:00:00Z", effectiveAt: "2027-01-09T00:00:00Z", reason: "r" };
    const reclaimed: TenantStack = {
      ...delta,
      config: { ...delta.config, leases: [{ ...delta.config.leases[0]!, reclaim: { noticeHours: 168, notice } }] },
    };
    const h100 = async (at: string) =>
      byName(await tenantResources(at, reclaimed), "aws:eks/nodeGroup:NodeGroup", "delta-h100-2027q1-nodes").inputs.scalingConfig
        .desiredSize;
    expect(await h100("2027-01-08T23:59:59Z")).toBe(2);
    expect(await h100("2027-01-09T00:00:00Z")).toBe(0);
  });

  it("wires a capacity block (market option, reservation target, its zone's subnet only) and EFA interfaces carrying the security group", async () => {
    const r = await tenantResources(IN_FORCE);
    const lt = byName(r, "aws:ec2/launchTemplate:LaunchTemplate", "delta-h100-2027q1-template").inputs;
    expect(lt.instanceMarketOptions).toEqual({ marketType: "capacity-block" });
    expect(lt.capacityReservationSpecification).toEqual({ capacityReservationTarget: { capacityReservationId: "cr-0123456789abcdef0" } });
    expect(lt.placement).toBeUndefined();
    // p5.48xlarge has 32 network cards: one EFA interface on each, the lease's and the tenant's groups on every one.
    expect(lt.networkInterfaces).toHaveLength(32);
    expect(lt.networkInterfaces.every((n: any) => n.interfaceType === "efa" && n.securityGroups.length === 2)).toBe(true);
    expect(lt.vpcSecurityGroupIds).toBeUndefined();
    const group = byName(r, "aws:eks/nodeGroup:NodeGroup", "delta-h100-2027q1-nodes").inputs;
    expect(group.subnetIds).toEqual(["subnet-offline-us-east-2a"]);
    const od = byName(r, "aws:ec2/launchTemplate:LaunchTemplate", "delta-l40s-2026q4-template").inputs;
    expect([od.instanceMarketOptions, od.capacityReservationSpecification, od.networkInterfaces]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(byName(r, "aws:eks/nodeGroup:NodeGroup", "delta-l40s-2026q4-nodes").inputs.subnetIds).toEqual([
      "subnet-offline-us-east-2a",
      "subnet-offline-us-east-2b",
    ]);
  });

  it("targets an ODCR without the capacity-block market, and puts a placement-group pool in one zone", async () => {
    const on =
      platformWith(`    - {name: h100-odcr, gpuType: h100-80gb, maxNodes: 4, capacityReservation: {id: cr-0123456789abcdef1, kind: odcr, availabilityZone: us-east-2b}}
    - {name: h100-pg, gpuType: h100-80gb, maxNodes: 4, placementGroup: true}`);
    const r = await tenantResources(
      IN_FORCE,
      deltaWith([
        ["a", 8, "h100-odcr"],
        ["b", 12, "h100-pg"],
      ]),
      on,
    );
    const odcr = byName(r, "aws:ec2/launchTemplate:LaunchTemplate", "a-template").inputs;
    expect(odcr.capacityReservationSpecification).toEqual({ capacityReservationTarget: { capacityReservationId: "cr-0123456789abcdef1" } });
    expect(odcr.instanceMarketOptions).toBeUndefined();
    expect(byName(r, "aws:eks/nodeGroup:NodeGroup", "a-nodes").inputs.capacityType).toBe("ON_DEMAND");
    const pg = ofType(r, "aws:ec2/placementGroup:PlacementGroup");
    expect(pg.map((p) => [p.name, p.inputs.strategy])).toEqual([["b-placement", "cluster"]]);
    expect(byName(r, "aws:ec2/launchTemplate:LaunchTemplate", "b-template").inputs.placement).toBeDefined();
    const b = byName(r, "aws:eks/nodeGroup:NodeGroup", "b-nodes").inputs;
    // 12 GPUs on 8-GPU nodes: 2 nodes; a cluster placement group lives in one zone.
    expect([b.scalingConfig.desiredSize, b.subnetIds]).toEqual([2, ["subnet-offline-us-east-2a"]]);
    // The ODCR's nodes launch in the reservation's zone only.
    expect(byName(r, "aws:eks/nodeGroup:NodeGroup", "a-nodes").inputs.subnetIds).toEqual(["subnet-offline-us-east-2b"]);
  });

  it("keeps an EFA pool without a reservation in one subnet, EFA traffic not leaving it", async () => {
    const on = platformWith(`    - {name: h100-efa, gpuType: h100-80gb, maxNodes: 4, efa: true}`);
    const r = await tenantResources(IN_FORCE, deltaWith([["e", 16, "h100-efa"]]), on);
    expect(byName(r, "aws:eks/nodeGroup:NodeGroup", "e-nodes").inputs.subnetIds).toEqual(["subnet-offline-us-east-2a"]);
  });

  it("writes security group and rule descriptions only in the characters EC2 accepts", async () => {
    // EC2: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* (an apostrophe is refused at deploy time).
    const allowed = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
    const r = [...(await platformResources()), ...(await tenantResources(IN_FORCE))];
    const described = aws(r).filter((x) => /securityGroup|SecurityGroup/.test(x.type) && typeof x.inputs.description === "string");
    expect(described.length).toBeGreaterThan(8);
    for (const x of described) expect(x.inputs.description, `${x.type} ${x.name}`).toMatch(allowed);
  });

  it("isolates each lease at the VPC layer: ingress only from its own nodes and the control plane, never 0.0.0.0/0", async () => {
    const r = await tenantResources(IN_FORCE);
    const ingress = ofType(r, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    for (const rule of ingress) {
      expect(rule.inputs.cidrIpv4, rule.name).toBeUndefined();
      expect(rule.inputs.cidrIpv6, rule.name).toBeUndefined();
      expect(rule.inputs.referencedSecurityGroupId, rule.name).toBeDefined();
    }
    // Mock ids are `<name>-id`: name each group by what it belongs to.
    const who = (id: string) => (id === "sg-offline-cluster" ? "cluster" : id.replace(/-nodes-id$/, ""));
    const rows = [...ingress]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((x) => [x.name, who(x.inputs.securityGroupId), who(x.inputs.referencedSecurityGroupId)]);
    expect(rows).toEqual([
      ["delta-from-tenant-nodes", "delta", "delta"],
      ["delta-h100-2027q1-from-control-plane", "delta-h100-2027q1", "cluster"],
      ["delta-h100-2027q1-from-own-nodes", "delta-h100-2027q1", "delta-h100-2027q1"],
      ["delta-h100-2027q1-to-control-plane", "cluster", "delta-h100-2027q1"],
      ["delta-l40s-2026q4-from-control-plane", "delta-l40s-2026q4", "cluster"],
      ["delta-l40s-2026q4-from-own-nodes", "delta-l40s-2026q4", "delta-l40s-2026q4"],
      ["delta-l40s-2026q4-to-control-plane", "cluster", "delta-l40s-2026q4"],
    ]);
    // A group per lease, one for the tenant; no lease group references another lease's.
    const groups = ofType(r, "aws:ec2/securityGroup:SecurityGroup");
    expect(groups.map((g) => g.name).sort()).toEqual(["delta-h100-2027q1-nodes", "delta-l40s-2026q4-nodes", "delta-nodes"]);
    // Every node of the tenant carries its lease's group and the tenant's, so its leases reach each other.
    const lts = ofType(r, "aws:ec2/launchTemplate:LaunchTemplate").sort((a, b) => a.name.localeCompare(b.name));
    expect(lts.map((l) => (l.inputs.vpcSecurityGroupIds ?? l.inputs.networkInterfaces[0].securityGroups).map(who))).toEqual([
      ["delta-h100-2027q1", "delta"],
      ["delta-l40s-2026q4", "delta"],
    ]);
    // EFA pools add the self-referencing egress rule EFA needs; others do not.
    const egress = ofType(r, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
      .map((e) => e.name)
      .sort();
    expect(egress).toEqual(["delta-h100-2027q1-efa-to-own-nodes", "delta-h100-2027q1-egress", "delta-l40s-2026q4-egress"]);
  });

  it("requires IMDSv2 with one hop and encrypts the root volume on every GPU node, and tags everything with its tenant and lease", async () => {
    const r = await tenantResources(IN_FORCE);
    for (const lt of ofType(r, "aws:ec2/launchTemplate:LaunchTemplate")) {
      expect(lt.inputs.metadataOptions, lt.name).toMatchObject({
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        httpEndpoint: "enabled",
      });
      expect(lt.inputs.blockDeviceMappings[0].ebs, lt.name).toMatchObject({ encrypted: "true", volumeType: "gp3" });
      expect(
        lt.inputs.tagSpecifications.map((t: any) => t.resourceType),
        lt.name,
      ).toEqual(["instance", "volume", "network-interface"]);
    }
    const resources = aws(r).filter((x) => !UNTAGGABLE_TYPES.has(x.type));
    expect(resources.length).toBeGreaterThan(10);
    for (const x of resources) {
      // The tenant's node group spans its leases and carries an empty lease tag.
      const lease = x.name.startsWith("delta-h100-2027q1")
        ? "delta-h100-2027q1"
        : x.name.startsWith("delta-l40s-2026q4")
          ? "delta-l40s-2026q4"
          : "";
      expect(x.inputs.tags, `${x.type} ${x.name}`).toMatchObject({
        "leasehold:tenant": "delta",
        "leasehold:lease": lease,
        "leasehold:stack": "tenant-delta",
      });
    }
  });
});

describe("AWS config refused at validation, naming the key", () => {
  const base = (cluster: string, pools: string) => `config:
  leasehold:role: platform
  leasehold:cluster: ${cluster}
  leasehold:pools:
${pools}`;
  const CLUSTER = `{provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b]}`;
  const problems = (text: string) => {
    const r = loadStackText("stacks/Pulumi.platform-aws.yaml", text);
    return r.ok ? [] : r.problems.map(formatProblem);
  };
  const F = "stacks/Pulumi.platform-aws.yaml";

  it("a placement group together with a capacity reservation", () => {
    expect(
      problems(
        base(
          CLUSTER,
          "    - {name: p, gpuType: h100-80gb, maxNodes: 2, placementGroup: true, capacityReservation: {id: cr-0123456789abcdef0, kind: odcr, availabilityZone: us-east-2a}}",
        ),
      ),
    ).toEqual([
      `${F}: leasehold:pools[0].placementGroup: must not be true together with a capacityReservation: a cluster placement group breaks the reservation's placement`,
    ]);
  });

  it("a capacity block without a reservation id (CAPACITY_BLOCK comes only from a reservation)", () => {
    expect(
      problems(base(CLUSTER, "    - {name: p, gpuType: h100-80gb, maxNodes: 2, capacityReservation: {kind: capacity-block}}"))[0],
    ).toMatch(/^stacks\/Pulumi\.platform-aws\.yaml: leasehold:pools\[0\]\.capacityReservation\.id: is required/);
    expect(problems(base(CLUSTER, "    - {name: p, gpuType: h100-80gb, maxNodes: 2, capacityType: CAPACITY_BLOCK}"))[0]).toContain(
      "leasehold:pools[0].capacityType: unknown key",
    );
  });

  it("an instance type that does not carry the GPU type", () => {
    expect(problems(base(CLUSTER, "    - {name: p, gpuType: h100-80gb, maxNodes: 2, instanceType: g6e.48xlarge}"))).toEqual([
      `${F}: leasehold:pools[0].instanceType: expected an instance type that carries h100-80gb (p5.48xlarge), got "g6e.48xlarge"`,
    ]);
  });

  it("fewer zones than the subnets need, or a VPC too small to cut them from", () => {
    expect(
      problems(
        base(`{provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a]}`, "    []"),
      )[0],
    ).toContain("leasehold:cluster.availabilityZones: expected at least two availability zones (EKS requires subnets in two)");
    expect(
      problems(
        base(
          `{provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/23, availabilityZones: [us-east-2a, us-east-2b]}`,
          "    []",
        ),
      ),
    ).toEqual([
      `${F}: leasehold:cluster.vpcCidr: is too small for 4 subnets (a private and a public one in each of 2 zones) of at least /24; expected a /22 or larger`,
    ]);
    expect(
      problems(
        base(
          CLUSTER,
          "    - {name: p, gpuType: h100-80gb, maxNodes: 2, capacityReservation: {id: cr-0123456789abcdef0, kind: odcr, availabilityZone: us-east-2c}}",
        ),
      ),
    ).toEqual([
      `${F}: leasehold:pools[0].capacityReservation.availabilityZone: expected one of the cluster's availability zones (us-east-2a, us-east-2b): the pool needs a subnet there, got "us-east-2c"`,
    ]);
    expect(
      problems(
        base(
          `{provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-west-2b]}`,
          "    []",
        ),
      ),
    ).toEqual([`${F}: leasehold:cluster.availabilityZones[1]: expected zones of one region (us-east-2), like the first, got "us-west-2b"`]);
  });

  it("a public endpoint without the blocks allowed to reach it, and an admin that is not an IAM ARN", () => {
    expect(
      problems(
        base(
          `{provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b], endpointAccess: public-and-private}`,
          "    []",
        ),
      )[0],
    ).toContain("leasehold:cluster.publicAccessCidrs: is required with endpointAccess: public-and-private");
    expect(
      problems(
        base(
          `{provider: eks, name: gpu-prod, version: "1.33", vpcCidr: 10.40.0.0/16, availabilityZones: [us-east-2a, us-east-2b], admins: [alice]}`,
          "    []",
        ),
      )[0],
    ).toContain(
      'leasehold:cluster.admins[0]: expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-admins, got "alice"',
    );
  });
});
