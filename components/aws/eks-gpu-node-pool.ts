import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { chargeback, efaInterfaces, GPU_AMI_TYPE, poolInstanceType } from "../../lease/aws";
import { gpuTypeSchema, nodesFor, type GpuType } from "../../lease/catalog";
import { inForce, leaseState, type LeaseState } from "../../lease/lifecycle";
import { DESCRIPTIONS, leasePoolChildren, NAME_TAGS } from "../../lease/names";
import { leaseSchema, poolSchema, type Lease, type Pool } from "../../lease/schema";
import { LABELS, TENANT_TAINT_KEY } from "../../lease/tenancy";
import { nodeLaunchTemplateArgs } from "./launch-template";
import { z } from "zod";
import { dnsLabel } from "../../lease/fields";
import { checkArguments, deployInstantCheck } from "../arguments";

/** The platform's EKS cluster as a tenant stack sees it (the platform stack's outputs). */
export interface EksPlatformRef {
  /** The EKS cluster's name. */
  clusterName: pulumi.Input<string>;
  /** The cluster's VPC, where the lease's security group is made. */
  vpcId: pulumi.Input<string>;
  /** The security group EKS gives the control plane and the system nodes. */
  clusterSecurityGroupId: pulumi.Input<string>;
  /** The ARN of the IAM role GPU node groups use. */
  nodeRoleArn: pulumi.Input<string>;
  /** Private subnet ids in the order of `zones`. */
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The cluster's availability zones; a placement group or EFA pool without a reservation uses the first. */
  zones: readonly string[];
}

/** Arguments of {@link EksGpuNodePool}. */
export interface EksGpuNodePoolArgs {
  /** The tenant stack's name (chargeback tag). */
  stack: string;
  /** The tenant's name, a DNS-1123 label. */
  tenant: string;
  /** The lease whose nodes the group holds. */
  lease: Lease;
  /** The platform pool the lease is placed on. */
  pool: Pool;
  /** The catalog entry of the lease's GPU type. */
  gpuType: GpuType;
  /** The platform's cluster, from the platform stack's outputs. */
  platform: EksPlatformRef;
  /** The tenant's node security group ({@link TenantNodeNetwork}), carried beside the lease's own. */
  tenantSecurityGroupId?: pulumi.Input<string>;
  /** The deploy instant, epoch milliseconds. */
  at: number;
}

/** What sizes a lease's node group at an instant: its nodes while in force, zero otherwise. */
export function nodeGroupScaling(lease: Lease, type: GpuType, at: number): { desiredSize: number; minSize: number; maxSize: number } {
  const n = inForce(lease, at) ? nodesFor(lease.gpu.count, type.gpusPerNode) : 0;
  // EKS wants maxSize >= 1 even for an empty group.
  return { desiredSize: n, minSize: n, maxSize: Math.max(1, n) };
}

/**
 * One lease's GPU nodes on EKS: a managed node group of the pool's instance type (AL2023 NVIDIA
 * AMI) with the lease's labels and taint, sized ceil(GPUs / GPUs per node) while the lease is in
 * force and scaled to zero once it is reclaimed or ended. A launch template requires IMDSv2 with
 * one hop, encrypts the root volume, launches into the pool's capacity reservation (a capacity
 * block through the capacity-block market and CAPACITY_BLOCK capacity) and attaches EFA
 * interfaces or a cluster placement group when the pool asks.
 *
 * The lease's own security group accepts traffic only from the control plane and its own nodes;
 * the tenant's group (when given) adds the tenant's other leases. Another tenant's nodes cannot
 * reach these at the VPC layer.
 */
export class EksGpuNodePool extends pulumi.ComponentResource {
  /** The managed node group's name, as EKS has it. */
  public readonly nodeGroupName: pulumi.Output<string>;
  /** The lease's own node security group (control plane and the lease's nodes only). */
  public readonly securityGroupId: pulumi.Output<string>;
  /** The lease's state at the deploy instant. */
  public readonly state: pulumi.Output<LeaseState>;
  /** Nodes the group is sized to: ⌈GPUs / GPUs per node⌉ while the lease is in force, else 0. */
  public readonly desiredNodes: pulumi.Output<number>;

