// Who holds a GPU node, and what leasehold writes on it (no Pulumi, no I/O).
//
// A pool node is owned by tenant: while a lease of tenant T is in force on it, the node carries
// the taint `leasehold.io/tenant=T:NoExecute`, the labels `leasehold.io/tenant: T` and
// `leasehold.io/lease: <id>` (the lease for chargeback, and for pods that want one lease's nodes),
// and the annotation `leasehold.io/lease-start` (the holding lease's start). Tenant pods select and
// tolerate their tenant, so a renewal, an extension or a re-papering on the same nodes changes the
// lease label only: the taint stays and nothing is evicted. When the node leaves the tenant (an end,
// a reclaim, a move to another tenant), the taint's value changes and Kubernetes' taint-eviction
// controller evicts the pods that tolerated the old value.
//
// An unleased pool node carries the idle entry `leasehold.io/tenant=:NoExecute`, which no tenant
// can tolerate (no tenant is named ""). The platform keeps it; a tenant's lease takes the entry
// over and gives it back idle.
//
// Ownership moves forwards in lease time only: a claim never takes a node from a lease that
// starts after its own (a deploy at a stale instant, after the next lease's stack took the node),
// and a release gives back only a node whose labels still name the releasing tenant's lease.
//
// These functions compute a node's next state from its current one; components/node-set-runtime.ts
// reads the nodes, writes that state by server-side apply under the node's resourceVersion, and
// starts over on a conflict.

import { releaseIntent, sameTaints, type Taint } from "./node-taints";

/** The taint key of pool nodes; its value is the holding tenant, "" when idle. */
export const TENANT_TAINT_KEY = "leasehold.io/tenant";
/** The label keys on leased nodes (written by the tenant's stack) and on pool nodes (by the platform). */
export const NODE_LABELS = {
  tenant: "leasehold.io/tenant",
  lease: "leasehold.io/lease",
  pool: "leasehold.io/pool",
  gpuType: "leasehold.io/gpu-type",
} as const;
/** The annotation on a held node: the start of the holding lease (RFC 3339), for the forwards-only rule. */
export const LEASE_START_ANNOTATION = "leasehold.io/lease-start";
/** The effect of the tenant taint (and the idle entry): NoExecute, so that a change of hands evicts. */
export const TENANT_TAINT_EFFECT = "NoExecute";
/** The idle value of the tenant taint: no tenant is named "", so no tenant pod tolerates it. */
export const IDLE_TENANT_VALUE = "";
/**
 * The taint key earlier versions wrote (`leasehold.io/lease=<lease id>`, idle `leasehold.io/lease=`).
 * A claim replaces it with the tenant taint; the platform replaces its idle entry and leaves a
 * lease's entry to that lease's (migrating) stack.
 */
export const LEGACY_LEASE_TAINT_KEY = "leasehold.io/lease";

/** What is read of a node: the fields leasehold owns or must keep. */
export interface NodeView {
  /** The node's name. */
  name: string;
  /** The resourceVersion read, the precondition of the write. */
  resourceVersion: string;
  /**
   * The node's uid, when read: the write carries it so that it cannot create a node deleted since
   * the read (server-side apply creates what does not exist, resourceVersion or not). @default undefined
   */
  uid?: string;
  /** All the node's labels. */
  labels: Record<string, string>;
  /** All the node's annotations. */
  annotations: Record<string, string>;
  /** The node's taints, every owner's, in order. */
  taints: Taint[];
  /** The label and annotation keys the writing field manager holds by apply (from `metadata.managedFields`). */
  owned: { labels: string[]; annotations: string[] };
}

/**
 * What one field manager applies on a node: its own labels and annotations (keys it leaves out are
 * removed by the API server when no other manager holds them) and the node's whole taint list
 * (other owners' entries kept as read).
 */
export interface NodeWrite {
  /** The labels this manager holds on the node after the write (only its own keys). */
  labels: Record<string, string>;
  /** The annotations this manager holds on the node after the write (only its own keys). */
  annotations: Record<string, string>;
  /** The node's whole taint list after the write. */
  taints: Taint[];
}

/** A tenant's claim on a node: the lease in force that holds it. */
export interface NodeClaim {
  /** The tenant (its name: the taint's value). */
  tenant: string;
  /** The lease id (the lease label). */
  lease: string;
  /** The lease's start, RFC 3339 (the annotation, for the forwards-only rule). */
  start: string;
}

