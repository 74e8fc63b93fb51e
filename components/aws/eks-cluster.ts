import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import {
  CLUSTER_ADMIN_ACCESS_POLICY,
  CLUSTER_ROLE_POLICY,
  DEFAULT_SYSTEM_NODES,
  NODE_ROLE_POLICIES,
  SYSTEM_AMI_TYPE,
} from "../../lease/aws";
import { nodeLaunchTemplateArgs } from "./launch-template";
import { eksClusterSchema } from "../../providers/eks";
import { checkArguments } from "../arguments";

/** Arguments of {@link EksCluster}. */
export interface EksClusterArgs {
  /** The EKS cluster name, a DNS-1123 label. */
  name: string;
  /** Kubernetes minor version, e.g. "1.33". */
  version: string;
  /** The AWS region, e.g. `us-east-2`; the kubeconfig's `aws eks get-token` asks it for tokens. */
  region: string;
  /** The VPC of `privateSubnetIds`; the component does not read it (the subnets place the cluster). */
  vpcId: pulumi.Input<string>;
  /** The private subnets (one per zone) the control plane's interfaces and the nodes use. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Who reaches the API server endpoint. @default private */
  endpointAccess?: "private" | "public-and-private";
  /** With `public-and-private`: the IPv4 blocks allowed to reach the public endpoint; ignored with a private endpoint. */
  publicAccessCidrs?: string[];
  /**
   * IAM principal ARNs given cluster-admin through access entries (not the principal that creates
   * the cluster: it has cluster-admin already).
   */
  admins?: string[];
  /** The system node group: its EC2 instance type and node count (fixed size). @default DEFAULT_SYSTEM_NODES (2 x m7i.xlarge) */
  systemNodes?: { instanceType: string; count: number };
  /** AWS tags of every resource it creates that takes tags. */
  tags: Record<string, string>;
}

/** Where the VPC CNI is told to enforce Kubernetes NetworkPolicies. */
export const VPC_CNI_CONFIGURATION = JSON.stringify({ enableNetworkPolicy: "true" });

/**
 * An EKS cluster for leased GPUs: the control plane (private endpoint by default), authentication
 * by access entries only (never the aws-auth ConfigMap) with cluster-admin for the platform
 * admins, the VPC CNI enforcing NetworkPolicies, a small system node group for the landlord's
 * add-ons, the IAM role GPU node groups use, and an explicit Kubernetes provider.
 */
