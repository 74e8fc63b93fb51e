import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { clusterSchemaOf, providerOf, type ClusterConfig } from "../providers";
import { leasesBlockingPurge, purgeBlocker } from "./lifecycle";
import { METADATA_CIDRS } from "./metadata";
import { nodeSet } from "./node-set";
import { BUILTIN_CATALOG, gpuTypeSchema, mergeCatalog, partialGpuTypeSchema, perGpuSchema } from "./catalog";
import {
  cidr,
  cidrFamily,
  cidrStrictlyInside,
  dnsLabel,
  HOUR_MS,
  instant,
  port,
  positiveInt,
  quantity,
  rfc3339,
  rfc3339Error,
  subjectName,
  tenantName,
} from "./fields";

// The stack config of DESIGN.md, as one set of schemas shared by the program, the CLI and the
// policy pack. Objects are strict: an unknown key is an error, so a typo never passes silently.

/** Adds an issue at `path` (relative to the refined value) with the offending value. */
function issue(ctx: z.RefinementCtx, path: (string | number)[], message: string, input: unknown): void {
  ctx.addIssue({ code: "custom", path, message, input });
}

/** Reports the second and later occurrences of a key in a list. */
function uniqueIn<T>(
  ctx: IssueSink,
  items: readonly T[],
  key: (t: T) => string | undefined,
  path: (i: number) => (string | number)[],
  what: string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else ctx.add(path(i), `expected a unique ${what}, but [${first}] has it too`, k);
  });
}

// ---------------------------------------------------------------- platform

/** A capacity reservation that an EKS pool launches into. */
export const capacityReservationSchema = z.strictObject({
  /** The reservation id, `cr-` and 8 or 17 hex digits. */
  id: z.string().regex(/^cr-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: "expected a capacity reservation id such as cr-0123456789abcdef0" }),
  /** `capacity-block` (EC2 Capacity Blocks for ML) or `odcr` (an On-Demand Capacity Reservation). */
  kind: z.enum(["capacity-block", "odcr"], { error: "expected capacity-block or odcr" }),
  /** The reservation's availability zone (one of the cluster's; required on EKS): the pool's nodes launch only there. */
  availabilityZone: z.string({ error: "expected an availability zone such as us-east-2a" }).optional(),
  /** When the reservation begins, RFC 3339. Required for a capacity block; an odcr without it is active already. */
  start: rfc3339.optional(),
  /**
   * When the reservation ends, RFC 3339. Required for a capacity block, whose instances EC2 begins
   * terminating 30 minutes before it (lease/reservation.ts); an odcr without it has an open end.
   */
  end: rfc3339.optional(),
});

/** A pool's capacity reservation. */
export type CapacityReservation = z.infer<typeof capacityReservationSchema>;

/** One pool of the landlord's leasable GPU capacity. */
export const poolSchema = z.strictObject({
  /** The pool's name: a DNS-1123 label, unique in the platform. */
  name: dnsLabel,
  /** A key of the GPU catalog. */
  gpuType: dnsLabel,
  /** Existing clusters: the physical nodes of the pool, written as node names or Slurm hostlists (`gpu-[001-064]`), expanded. */
  nodes: nodeSet.optional(),
  /** EKS: the EC2 instance type; must carry gpuType. @default the catalog's first instance type */
  instanceType: z.string({ error: "expected an EC2 instance type such as p5.48xlarge" }).optional(),
  /** EKS: the most nodes the pool may hold. */
  maxNodes: positiveInt.optional(),
  /** EKS: a capacity reservation to launch into. */
  capacityReservation: capacityReservationSchema.optional(),
  /** EKS: attach EFA interfaces to the nodes. @default false */
  efa: z.boolean({ error: "expected true or false" }).optional(),
  /** EKS: a cluster placement group; never with a capacity reservation. @default false */
  placementGroup: z.boolean({ error: "expected true or false" }).optional(),
});

/** `leasehold:cluster`: one provider's cluster config, told apart by `provider` (see providers/registry.ts). */
export const clusterSchema = clusterSchemaOf();

/** `leasehold:gpuTypes`: additions to and overrides of the built-in catalog. */
export const gpuTypesSchema = z.record(dnsLabel, partialGpuTypeSchema, { error: "expected a map of GPU type names to catalog entries" });

/**
 * `leasehold:systemNamespaces`: the landlord's own namespaces on the cluster (its monitoring, the
 * GPU operator, ...), which no tenant of this platform may be named as (a tenant namespace is its
 * tenant's name). Kubernetes' reserved ones (`default`, `kube-*`) are refused whatever this says.
 * @default []
 */
