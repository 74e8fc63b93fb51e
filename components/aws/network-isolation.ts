import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ZoneSubnets } from "../../lease/aws";
import { cidr, dnsLabel } from "../../lease/fields";
import { checkArguments } from "../arguments";

/** Arguments of {@link NetworkIsolation}. */
export interface NetworkIsolationArgs {
  /** The VPC's IPv4 block. */
  vpcCidr: string;
  /** The subnets of each zone (`subnetPlan`). */
  subnets: readonly ZoneSubnets[];
  /** The EKS cluster's name, for the subnet discovery tags of load balancers. */
  clusterName: string;
  /** Chargeback tags for every resource. */
  tags: Record<string, string>;
}

/**
 * The platform's VPC: in each availability zone a private subnet for nodes (no public IPs, egress
 * through the zone's NAT gateway) and a public subnet for the NAT gateway and load balancers only.
 * Tenant isolation at the VPC layer lives in the tenant stacks: each lease's node group has a
 * security group of its own, and each tenant one across its leases (see the EKS GpuNodePool and
 * TenantNodeNetwork), so no tenant's nodes accept another tenant's traffic.
 */
export class NetworkIsolation extends pulumi.ComponentResource {
  /** The VPC's id. */
  public readonly vpcId: pulumi.Output<string>;
  /** Private subnet ids, in the order of the zones. */
  public readonly privateSubnetIds: pulumi.Output<string>[];
  /** Public subnet ids, in the order of the zones. */
  public readonly publicSubnetIds: pulumi.Output<string>[];

  constructor(name: string, args: NetworkIsolationArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("NetworkIsolation", name, [
      { path: "vpcCidr", value: args.vpcCidr, schema: cidr },
      {
        path: "subnets",
        problem:
          Array.isArray(args.subnets) && args.subnets.length >= 2 ? undefined : "expected the subnets of at least two zones (subnetPlan)",
      },
      { path: "clusterName", value: args.clusterName, schema: dnsLabel },
    ]);
    super("leasehold:aws:NetworkIsolation", name, {}, opts);
    const { tags } = args;
    const own = { parent: this };
    const named = (n: string) => ({ ...tags, Name: n });
    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: named(`${name}-vpc`) },
      own,
    );
    // The VPC's default security group allows all traffic among its members: empty it, so nothing
    // that lands in it by default talks to anything.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: vpc.id, ingress: [], egress: [], tags: named(`${name}-default-sg`) },
      own,
    );
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: named(`${name}-igw`) }, own);
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: named(`${name}-public`) },
      own,
    );
    const elbRole = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };

    this.privateSubnetIds = [];
    this.publicSubnetIds = [];
    for (const z of args.subnets) {
      const pub = new aws.ec2.Subnet(
        `${name}-public-${z.zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: z.public,
          availabilityZone: z.zone,
          mapPublicIpOnLaunch: false,
          tags: { ...named(`${name}-public-${z.zone}`), ...elbRole, "kubernetes.io/role/elb": "1" },
        },
        own,
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${z.zone}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, own);
      const eip = new aws.ec2.Eip(`${name}-nat-${z.zone}`, { domain: "vpc", tags: named(`${name}-nat-${z.zone}`) }, own);
      const nat = new aws.ec2.NatGateway(
        `${name}-nat-${z.zone}`,
        { allocationId: eip.id, subnetId: pub.id, tags: named(`${name}-nat-${z.zone}`) },
        { ...own, dependsOn: [igw] },
      );
      const priv = new aws.ec2.Subnet(
        `${name}-private-${z.zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: z.private,
          availabilityZone: z.zone,
          mapPublicIpOnLaunch: false,
          tags: { ...named(`${name}-private-${z.zone}`), ...elbRole, "kubernetes.io/role/internal-elb": "1" },
        },
        own,
      );
      const privateRoutes = new aws.ec2.RouteTable(
        `${name}-private-${z.zone}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: named(`${name}-private-${z.zone}`) },
        own,
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${z.zone}`, { subnetId: priv.id, routeTableId: privateRoutes.id }, own);
      this.privateSubnetIds.push(priv.id);
      this.publicSubnetIds.push(pub.id);
    }
    this.vpcId = vpc.id;
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }
}