export class EksCluster extends pulumi.ComponentResource {
  /** The EKS cluster's name, as created (`args.name`). */
  public readonly clusterName: pulumi.Output<string>;
  /** The security group EKS gives the control plane (and the system nodes). */
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  /** The IAM role of GPU node groups. */
  public readonly nodeRoleArn: pulumi.Output<string>;
  /** A kubeconfig that authenticates with `aws eks get-token`. Secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The explicit Kubernetes provider of the cluster, through `kubeconfig`. */
  public readonly provider: k8s.Provider;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("EksCluster", name, [
      { path: "name", value: args.name, schema: eksClusterSchema.shape.name },
      { path: "version", value: args.version, schema: eksClusterSchema.shape.version },
      { path: "endpointAccess", value: args.endpointAccess, schema: eksClusterSchema.shape.endpointAccess },
      { path: "publicAccessCidrs", value: args.publicAccessCidrs, schema: eksClusterSchema.shape.publicAccessCidrs },
      { path: "admins", value: args.admins, schema: eksClusterSchema.shape.admins },
      { path: "systemNodes", value: args.systemNodes, schema: eksClusterSchema.shape.systemNodes },
    ]);
    super("leasehold:aws:Cluster", name, {}, opts);
    const own = { parent: this };
    const tags = args.tags;
    const assume = (service: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: service },
            Action: ["sts:AssumeRole", ...(service === "eks.amazonaws.com" ? ["sts:TagSession"] : [])],
          },
        ],
      });

    const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assume("eks.amazonaws.com"), tags }, own);
    const clusterPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-cluster-policy`,
      { role: clusterRole.name, policyArn: CLUSTER_ROLE_POLICY },
      own,
    );
    const publicEndpoint = args.endpointAccess === "public-and-private";
    const cluster = new aws.eks.Cluster(
      `${name}-eks`,
      {
        name: args.name,
        version: args.version,
        roleArn: clusterRole.arn,
        vpcConfig: {
          subnetIds: args.privateSubnetIds,
          endpointPrivateAccess: true,
          endpointPublicAccess: publicEndpoint,
          ...(publicEndpoint ? { publicAccessCidrs: args.publicAccessCidrs } : {}),
        },
        // Fixed, never derived from `admins`: EKS replaces the cluster when this changes. The creator
        // (the principal running `pulumi up`) keeps cluster-admin, which the provider below uses.
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
        tags,
      },
      { ...own, dependsOn: [clusterPolicy] },
    );
    const access: pulumi.Resource[] = [];
    for (const [i, principal] of (args.admins ?? []).entries()) {
      const entry = new aws.eks.AccessEntry(
        `${name}-admin-${i}`,
        { clusterName: cluster.name, principalArn: principal, type: "STANDARD", tags },
        own,
      );
      const association = new aws.eks.AccessPolicyAssociation(
        `${name}-admin-${i}`,
        { clusterName: cluster.name, principalArn: principal, policyArn: CLUSTER_ADMIN_ACCESS_POLICY, accessScope: { type: "cluster" } },
        { ...own, dependsOn: [entry] },
      );
      access.push(association);
    }
    const vpcCni = new aws.eks.Addon(
      `${name}-vpc-cni`,
      {
        clusterName: cluster.name,
        addonName: "vpc-cni",
        configurationValues: VPC_CNI_CONFIGURATION,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        tags,
      },
      own,
    );

    const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assume("ec2.amazonaws.com"), tags }, own);
    const nodePolicies = NODE_ROLE_POLICIES.map(
      (arn) => new aws.iam.RolePolicyAttachment(`${name}-node-${arn.split("/").pop()}`, { role: nodeRole.name, policyArn: arn }, own),
    );
    const system = args.systemNodes ?? DEFAULT_SYSTEM_NODES;
    const systemTemplate = new aws.ec2.LaunchTemplate(`${name}-system`, nodeLaunchTemplateArgs({ tags, volumeGiB: 100 }), own);
    new aws.eks.NodeGroup(
      `${name}-system`,
      {
        clusterName: cluster.name,
        nodeRoleArn: nodeRole.arn,
        subnetIds: args.privateSubnetIds,
        amiType: SYSTEM_AMI_TYPE,
        instanceTypes: [system.instanceType],
        capacityType: "ON_DEMAND",
        scalingConfig: { desiredSize: system.count, minSize: system.count, maxSize: system.count },
        launchTemplate: { id: systemTemplate.id, version: pulumi.interpolate`${systemTemplate.latestVersion}` },
        labels: { "leasehold.io/role": "system" },
        tags,
      },
      { ...own, dependsOn: nodePolicies },
    );

    this.clusterName = cluster.name;
    this.clusterSecurityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId ?? "");
    this.nodeRoleArn = nodeRole.arn;
    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([clusterName, endpoint, ca]) =>
        stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": ca?.data ?? "" } }],
          users: [
            {
              name: clusterName,
              user: {
                exec: {
                  apiVersion: "client.authentication.k8s.io/v1beta1",
                  command: "aws",
                  args: ["eks", "get-token", "--cluster-name", clusterName, "--region", args.region],
                  interactiveMode: "Never",
                },
              },
            },
          ],
          contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
          "current-context": clusterName,
        }),
      ),
    );
    // Kubernetes objects wait for the admins' access and for the CNI that enforces their NetworkPolicies.
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { ...own, dependsOn: [...access, vpcCni] },
    );
    this.registerOutputs({
      clusterName: this.clusterName,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      nodeRoleArn: this.nodeRoleArn,
      kubeconfig: this.kubeconfig,
    });
  }
}
