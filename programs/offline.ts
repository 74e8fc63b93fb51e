import { stringify } from "yaml";
import type { PlatformStack } from "../lease/load";

// What a platform stack's outputs look like to a program run with no cluster and no cloud
// (`leasehold render`, unit tests): placeholders that name themselves as offline.

/** A kubeconfig that reaches nothing. */
export const OFFLINE_KUBECONFIG = stringify({
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "offline", cluster: { server: "https://offline.invalid" } }],
  users: [{ name: "offline", user: {} }],
  contexts: [{ name: "offline", context: { cluster: "offline", user: "offline" } }],
  "current-context": "offline",
});

/** The outputs a tenant stack reads from its platform, as placeholders. */
export function offlinePlatformOutputs(platform: PlatformStack): Record<string, unknown> {
  const cluster = platform.config.cluster;
  if (cluster.provider !== "eks") return { kubeconfig: OFFLINE_KUBECONFIG };
  return {
    kubeconfig: OFFLINE_KUBECONFIG,
    clusterName: cluster.name,
    vpcId: "vpc-offline",
    clusterSecurityGroupId: "sg-offline-cluster",
    nodeRoleArn: "arn:aws:iam::000000000000:role/offline-node-role",
    privateSubnetIds: cluster.availabilityZones.map((z) => `subnet-offline-${z}`),
  };
}