export const systemNamespacesSchema = z.array(dnsLabel, { error: "expected a list of namespace names (DNS-1123 labels)" }).default([]);

/** The `leasehold:*` keys of a platform stack, each parsed on its own so one bad key hides no other. */
export const platformKeys = {
  role: z.literal("platform"),
  cluster: clusterSchema,
  pools: z.array(poolSchema, { error: "expected a list of pools" }).default([]),
  gpuTypes: gpuTypesSchema.optional(),
  systemNamespaces: systemNamespacesSchema,
};

/** The typed `leasehold:*` config of a platform stack. */
export interface PlatformConfig {
  /** `platform`. */
  role: "platform";
  /** `leasehold:cluster`: the provider's cluster config. */
  cluster: ClusterConfig;
  /** `leasehold:pools`, in file order. @default [] */
  pools: Pool[];
  /** `leasehold:gpuTypes`: catalog additions and overrides. */
  gpuTypes?: z.infer<typeof gpuTypesSchema>;
  /** `leasehold:systemNamespaces`: the landlord's namespaces no tenant may be named as. @default [] */
  systemNamespaces: string[];
}

/**
 * Rules across the keys of a platform stack. Each part is undefined when it failed its own schema,
 * and its rules are skipped then (its problems are reported already).
 */
export function platformRules(cfg: Partial<PlatformConfig>, ctx: IssueSink): void {
  const gpuTypes = cfg.gpuTypes ?? {};
  for (const [name, entry] of Object.entries(gpuTypes)) {
    // A new type needs every field; an override of a built-in one may give only some.
    if (!(name in BUILTIN_CATALOG)) {
      const missing = Object.entries(gpuTypeSchema.shape)
        .filter(([k, field]) => !field.safeParse(undefined).success && (entry as Record<string, unknown>)[k] === undefined)
        .map(([k]) => k);
      const perGpu = entry.perGpu ?? {};
      missing.push(
        ...Object.keys(perGpuSchema.shape)
          .filter((k) => entry.perGpu && (perGpu as Record<string, unknown>)[k] === undefined)
          .map((k) => `perGpu.${k}`),
      );
      if (missing.length > 0) {
        ctx.add(["gpuTypes", name], `is not a built-in GPU type, so it needs every field; missing ${missing.join(", ")}`, undefined);
      }
    }
  }
  const cluster = cfg.cluster;
  if (cluster) providerOf(cluster).clusterRules(cluster, ctx);
  // Pools that failed their own schema are holes here: their problems are reported already.
  const pools = cfg.pools;
  if (!pools) return;
  const catalog = mergeCatalog(gpuTypes);
  uniqueIn(
    ctx,
    pools,
    (p) => p?.name,
    (i) => ["pools", i, "name"],
    "pool name",
  );
  pools.forEach((pool: Pool | undefined, i) => {
    if (pool && !catalog[pool.gpuType]) {
      ctx.add(["pools", i, "gpuType"], `expected a GPU type of the catalog (${Object.keys(catalog).join(", ")})`, pool.gpuType);
    }
  });
  if (cluster) providerOf(cluster).poolRules(cluster, pools, catalog, ctx);
}

/** One pool of a platform stack. */
export type Pool = z.infer<typeof poolSchema>;

// ---------------------------------------------------------------- tenant

/** One allowed egress destination beyond DNS and the namespace itself. */
export const egressRuleSchema = z
  .strictObject({
    /** The destination block. */
    cidr,
    /** Blocks inside `cidr` that stay unreachable; cloud metadata is always added. */
    except: z.array(cidr, { error: "expected a list of CIDRs" }).optional(),
    /** Destination ports. @default all ports */
    ports: z.array(port, { error: "expected a list of port numbers" }).optional(),
    /** The protocol of `ports`. @default TCP */
    protocol: z.enum(["TCP", "UDP", "SCTP"], { error: "expected TCP, UDP or SCTP" }).optional(),
  })
  .superRefine((rule, ctx) => {
    // The field checks do not abort the object: a malformed block is reported there, not parsed here.
    if (!ipaddr.isValidCIDR(rule.cidr)) return;
    if (METADATA_CIDRS.some((m) => sameBlock(m, rule.cidr))) {
      issue(ctx, ["cidr"], "must not be a cloud metadata endpoint: metadata is never reachable from a tenant namespace", rule.cidr);
    }
    (rule.except ?? []).forEach((e, i) => {
      if (ipaddr.isValidCIDR(e) && !cidrStrictlyInside(e, rule.cidr)) {
        issue(ctx, ["except", i], `expected a block strictly inside ${rule.cidr} (${cidrFamily(rule.cidr)})`, e);
      }
    });
  });

