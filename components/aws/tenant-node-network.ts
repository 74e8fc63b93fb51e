import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { chargeback } from "../../lease/aws";
import { DESCRIPTIONS, NAME_TAGS, tenantNetworkGroup } from "../../lease/names";
import { z } from "zod";
import { dnsLabel } from "../../lease/fields";
import { checkArguments } from "../arguments";

/** Arguments of {@link TenantNodeNetwork}. */
export interface TenantNodeNetworkArgs {
  /** The tenant stack's name (chargeback tag). */
  stack: string;
  /** The tenant's name, a DNS-1123 label. */
  tenant: string;
  /** The cluster's VPC, where the security group is made. */
  vpcId: pulumi.Input<string>;
}

/**
 * The security group every GPU node of one tenant carries beside its lease's own group: it
 * accepts traffic from the tenant's other nodes, so pods of one namespace reach each other across
 * the tenant's leases (a job spanning a renewal, or two pools) while another tenant's nodes stay
 * shut out at the VPC layer. Lease-scoped rules (the control plane, EFA) stay on the lease group.
 */
export class TenantNodeNetwork extends pulumi.ComponentResource {
  /** The tenant's node security group. */
  public readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: TenantNodeNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("TenantNodeNetwork", name, [
      { path: "stack", value: args.stack, schema: z.string().min(1) },
      { path: "tenant", value: args.tenant, schema: dnsLabel },
    ]);
    super("leasehold:aws:TenantNodeNetwork", name, {}, opts);
    const own = { parent: this };
    const tags = { ...chargeback(args.stack, args.tenant), Name: NAME_TAGS.tenant(args.tenant) };
    const sg = new aws.ec2.SecurityGroup(
      tenantNetworkGroup(name),
      { vpcId: args.vpcId, description: DESCRIPTIONS.tenantGroup(args.tenant), tags },
      own,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-tenant-nodes`,
      {
        securityGroupId: sg.id,
        referencedSecurityGroupId: sg.id,
        ipProtocol: "-1",
        description: DESCRIPTIONS.tenantOwnNodes(args.tenant),
        tags,
      },
      own,
    );
    this.securityGroupId = sg.id;
    this.registerOutputs({ securityGroupId: this.securityGroupId });
  }
}