  constructor(name: string, args: EksGpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("EksGpuNodePool", name, [
      { path: "stack", value: args.stack, schema: z.string().min(1) },
      { path: "tenant", value: args.tenant, schema: dnsLabel },
      { path: "lease", value: args.lease, schema: leaseSchema },
      { path: "pool", value: args.pool, schema: poolSchema },
      { path: "gpuType", value: args.gpuType, schema: gpuTypeSchema },
      {
        path: "pool.gpuType",
        problem:
          args.pool?.gpuType === args.lease?.gpu?.type
            ? undefined
            : `expected the lease's GPU type ${String(args.lease?.gpu?.type)}, got ${String(args.pool?.gpuType)}`,
      },
      deployInstantCheck(args.at),
    ]);
    super("leasehold:aws:GpuNodePool", name, {}, opts);
    const { lease, pool, gpuType, platform, tenant } = args;
    const own = { parent: this };
    const tags = { ...chargeback(args.stack, tenant, lease.id), Name: NAME_TAGS.lease(tenant, lease.id) };
    // Names checked against their limits at validate/check time (lease/names.ts).
    const named = leasePoolChildren(name);
    const instanceType = poolInstanceType(pool, gpuType);

    const sg = new aws.ec2.SecurityGroup(
      named.securityGroup,
      { vpcId: platform.vpcId, description: DESCRIPTIONS.leaseGroup(tenant, lease.id), tags },
      own,
    );
    const all = { ipProtocol: "-1" };
    // Descriptions keep to the characters EC2 accepts in them (no apostrophes).
    const rules: pulumi.Resource[] = [
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-own-nodes`,
        { securityGroupId: sg.id, referencedSecurityGroupId: sg.id, description: DESCRIPTIONS.leaseOwnNodes(lease.id), ...all, tags },
        own,
      ),
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-control-plane`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: platform.clusterSecurityGroupId,
          description: "the control plane and the system nodes of the landlord",
          ...all,
          tags,
        },
        own,
      ),
      // The control plane and system nodes (DNS) accept the lease's nodes; that rule lives on the cluster's group.
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-to-control-plane`,
        {
          securityGroupId: platform.clusterSecurityGroupId,
          referencedSecurityGroupId: sg.id,
          description: DESCRIPTIONS.leaseOwnNodes(lease.id),
          ...all,
          tags,
        },
        own,
      ),
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-egress`,
        { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", description: "images, the API server and the outside through NAT", ...all, tags },
        own,
      ),
    ];
    if (pool.efa) {
      // EFA's OS-bypass traffic needs all traffic to and from the group itself, both ways.
      rules.push(
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-efa-to-own-nodes`,
          { securityGroupId: sg.id, referencedSecurityGroupId: sg.id, description: DESCRIPTIONS.leaseEfa(lease.id), ...all, tags },
          own,
        ),
      );
    }

    const placement = pool.placementGroup
      ? new aws.ec2.PlacementGroup(named.placementGroup, { strategy: "cluster", tags }, own)
      : undefined;
    const template = new aws.ec2.LaunchTemplate(
      named.launchTemplate,
      nodeLaunchTemplateArgs({
        tags,
        volumeGiB: 500,
        instanceType,
        securityGroupIds: args.tenantSecurityGroupId === undefined ? [sg.id] : [sg.id, args.tenantSecurityGroupId],
        efaInterfaces: pool.efa ? efaInterfaces(instanceType) : 0,
        placementGroup: placement?.name,
        reservation: pool.capacityReservation,
      }),
      own,
    );
    // A reservation or a cluster placement group lives in one zone, and EFA's OS-bypass traffic
    // does not leave its subnet: such a group gets one zone's subnet.
    const zone = pool.capacityReservation?.availabilityZone ?? (pool.placementGroup || pool.efa ? platform.zones[0] : undefined);
    const subnetIds = pulumi
      .output(platform.privateSubnetIds)
      .apply((ids) => (zone === undefined ? ids : [ids[platform.zones.indexOf(zone)]!]));
    const scaling = nodeGroupScaling(lease, gpuType, args.at);
    const group = new aws.eks.NodeGroup(
      named.nodeGroup,
      {
        clusterName: platform.clusterName,
        nodeRoleArn: platform.nodeRoleArn,
        subnetIds,
        amiType: GPU_AMI_TYPE,
        capacityType: pool.capacityReservation?.kind === "capacity-block" ? "CAPACITY_BLOCK" : "ON_DEMAND",
        scalingConfig: scaling,
        launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
        labels: {
          [LABELS.lease]: lease.id,
          [LABELS.tenant]: tenant,
          "leasehold.io/pool": pool.name,
          "leasehold.io/gpu-type": lease.gpu.type,
        },
        // The tenant's taint, as on an existing cluster's nodes: tenant pods tolerate their tenant.
        taints: [{ key: TENANT_TAINT_KEY, value: tenant, effect: "NO_EXECUTE" }],
        updateConfig: { maxUnavailable: 1 },
        tags,
      },
      // Nodes that boot before their rules exist cannot reach the API server and fail to join.
      { ...own, dependsOn: rules },
    );
    this.nodeGroupName = group.nodeGroupName;
    this.securityGroupId = sg.id;
    this.state = pulumi.output(leaseState(lease, args.at));
    this.desiredNodes = pulumi.output(scaling.desiredSize);
    this.registerOutputs({
      nodeGroupName: this.nodeGroupName,
      securityGroupId: this.securityGroupId,
      state: this.state,
      desiredNodes: this.desiredNodes,
    });
  }
}