/** True when two CIDRs name the same block. */
function sameBlock(a: string, b: string): boolean {
  const [aa, ap] = ipaddr.parseCIDR(a);
  const [ba, bp] = ipaddr.parseCIDR(b);
  return ap === bp && aa.kind() === ba.kind() && aa.match(ba, bp);
}

/** `leasehold:tenant`. */
export const tenantSchema = z.strictObject({
  /** The tenant's name: a DNS-1123 label, not `default` nor `kube-*` (lease/fields.ts: tenantName); the tenant namespace is this name. */
  name: tenantName,
  /** Who may act in the namespace. */
  access: z
    .strictObject({
      /** Groups bound to the tenant-admin Role. @default [] */
      admins: z.array(subjectName, { error: "expected a list of group names" }).default([]),
      /** Groups bound to view. @default [] */
      viewers: z.array(subjectName, { error: "expected a list of group names" }).default([]),
    })
    .default({ admins: [], viewers: [] }),
  /** Network isolation of the namespace. */
  network: z
    .strictObject({
      /** Allowed egress beyond DNS and the namespace itself. @default [] */
      egress: z.array(egressRuleSchema, { error: "expected a list of egress rules" }).default([]),
    })
    .default({ egress: [] }),
  /** Optional caps; each missing one derives from the GPUs in force and the catalog. */
  resources: z
    .strictObject({
      /** CPU (requests and limits). */
      cpu: quantity.optional(),
      /** Memory (requests and limits). */
      memory: quantity.optional(),
      /** Persistent volume storage (requests.storage). */
      storage: quantity.optional(),
      /** Pods. */
      pods: positiveInt.optional(),
    })
    .optional(),
});

/** A reclaim notice, written by `leasehold reclaim`. */
export const noticeSchema = z.strictObject({
  /** When the landlord issued the notice. */
  issuedAt: rfc3339,
  /** When the lease's GPUs leave the tenant. */
  effectiveAt: rfc3339,
  /** Why, in words the tenant reads. */
  reason: z.string({ error: "expected the reason as text" }).min(1, { error: "expected a non-empty reason" }),
  /** True when effectiveAt comes sooner than the contract's notice. @default false */
  emergency: z.boolean({ error: "expected true or false" }).optional(),
});

/**
 * The purge marker, written by `leasehold purge`: the landlord confirmed that the tenant's data
 * (its namespace and every PersistentVolumeClaim in it) may be deleted. Without it, the namespace
 * is protected and the policy pack refuses any stack that leaves tenant data deletable.
 */
export const purgeSchema = z.strictObject({
  /** The tenant whose data goes; must be the stack's tenant. */
  tenant: dnsLabel,
  /** When the purge was confirmed. */
  confirmedAt: rfc3339,
});

/** One lease: GPUs of one type, on one pool, for a window of time. */
export const leaseSchema = z
  .strictObject({
    /** DNS-1123 label, unique across the fleet. */
    id: dnsLabel,
    /** What is leased. */
    gpu: z.strictObject({
      /** A GPU type of the platform's catalog. */
      type: dnsLabel,
      /** How many GPUs. */
      count: positiveInt,
    }),
    /** When: `[start, end)`. */
    window: z.strictObject({
      /** Start, inclusive. */
      start: rfc3339,
      /** End, exclusive; after start. */
      end: rfc3339,
    }),
    /** Where. */
    placement: z.strictObject({
      /** A pool of the platform stack with the same GPU type. */
      pool: dnsLabel,
      /** Existing clusters: the leased nodes, written as node names or Slurm hostlists (`gpu-[001-008]`), expanded; each once. */
      nodes: nodeSet.optional(),
    }),
    /** The reclaim clause. */
    reclaim: z.strictObject({
      /** Hours of notice the landlord must give before reclaiming. */
      noticeHours: z
        .number({ error: "expected the notice in hours, zero or more" })
        .nonnegative({ error: "expected the notice in hours, zero or more" }),
      /** Written by `leasehold reclaim`, never by hand. */
      notice: noticeSchema.optional(),
    }),
  })
  // Runs even when another field of the lease is malformed (so every problem of a file shows at
  // once); each rule looks only at the fields it needs and skips those that failed their own schema.
  .superRefine(
    (lease, ctx) => {
      if (typeof lease !== "object" || lease === null) return;
      const time = (v: unknown): number | undefined => (typeof v === "string" && !rfc3339Error(v) ? instant(v) : undefined);
      const start = time(lease.window?.start);
      const end = time(lease.window?.end);
      if (start !== undefined && end !== undefined && !(end > start)) {
        issue(ctx, ["window", "end"], `must be after start (${lease.window.end} <= ${lease.window.start})`, lease.window.end);
      }
      // A node given twice is refused by the node set itself (lease/node-set.ts).
      const notice = lease.reclaim?.notice;
      const hours = lease.reclaim?.noticeHours;
      const issued = time(notice?.issuedAt);
      const effective = time(notice?.effectiveAt);
      if (!notice || issued === undefined || effective === undefined || typeof hours !== "number" || hours < 0) return;
      const due = issued + hours * HOUR_MS;
      if (effective < issued) {
        issue(ctx, ["reclaim", "notice", "effectiveAt"], `must not be before issuedAt (${notice.issuedAt})`, notice.effectiveAt);
      } else if (effective < due && notice.emergency !== true) {
        issue(
          ctx,
          ["reclaim", "notice", "effectiveAt"],
          `gives ${fmtHours((effective - issued) / HOUR_MS)} hours of notice but the lease requires ${hours}; only an emergency reclaim (leasehold reclaim --emergency) may take effect sooner`,
          notice.effectiveAt,
        );
      } else if (effective >= due && notice.emergency === true) {
        issue(
          ctx,
          ["reclaim", "notice", "emergency"],
          `must not be set: the notice gives the full ${hours} hours, so it is not an emergency`,
          true,
        );
      }
    },
    { when: () => true },
  );