/** The lease holding a node, as its labels and annotation say; undefined when no lease label is on it. */
export function holderOf(view: Pick<NodeView, "labels" | "annotations">): { tenant?: string; lease: string; start?: string } | undefined {
  const lease = view.labels[NODE_LABELS.lease];
  if (lease === undefined || lease === "") return undefined;
  const tenant = view.labels[NODE_LABELS.tenant];
  const start = view.annotations[LEASE_START_ANNOTATION];
  return { lease, ...(tenant === undefined ? {} : { tenant }), ...(start === undefined ? {} : { start }) };
}

/** The node's taints with one entry of `key` set to `value` (in the place of the first), every other entry of `key` removed. */
function setEntry(taints: readonly Taint[], key: string, value: string, drop: readonly string[] = []): Taint[] {
  const first = taints.findIndex((t) => t.key === key);
  const existing = first < 0 ? undefined : taints[first]!;
  // An entry that already says what we want is kept as it is (timeAdded too): an unchanged node compares equal.
  const ours =
    existing && (existing.value ?? "") === value && existing.effect === TENANT_TAINT_EFFECT
      ? existing
      : { key, value, effect: TENANT_TAINT_EFFECT as Taint["effect"] };
  const out: Taint[] = [];
  taints.forEach((t, i) => {
    if (drop.includes(t.key)) return;
    if (t.key !== key) out.push(t);
    else if (i === first) out.push(ours);
  });
  if (first < 0) out.push(ours);
  return out;
}

/** Whether a claim may take the node: idle, held by its own tenant, or by a lease that starts no later. */
export function mayClaim(view: Pick<NodeView, "labels" | "annotations">, claim: NodeClaim): { ok: true } | { ok: false; heldBy: string } {
  const holder = holderOf(view);
  if (!holder || holder.lease === claim.lease || holder.start === undefined) return { ok: true };
  const held = Date.parse(holder.start);
  const mine = Date.parse(claim.start);
  if (Number.isFinite(held) && Number.isFinite(mine) && held > mine)
    return { ok: false, heldBy: `lease ${holder.lease}${holder.tenant ? ` of tenant ${holder.tenant}` : ""}, from ${holder.start}` };
  return { ok: true };
}

/**
 * The write of a tenant's claim: its labels and annotation, the tenant taint set to its name, any
 * entry of the earlier lease key removed. The caller checks {@link mayClaim} first.
 */
export function claimWrite(view: NodeView, claim: NodeClaim): NodeWrite {
  return {
    labels: { [NODE_LABELS.tenant]: claim.tenant, [NODE_LABELS.lease]: claim.lease },
    annotations: { [LEASE_START_ANNOTATION]: claim.start },
    taints: setEntry(view.taints, TENANT_TAINT_KEY, claim.tenant, [LEGACY_LEASE_TAINT_KEY]),
  };
}

/**
 * Whether a release by `tenant` applies to the node: its labels name that tenant and one of the
 * leases the tenant held it under (`leases`). A node another lease took over since stays as it is.
 */
export function mayRelease(view: Pick<NodeView, "labels" | "annotations">, tenant: string, leases: ReadonlySet<string>): boolean {
  const holder = holderOf(view);
  return holder !== undefined && holder.tenant === tenant && leases.has(holder.lease);
}

/**
 * The write of a release: no label or annotation of the tenant's left, and every tenant taint entry
 * that names the tenant given back: the first becomes the idle entry in its place, the others go.
 */
export function releaseWrite(view: NodeView, tenant: string): NodeWrite {
  // Every entry naming the tenant, whatever its place and effect: only the first tenant entry was
  // looked at before, so a node tainted [bluefin:NoSchedule (by hand), acme:NoExecute] kept acme's
  // NoExecute entry after acme's release, and acme's pods ran on. An entry naming another tenant
  // stays; if one of those already has the idle entry's key and effect (the API server refuses two),
  // the tenant's entry simply goes (releaseIntent).
  const ours = { mode: "set" as const, key: TENANT_TAINT_KEY, value: tenant, effect: TENANT_TAINT_EFFECT as Taint["effect"] };
  return { labels: {}, annotations: {}, taints: releaseIntent(view.taints, ours, IDLE_TENANT_VALUE) };
}

