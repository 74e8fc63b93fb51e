import * as ipaddr from "ipaddr.js";
import type { GpuType } from "./catalog";
import type { Pool } from "./schema";

// The AWS side of the contract, without Pulumi: how the VPC is cut into subnets, the tags that
// charge every resource back to a tenant and a lease, and how many nodes a lease's node group has.

/** The smallest subnet (largest prefix) leasehold cuts: GPU nodes take many VPC CNI addresses. */
export const MAX_SUBNET_PREFIX = 24;

/** The region of an availability zone: `us-east-2a` -> `us-east-2`. */
export function regionOf(zone: string): string {
  return zone.replace(/[a-z]$/, "");
}

/** One availability zone's pair of subnets. */
export interface ZoneSubnets {
  /** The availability zone, e.g. `us-east-2a`. */
  zone: string;
  /** GPU and system nodes: no public IPs, egress through the zone's NAT gateway. */
  private: string;
  /** NAT gateways and load balancers only. */
  public: string;
}

/**
 * The VPC cut into one private and one public subnet per zone: equal blocks, the private ones
 * first. Returns a problem (a string) when the block is too small for them.
 */
export function subnetPlan(vpcCidr: string, zones: readonly string[]): ZoneSubnets[] | string {
  const [base, prefix] = ipaddr.parseCIDR(vpcCidr);
  const bits = Math.ceil(Math.log2(Math.max(2, zones.length * 2)));
  const sub = prefix + bits;
  if (sub > MAX_SUBNET_PREFIX) {
    const needed = MAX_SUBNET_PREFIX - bits;
    return `is too small for ${zones.length * 2} subnets (a private and a public one in each of ${zones.length} zones) of at least /${MAX_SUBNET_PREFIX}; expected a /${needed} or larger`;
  }
  const start = ipaddr.IPv4.networkAddressFromCIDR(`${base.toString()}/${prefix}`).toByteArray();
  const startInt = ((start[0]! << 24) >>> 0) + (start[1]! << 16) + (start[2]! << 8) + start[3]!;
  const size = 2 ** (32 - sub);
  const block = (i: number) => {
    const n = startInt + i * size;
    return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")}/${sub}`;
  };
  return zones.map((zone, i) => ({ zone, private: block(i), public: block(zones.length + i) }));
}

/** The chargeback tag keys on every taggable AWS resource. */
export const TAGS = { tenant: "leasehold:tenant", lease: "leasehold:lease", stack: "leasehold:stack" } as const;

/** The chargeback tags: the tenant and lease a resource is charged to ("" for the landlord's shared ones). */
export function chargeback(stack: string, tenant = "", lease = ""): Record<string, string> {
  return { [TAGS.tenant]: tenant, [TAGS.lease]: lease, [TAGS.stack]: stack };
}

/** The instance type of a pool: its own, or the catalog's first for its GPU type. */
export function poolInstanceType(pool: Pool, type: GpuType): string {
  return pool.instanceType ?? type.instanceTypes[0]!;
}

/** The EKS AMI type of GPU nodes: Amazon Linux 2023 with the NVIDIA driver. */
export const GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA";
/** The EKS AMI type of the landlord's system nodes. */
export const SYSTEM_AMI_TYPE = "AL2023_x86_64_STANDARD";
/** The default system node group. */
export const DEFAULT_SYSTEM_NODES = { instanceType: "m7i.xlarge", count: 2 } as const;

/** The managed IAM policies of the GPU and system node role, and nothing more. */
export const NODE_ROLE_POLICIES = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
] as const;
/** The managed IAM policy of the EKS cluster role. */
export const CLUSTER_ROLE_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
/** The EKS access policy given to the platform admins. */
export const CLUSTER_ADMIN_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/**
 * Network cards, hence EFA interfaces, per GPU instance type (AWS, "Supported instance types" of
 * Elastic Fabric Adapter and "Network cards" in the EC2 user guide). Others get one interface.
 */
export const EFA_INTERFACES: Readonly<Record<string, number>> = {
  "p6-b200.48xlarge": 8,
  "p5.48xlarge": 32,
  "p5e.48xlarge": 32,
  "p5en.48xlarge": 16,
  "p4d.24xlarge": 4,
  "p4de.24xlarge": 4,
};

/** EFA interfaces to attach to one node of `instanceType`. */
export function efaInterfaces(instanceType: string): number {
  return EFA_INTERFACES[instanceType] ?? 1;
}

/** AWS resource types that take no tags (the chargeback check skips them). */
export const UNTAGGABLE_TYPES: ReadonlySet<string> = new Set([
  "pulumi:providers:aws",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
]);
