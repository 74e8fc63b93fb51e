import { z } from "zod";
import { regionOf, subnetPlan } from "../../lease/aws";
import { cidr, dnsLabel, instant, isoInstant, positiveInt } from "../../lease/fields";
import { forceInterval } from "../../lease/lifecycle";
import { eksNamesProblems } from "../../lease/names";
import { CAPACITY_BLOCK_END_GRACE_MS, reservationLeaseWindow } from "../../lease/reservation";
import { OFFLINE_KUBECONFIG } from "../../programs/offline";
import { clusterBaseFields } from "../common";
import type { PlatformProvider } from "../types";

/** `leasehold:cluster` of an EKS cluster that the platform stack creates. */
export const eksClusterSchema = z.strictObject({
  /** `eks`: created by the platform stack. */
  provider: z.literal("eks"),
  /** The EKS cluster name (a DNS-1123 label). */
  name: dnsLabel,
  /** The Kubernetes minor version, such as "1.33". */
  version: z.string({ error: 'expected a Kubernetes version such as "1.33" (quoted)' }).regex(/^1\.\d{1,2}$/, {
    error: 'expected a Kubernetes version such as "1.33" (quoted)',
  }),
  /** The VPC's IPv4 CIDR. */
  vpcCidr: cidr.refine((v) => !v.includes(":"), { error: "expected an IPv4 CIDR such as 10.40.0.0/16" }),
  /** At least two availability zones (EKS requires subnets in two). */
  availabilityZones: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { error: "expected an availability zone such as us-east-2a" }), {
      error: "expected a list of availability zones",
    })
    .min(2, { error: "expected at least two availability zones (EKS requires subnets in two)" }),
  /** Who reaches the API server endpoint. @default private */
  endpointAccess: z.enum(["private", "public-and-private"], { error: "expected private or public-and-private" }).optional(),
  /** With a public endpoint: the IPv4 blocks allowed to reach it (required then, never implied to be everyone). */
  publicAccessCidrs: z.array(cidr, { error: "expected a list of CIDRs" }).optional(),
  /** IAM principal ARNs given cluster-admin through EKS access entries (never the aws-auth ConfigMap). */
  admins: z
    .array(
      z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)\/.+$/, {
        error: "expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-admins",
      }),
      {
        error: "expected a list of IAM principal ARNs",
      },
    )
    .optional(),
  /** The landlord's system nodes (CoreDNS and the like; no GPUs). @default { instanceType: m7i.xlarge, count: 2 } */
  systemNodes: z
    .strictObject({ instanceType: z.string({ error: "expected an EC2 instance type such as m7i.xlarge" }), count: positiveInt })
    .optional(),
  ...clusterBaseFields,
});

/** `leasehold:cluster` with `provider: eks`. */
export type EksCluster = z.infer<typeof eksClusterSchema>;

/**
 * `provider: eks`: an EKS cluster the platform stack creates (VPC, cluster, system nodes, GPU
 * node role). Pools are sized in nodes (`maxNodes`); each lease gets a managed node group of its
 * own in the tenant stack, so a lease takes whole nodes from its pool.
 */