/** A pool of the platform as its node writes need it. */
export interface PoolLabels {
  /** The pool's name (label `leasehold.io/pool`). */
  pool: string;
  /** The pool's GPU type (label `leasehold.io/gpu-type`). */
  gpuType: string;
}

/**
 * The platform's write on a pool node: the pool's labels, and the idle entry where no tenant
 * entry exists. A node held under the earlier lease key (a stack not yet migrated) keeps that
 * entry and gets no idle one; an earlier idle entry is replaced by the new one.
 */
export function poolWrite(view: NodeView, pool: PoolLabels): NodeWrite {
  const labels = { [NODE_LABELS.pool]: pool.pool, [NODE_LABELS.gpuType]: pool.gpuType };
  const hasTenantEntry = view.taints.some((t) => t.key === TENANT_TAINT_KEY);
  const legacyHeld = view.taints.some((t) => t.key === LEGACY_LEASE_TAINT_KEY && (t.value ?? "") !== "");
  if (hasTenantEntry || legacyHeld) return { labels, annotations: {}, taints: [...view.taints] };
  return { labels, annotations: {}, taints: setEntry(view.taints, TENANT_TAINT_KEY, IDLE_TENANT_VALUE, [LEGACY_LEASE_TAINT_KEY]) };
}

/**
 * The platform's release of a pool node (its destroy, or a node leaving the pool): no pool label
 * left, and the idle entry removed; a tenant's entry stays with its tenant.
 */
export function poolReleaseWrite(view: NodeView): NodeWrite {
  return {
    labels: {},
    annotations: {},
    taints: view.taints.filter((t) => !(t.key === TENANT_TAINT_KEY && (t.value ?? "") === IDLE_TENANT_VALUE)),
  };
}

/**
 * Whether a write would leave the node as it is: the manager's labels and annotations already there
 * with these values and held by the manager (a value another manager alone holds would go with it:
 * the earlier versions' per-node patches, deleted after a migration's writes), no other key of its
 * own (`ownKeys`) still held, and the same taints.
 */
export function writeIsNoop(
  view: NodeView,
  write: NodeWrite,
  ownKeys: { labels: readonly string[]; annotations: readonly string[] },
): boolean {
  const same = (have: Record<string, string>, owned: readonly string[], want: Record<string, string>, keys: readonly string[]) =>
    keys.every((k) => (k in want ? have[k] === want[k] && owned.includes(k) : !owned.includes(k)));
  return (
    same(view.labels, view.owned.labels, write.labels, ownKeys.labels) &&
    same(view.annotations, view.owned.annotations, write.annotations, ownKeys.annotations) &&
    sameTaints(view.taints, write.taints)
  );
}

/** Whether a taint is a NoExecute entry of leasehold's tenant keys (the tenant key, or the earlier lease key). */
export function isTenantEntry(t: Taint): boolean {
  return (t.key === TENANT_TAINT_KEY || t.key === LEGACY_LEASE_TAINT_KEY) && t.effect === "NoExecute";
}

/**
 * The NoExecute entries a tenant write adds where the node was held by a tenant (its release, a
 * reclaim, a handover to another tenant): the taint-eviction controller deletes every pod on the
 * node that does not tolerate one of them, and the deploy deletes those pods itself
 * (components/node-set-runtime.ts), at its own pace rather than the controller manager's client
 * rate. Empty when the node keeps its tenant, and for a claim of an idle node (no tenant's pod
 * runs there: only pods that tolerate every taint do).
 */
export function evictingTaints(before: readonly Taint[], after: readonly Taint[]): Taint[] {
  if (!before.some((t) => isTenantEntry(t) && (t.value ?? "") !== IDLE_TENANT_VALUE)) return [];
  const had = (t: Taint) => before.some((b) => b.key === t.key && b.effect === t.effect && (b.value ?? "") === (t.value ?? ""));
  return after.filter((t) => isTenantEntry(t) && !had(t));
}

/** The label and annotation keys a tenant's writes own. */
export const TENANT_OWN_KEYS = { labels: [NODE_LABELS.tenant, NODE_LABELS.lease], annotations: [LEASE_START_ANNOTATION] } as const;
/** The label and annotation keys the platform's pool writes own. */
export const POOL_OWN_KEYS = { labels: [NODE_LABELS.pool, NODE_LABELS.gpuType], annotations: [] as string[] } as const;