function fmtHours(h: number): string {
  return Number.isInteger(h) ? String(h) : h.toFixed(2);
}

/** The `leasehold:*` keys of a tenant stack, each parsed on its own. */
export const tenantKeys = {
  role: z.literal("tenant"),
  platform: z.string({ error: "expected the name of a platform stack, such as platform-local" }).min(1, {
    error: "expected the name of a platform stack, such as platform-local",
  }),
  tenant: tenantSchema,
  leases: z.array(leaseSchema, { error: "expected a list of leases" }).default([]),
  purge: purgeSchema.optional(),
};

/** Rules across the keys of a tenant stack; `raw` is the input, so they run even where a lease is malformed. */
export function tenantRules(raw: Record<string, unknown>, ctx: IssueSink): void {
  const leases = raw.leases;
  if (Array.isArray(leases)) {
    uniqueIn(
      ctx,
      leases,
      (l) => (typeof l?.id === "string" ? l.id : undefined),
      (i) => ["leases", i, "id"],
      "lease id",
    );
  }
  const purge = raw.purge as { tenant?: unknown } | undefined;
  const name = (raw.tenant as { name?: unknown } | undefined)?.name;
  if (purge && typeof purge === "object" && typeof purge.tenant === "string" && typeof name === "string" && purge.tenant !== name) {
    ctx.add(
      ["purge", "tenant"],
      `expected the purge marker to name this stack's tenant ${name} (write it with leasehold purge)`,
      purge.tenant,
    );
  }
  // A purge and a live lease contradict each other: the data a lease runs on would be deleted.
  const marker = purgeSchema.safeParse(purge);
  if (marker.success && Array.isArray(leases)) {
    const at = instant(marker.data.confirmedAt);
    leases.forEach((raw, i) => {
      const lease = leaseSchema.safeParse(raw);
      if (!lease.success) return;
      for (const l of leasesBlockingPurge([lease.data], at)) {
        ctx.add(
          ["leases", i],
          `${purgeBlocker(l, at)}, after the tenant was marked for purge at ${marker.data.confirmedAt}; data under a live lease is never deleted (withdraw the purge with leasehold purge --cancel)`,
          undefined,
        );
      }
    });
  }
}

/** The typed `leasehold:*` config of a tenant stack. */
export interface TenantConfig {
  /** `tenant`. */
  role: "tenant";
  /** `leasehold:platform`: the platform stack's name. */
  platform: string;
  /** `leasehold:tenant`: name, access, network, resources. */
  tenant: z.infer<typeof tenantSchema>;
  /** `leasehold:leases`, in file order. @default [] */
  leases: Lease[];
  /** The purge marker, when the landlord confirmed deleting the tenant's data. */
  purge?: Purge;
}
/** The purge marker. */
export type Purge = z.infer<typeof purgeSchema>;
/** One lease. */
export type Lease = z.infer<typeof leaseSchema>;
/** One egress rule. */
export type EgressRule = z.infer<typeof egressRuleSchema>;

/** A problem found by a rule: a path relative to the `leasehold:` namespace, a message, the bad value. */
export interface RuleIssue {
  /** Under `leasehold:` (`["leases", 0, "id"]`). */
  path: (string | number)[];
  /** What is wrong, starting lower case. */
  message: string;
  /** The offending value, or undefined when a key is missing. */
  input: unknown;
}

/** Where rules report. */
export interface IssueSink {
  add(path: (string | number)[], message: string, input: unknown): void;
}