export const eks: PlatformProvider<EksCluster> = {
  name: "eks",
  clusterSchema: eksClusterSchema,
  clusterRules(cluster, ctx) {
    const zones = cluster.availabilityZones;
    zones.forEach((z, i) => {
      if (zones.indexOf(z) !== i) ctx.add(["cluster", "availabilityZones", i], "expected each availability zone once", z);
      else if (regionOf(z) !== regionOf(zones[0]!))
        ctx.add(["cluster", "availabilityZones", i], `expected zones of one region (${regionOf(zones[0]!)}), like the first`, z);
    });
    const plan = subnetPlan(cluster.vpcCidr, zones);
    if (typeof plan === "string") ctx.add(["cluster", "vpcCidr"], plan, cluster.vpcCidr);
    const publicEndpoint = cluster.endpointAccess === "public-and-private";
    if (publicEndpoint && !cluster.publicAccessCidrs?.length) {
      ctx.add(
        ["cluster", "publicAccessCidrs"],
        "is required with endpointAccess: public-and-private (the blocks allowed to reach the API server; never implied to be everyone)",
        cluster.publicAccessCidrs,
      );
    }
    if (!publicEndpoint && cluster.publicAccessCidrs !== undefined) {
      ctx.add(
        ["cluster", "publicAccessCidrs"],
        "is only for endpointAccess: public-and-private (the endpoint is private)",
        cluster.publicAccessCidrs,
      );
    }
  },
  poolRules(cluster, pools, catalog, ctx) {
    const zones = cluster.availabilityZones;
    const reservationPool = new Map<string, string>();
    pools.forEach((pool, i) => {
      if (!pool) return;
      const type = catalog[pool.gpuType];
      if (pool.nodes !== undefined)
        ctx.add(["pools", i, "nodes"], "is only for provider: existing; EKS pools get their nodes from maxNodes", pool.nodes);
      if (pool.maxNodes === undefined)
        ctx.add(["pools", i, "maxNodes"], "is required for an EKS pool (expected a positive integer)", undefined);
      if (type && pool.instanceType !== undefined && !type.instanceTypes.includes(pool.instanceType)) {
        ctx.add(
          ["pools", i, "instanceType"],
          `expected an instance type that carries ${pool.gpuType} (${type.instanceTypes.join(", ") || "none in the catalog"})`,
          pool.instanceType,
        );
      }
      if (type && pool.instanceType === undefined && type.instanceTypes.length === 0) {
        ctx.add(["pools", i, "instanceType"], `is required: the catalog names no instance type for ${pool.gpuType}`, undefined);
      }
      const reservationZone = pool.capacityReservation?.availabilityZone;
      if (pool.capacityReservation) {
        // A reservation lives in one zone; a node group spread over the others would launch outside it.
        if (reservationZone === undefined) {
          ctx.add(
            ["pools", i, "capacityReservation", "availabilityZone"],
            `is required: a capacity reservation lives in one availability zone, and the pool's nodes launch only in that zone's subnet (one of ${zones.join(", ")})`,
            undefined,
          );
        } else if (!zones.includes(reservationZone)) {
          ctx.add(
            ["pools", i, "capacityReservation", "availabilityZone"],
            `expected one of the cluster's availability zones (${zones.join(", ")}): the pool needs a subnet there`,
            reservationZone,
          );
        }
      }
      const r = pool.capacityReservation;
      if (r) {
        const at = (k: "start" | "end") => ["pools", i, "capacityReservation", k];
        if (r.kind === "capacity-block") {
          for (const k of ["start", "end"] as const) {
            if (r[k] === undefined) ctx.add(at(k), "is required for a capacity block (its window, RFC 3339, as EC2 sold it)", undefined);
          }
        }
        if (r.start !== undefined && r.end !== undefined) {
          const length = instant(r.end) - instant(r.start);
          if (length <= 0) ctx.add(at("end"), `must be after start (${r.start})`, r.end);
          else if (r.kind === "capacity-block" && length <= CAPACITY_BLOCK_END_GRACE_MS) {
            ctx.add(
              at("end"),
              `must be more than 30 minutes after start (${r.start}): EC2 begins terminating a capacity block's instances 30 minutes before its end, so no lease could run in it`,
              r.end,
            );
          }
        }
        // One reservation, one pool: two pools would each claim all of it (and the report count it twice).
        const first = reservationPool.get(r.id);
        if (first !== undefined) {
          ctx.add(
            ["pools", i, "capacityReservation", "id"],
            `expected a reservation on one pool only, but pool ${first} launches into it too`,
            r.id,
          );
        } else reservationPool.set(r.id, pool.name);
      }
      if (pool.placementGroup && pool.capacityReservation) {
        ctx.add(
          ["pools", i, "placementGroup"],
          "must not be true together with a capacityReservation: a cluster placement group breaks the reservation's placement",
          true,
        );
      }
    });
  },
  capacityUnit: "nodes",
  poolNodes: (pool) => pool.maxNodes ?? 0,
  leaseNodes: "provisioned",
  leaseRules({ platform, pool, index, lease, report }) {
    if (lease.placement.nodes !== undefined) {
      report(
        ["leasehold:leases", index, "placement", "nodes"],
        `is only for existing clusters: on EKS (platform ${platform.name}) the lease gets a node group of its own`,
      );
    }
    const r = pool.capacityReservation;
    if (r) {
      // The lease's node group launches into the reservation, which exists only in its window.
      const window = reservationLeaseWindow(r);
      const force = forceInterval(lease);
      const what = `pool ${pool.name} launches into ${r.kind === "capacity-block" ? "capacity block" : "capacity reservation"} ${r.id}`;
      if (force.to > force.from && force.from < window.from) {
        report(
          ["leasehold:leases", index, "window", "start"],
          `${what}, which begins at ${r.start}: expected a start at or after it, got ${lease.window.start}`,
        );
      }
      if (force.to > force.from && force.to > window.to) {
        // The lease's end as written: its window's, or the reclaim's that cuts it short.
        const notice = lease.reclaim.notice;
        const until = notice && instant(notice.effectiveAt) < instant(lease.window.end) ? notice.effectiveAt : lease.window.end;
        report(
          ["leasehold:leases", index, "window", "end"],
          r.kind === "capacity-block"
            ? `${what}, which ends at ${r.end}; EC2 begins terminating its instances 30 minutes before, so expected the lease to end by ${isoInstant(window.to)}, but it is in force until ${until}`
            : `${what}, which ends at ${r.end}: expected the lease to end by then, but it is in force until ${until}`,
        );
      }
    }
    return [];
  },
  tenantProblems: eksNamesProblems,
  offlineOutputs: (cluster) => ({
    kubeconfig: OFFLINE_KUBECONFIG,
    clusterName: cluster.name,
    vpcId: "vpc-offline",
    clusterSecurityGroupId: "sg-offline-cluster",
    nodeRoleArn: "arn:aws:iam::000000000000:role/offline-node-role",
    privateSubnetIds: cluster.availabilityZones.map((z) => `subnet-offline-${z}`),
  }),
  program: () => (require("./program") as typeof import("./program")).eksProgram,
  policy: () => (require("./policy") as typeof import("./policy")).eksPolicy,
};
