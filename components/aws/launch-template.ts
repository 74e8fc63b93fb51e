import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** Options of {@link nodeLaunchTemplateArgs}. */
export interface NodeLaunchTemplateOptions {
  /** AWS tags of the template and of the instances, volumes and network interfaces launched from it. */
  tags: Record<string, string>;
  /** Root volume size, GiB. */
  volumeGiB: number;
  /** The EC2 instance type. @default none in the template (the node group gives it) */
  instanceType?: string;
  /** Security groups of the nodes (on the network interfaces when EFA is on). */
  securityGroupIds?: pulumi.Input<string>[];
  /** EFA interfaces: one per network card the instance type has. */
  efaInterfaces?: number;
  /** The name of a placement group to launch into. @default none */
  placementGroup?: pulumi.Input<string>;
  /** A capacity reservation to launch into; a capacity block also needs the capacity-block market. */
  reservation?: { id: string; kind: "capacity-block" | "odcr" };
}

/**
 * Launch template arguments every node of the platform shares: IMDSv2 required with a hop limit
 * of 1 (pods cannot reach the node's credentials), an encrypted gp3 root volume, and the
 * chargeback tags carried onto the instances, volumes and interfaces the node group launches.
 */
export function nodeLaunchTemplateArgs(o: NodeLaunchTemplateOptions): aws.ec2.LaunchTemplateArgs {
  const efa = o.efaInterfaces ?? 0;
  return {
    ...(o.instanceType ? { instanceType: o.instanceType } : {}),
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
    blockDeviceMappings: [
      { deviceName: "/dev/xvda", ebs: { volumeSize: o.volumeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
    ],
    ...(efa > 0
      ? {
          networkInterfaces: Array.from({ length: efa }, (_, i) => ({
            deviceIndex: i === 0 ? 0 : 1,
            networkCardIndex: i,
            interfaceType: "efa",
            deleteOnTermination: "true",
            securityGroups: o.securityGroupIds,
          })),
        }
      : o.securityGroupIds
        ? { vpcSecurityGroupIds: o.securityGroupIds }
        : {}),
    ...(o.placementGroup ? { placement: { groupName: o.placementGroup } } : {}),
    ...(o.reservation
      ? {
          capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: o.reservation.id } },
          ...(o.reservation.kind === "capacity-block" ? { instanceMarketOptions: { marketType: "capacity-block" } } : {}),
        }
      : {}),
    tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags: o.tags })),
    tags: o.tags,
  };
}
