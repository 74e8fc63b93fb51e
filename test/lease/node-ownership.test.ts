import { describe, expect, it } from "vitest";
import {
  claimWrite,
  evictingTaints,
  holderOf,
  IDLE_TENANT_VALUE,
  LEASE_START_ANNOTATION,
  LEGACY_LEASE_TAINT_KEY,
  mayClaim,
  mayRelease,
  NODE_LABELS,
  POOL_OWN_KEYS,
  poolReleaseWrite,
  poolWrite,
  releaseWrite,
  TENANT_OWN_KEYS,
  TENANT_TAINT_EFFECT,
  TENANT_TAINT_KEY,
  writeIsNoop,
  type NodeClaim,
  type NodeView,
} from "../../lease/node-ownership";
import { sameTaints, type Taint } from "../../lease/node-taints";

// Who holds a GPU node and what leasehold writes on it: a tenant's claim and release, the
// platform's pool writes, the forwards-only rule by lease start, and the migration from the
// earlier taint key leasehold.io/lease.

const notReady: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule", timeAdded: "2027-01-01T00:00:00Z" };
const cordon: Taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: "2027-01-02T00:00:00Z" };
const gpuHealth: Taint = { key: "nvidia.com/gpu-health", value: "xid-79", effect: "NoExecute", timeAdded: "2027-01-03T00:00:00Z" };
/** The tenant entry as the API server returns it (an empty value omitted). */
const tenantEntry = (tenant: string, extra: Partial<Taint> = {}): Taint =>
  tenant === ""
    ? { key: TENANT_TAINT_KEY, effect: "NoExecute", ...extra }
    : { key: TENANT_TAINT_KEY, value: tenant, effect: "NoExecute", ...extra };
const idle = tenantEntry(IDLE_TENANT_VALUE);
/** The idle entry as leasehold writes it (an explicit empty value). */
const idleWritten: Taint = { key: TENANT_TAINT_KEY, value: "", effect: "NoExecute" };
const legacy = (lease: string): Taint =>
  lease === "" ? { key: LEGACY_LEASE_TAINT_KEY, effect: "NoExecute" } : { key: LEGACY_LEASE_TAINT_KEY, value: lease, effect: "NoExecute" };

const acmeQ1: NodeClaim = { tenant: "acme", lease: "acme-q1", start: "2027-01-01T00:00:00Z" };
const acmeQ2: NodeClaim = { tenant: "acme", lease: "acme-q2", start: "2027-04-01T00:00:00Z" };
const bluefinQ1: NodeClaim = { tenant: "bluefin", lease: "bluefin-q1", start: "2027-01-01T00:00:00Z" };
const bluefinQ2: NodeClaim = { tenant: "bluefin", lease: "bluefin-q2", start: "2027-04-01T00:00:00Z" };

const poolLabels = { [NODE_LABELS.pool]: "h100", [NODE_LABELS.gpuType]: "h100-80gb" };

function view(over: Partial<NodeView> = {}): NodeView {
  return {
    name: "gpu-001",
    resourceVersion: "7",
    labels: { ...poolLabels },
    annotations: {},
    taints: [],
    owned: { labels: [], annotations: [] },
    ...over,
  };
}
/** A node held by `c` as a claim of c's tenant wrote it (labels and annotation owned by the tenant's manager). */
function heldBy(c: NodeClaim, taints: Taint[] = [notReady, tenantEntry(c.tenant), cordon]): NodeView {
  return view({
    labels: { ...poolLabels, [NODE_LABELS.tenant]: c.tenant, [NODE_LABELS.lease]: c.lease },
    annotations: { [LEASE_START_ANNOTATION]: c.start },
    taints,
    owned: { labels: [NODE_LABELS.tenant, NODE_LABELS.lease], annotations: [LEASE_START_ANNOTATION] },
  });
}

describe("the node ownership constants", () => {
  it("taint a node with leasehold.io/tenant=<tenant>:NoExecute, idle being the empty value no tenant is named", () => {
    expect([TENANT_TAINT_KEY, TENANT_TAINT_EFFECT, IDLE_TENANT_VALUE, LEGACY_LEASE_TAINT_KEY]).toEqual([
      "leasehold.io/tenant",
      "NoExecute",
      "",
      "leasehold.io/lease",
    ]);
    expect(TENANT_OWN_KEYS).toEqual({ labels: ["leasehold.io/tenant", "leasehold.io/lease"], annotations: ["leasehold.io/lease-start"] });
    expect(POOL_OWN_KEYS).toEqual({ labels: ["leasehold.io/pool", "leasehold.io/gpu-type"], annotations: [] });
  });
});

describe("holderOf: the lease a node's labels name", () => {
  it("is undefined without a lease label, or with an empty one", () => {
    expect(holderOf(view())).toBeUndefined();
    expect(holderOf(view({ labels: { [NODE_LABELS.tenant]: "acme", [NODE_LABELS.lease]: "" } }))).toBeUndefined();
  });

  it("reads the lease and, when present, the tenant label and the start annotation", () => {
    expect(holderOf(heldBy(acmeQ1))).toEqual({ tenant: "acme", lease: "acme-q1", start: "2027-01-01T00:00:00Z" });
    expect(holderOf(view({ labels: { [NODE_LABELS.lease]: "old" } }))).toEqual({ lease: "old" });
  });
});

describe("claimWrite and mayClaim: a tenant's lease takes a node", () => {
  it("on an idle node: the idle entry becomes the tenant's in place, labels and start annotation added, other taints kept", () => {
    const v = view({ taints: [notReady, idle, cordon] });
    expect(mayClaim(v, acmeQ1)).toEqual({ ok: true });
    expect(claimWrite(v, acmeQ1)).toEqual({
      labels: { "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" },
      annotations: { "leasehold.io/lease-start": "2027-01-01T00:00:00Z" },
      taints: [notReady, tenantEntry("acme"), cordon],
    });
  });

  it("on a node with no tenant entry at all (not yet pooled): the entry is appended after the others", () => {
    expect(claimWrite(view({ taints: [notReady, cordon] }), acmeQ1).taints).toEqual([notReady, cordon, tenantEntry("acme")]);
  });

  it("renews a node of the same tenant's earlier lease: the taint entry is kept exactly, timeAdded included; only the lease label and start change", () => {
    const stamped = tenantEntry("acme", { timeAdded: "2027-01-01T00:00:05Z" });
    const v = heldBy(acmeQ1, [notReady, stamped, cordon, gpuHealth]);
    expect(mayClaim(v, acmeQ2)).toEqual({ ok: true });
    const w = claimWrite(v, acmeQ2);
    expect(w.taints).toEqual(v.taints);
    expect(w.taints[1]).toBe(stamped);
    expect(sameTaints(w.taints, v.taints)).toBe(true);
    expect(w.labels).toEqual({ "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q2" });
    expect(w.annotations).toEqual({ "leasehold.io/lease-start": "2027-04-01T00:00:00Z" });
    expect(writeIsNoop(v, w, TENANT_OWN_KEYS)).toBe(false);
  });

  it("takes a node from another tenant's lease that started earlier: the entry's value changes in place (the old tenant's pods are evicted)", () => {
    const v = heldBy(bluefinQ1, [notReady, tenantEntry("bluefin", { timeAdded: "2027-01-01T00:00:05Z" }), cordon]);
    expect(mayClaim(v, acmeQ2)).toEqual({ ok: true });
    expect(claimWrite(v, acmeQ2).taints).toEqual([notReady, tenantEntry("acme"), cordon]);
  });

  it("takes a node whose holder started at the same instant (only a strictly later start refuses)", () => {
    expect(mayClaim(heldBy({ ...bluefinQ1, start: acmeQ1.start }), acmeQ1)).toEqual({ ok: true });
  });

  it("refuses a node held by a lease that starts later (a deploy at a stale instant), saying who holds it", () => {
    expect(mayClaim(heldBy(bluefinQ2), acmeQ1)).toEqual({
      ok: false,
      heldBy: "lease bluefin-q2 of tenant bluefin, from 2027-04-01T00:00:00Z",
    });
    // The same tenant's later lease too: a stale deploy of its own stack does not move the node back.
    expect(mayClaim(heldBy(acmeQ2), acmeQ1)).toEqual({ ok: false, heldBy: "lease acme-q2 of tenant acme, from 2027-04-01T00:00:00Z" });
  });

  it("takes a node held under the same lease id whatever its start (the same lease, written again)", () => {
    expect(mayClaim(heldBy({ ...acmeQ1, start: "2027-06-01T00:00:00Z" }), acmeQ1)).toEqual({ ok: true });
  });

  it("takes a node an earlier version labelled (no start annotation): the migration", () => {
    const v = view({ labels: { [NODE_LABELS.tenant]: "bluefin", [NODE_LABELS.lease]: "bluefin-q2" }, taints: [legacy("bluefin-q2")] });
    expect(mayClaim(v, acmeQ1)).toEqual({ ok: true });
  });

  it("keeps other owners' taints (not-ready, a cordon's unschedulable, nvidia GPU health) in their order and with their timeAdded", () => {
    const v = view({ taints: [gpuHealth, notReady, idle, cordon] });
    expect(claimWrite(v, acmeQ1).taints).toEqual([gpuHealth, notReady, tenantEntry("acme"), cordon]);
  });

  it("removes the earlier key's entry (leasehold.io/lease=<id>, and its idle value), whatever its place", () => {
    expect(claimWrite(view({ taints: [notReady, legacy("acme-q1"), cordon] }), acmeQ1).taints).toEqual([
      notReady,
      cordon,
      tenantEntry("acme"),
    ]);
    expect(claimWrite(view({ taints: [legacy(""), notReady, idle] }), acmeQ1).taints).toEqual([notReady, tenantEntry("acme")]);
  });

  it("leaves exactly one tenant entry, in the first one's place, NoExecute, when several were there", () => {
    const v = view({ taints: [tenantEntry("acme", { effect: "NoSchedule" }), notReady, tenantEntry("bluefin")] });
    expect(claimWrite(v, acmeQ1).taints).toEqual([tenantEntry("acme"), notReady]);
  });

  it("does not modify the view it is given", () => {
    const v = view({ taints: [notReady, idle, legacy("x")] });
    const copy = structuredClone(v);
    claimWrite(v, acmeQ1);
    expect(v).toEqual(copy);
  });
});

describe("mayRelease and releaseWrite: a tenant gives a node back", () => {
  it("applies only while the labels name the tenant and one of the leases it held the node under", () => {
    const leases = new Set(["acme-q1", "acme-q2"]);
    expect(mayRelease(heldBy(acmeQ1), "acme", leases)).toBe(true);
    expect(mayRelease(heldBy(acmeQ1), "acme", new Set(["acme-q2"]))).toBe(false);
    expect(mayRelease(heldBy(bluefinQ2), "acme", new Set(["bluefin-q2"]))).toBe(false);
    expect(mayRelease(view({ taints: [tenantEntry("acme")] }), "acme", leases)).toBe(false);
    expect(mayRelease(view({ labels: { [NODE_LABELS.lease]: "acme-q1" } }), "acme", leases)).toBe(false);
  });

  it("idles the tenant's own entry in place and drops every label and annotation of the tenant", () => {
    const v = heldBy(acmeQ1, [notReady, tenantEntry("acme"), cordon, gpuHealth]);
    expect(releaseWrite(v, "acme")).toEqual({ labels: {}, annotations: {}, taints: [notReady, idleWritten, cordon, gpuHealth] });
  });

  it("leaves an entry that names another tenant as it is (whoever took the node over since keeps it)", () => {
    const v = view({ taints: [notReady, tenantEntry("bluefin"), cordon] });
    expect(releaseWrite(v, "acme").taints).toEqual([notReady, tenantEntry("bluefin"), cordon]);
  });

  it("leaves an idle node idle, and a node without a tenant entry without one (the pool puts the idle entry back)", () => {
    expect(releaseWrite(view({ taints: [idle, cordon] }), "acme").taints).toEqual([idle, cordon]);
    expect(releaseWrite(view({ taints: [cordon] }), "acme").taints).toEqual([cordon]);
  });
});

describe("poolWrite: the platform's pool labels and idle entry", () => {
  it("adds the pool labels and the idle entry (appended) to a node with no tenant entry", () => {
    expect(poolWrite(view({ labels: {}, taints: [notReady, cordon] }), { pool: "h100", gpuType: "h100-80gb" })).toEqual({
      labels: { "leasehold.io/pool": "h100", "leasehold.io/gpu-type": "h100-80gb" },
      annotations: {},
      taints: [notReady, cordon, idleWritten],
    });
  });

  it("leaves the taints of a node a tenant holds exactly as they are", () => {
    const v = heldBy(acmeQ1);
    expect(poolWrite(v, { pool: "h100", gpuType: "h100-80gb" }).taints).toEqual(v.taints);
  });

  it("leaves an existing idle entry as it is (timeAdded included): an idle pooled node is a no-op", () => {
    const stamped = tenantEntry("", { timeAdded: "2027-01-01T00:00:00Z" });
    const v = view({ taints: [notReady, stamped], owned: { labels: [...POOL_OWN_KEYS.labels], annotations: [] } });
    const w = poolWrite(v, { pool: "h100", gpuType: "h100-80gb" });
    expect(w.taints).toEqual([notReady, stamped]);
    expect(writeIsNoop(v, w, POOL_OWN_KEYS)).toBe(true);
  });

  it("leaves a node held under the earlier lease key alone (a stack not yet migrated keeps it): no idle entry added", () => {
    const v = view({ taints: [notReady, legacy("bluefin-q1"), cordon] });
    expect(poolWrite(v, { pool: "h100", gpuType: "h100-80gb" }).taints).toEqual([notReady, legacy("bluefin-q1"), cordon]);
  });

  it("replaces the earlier key's idle entry with the new idle entry", () => {
    const v = view({ taints: [notReady, legacy(""), cordon] });
    expect(poolWrite(v, { pool: "h100", gpuType: "h100-80gb" }).taints).toEqual([notReady, cordon, idleWritten]);
  });
});

describe("poolReleaseWrite: the platform lets a node go", () => {
  it("removes the pool labels and only idle tenant entries; a tenant's entry and other owners' taints stay", () => {
    expect(poolReleaseWrite(view({ taints: [notReady, idle, cordon] }))).toEqual({
      labels: {},
      annotations: {},
      taints: [notReady, cordon],
    });
    expect(poolReleaseWrite(heldBy(acmeQ1)).taints).toEqual([notReady, tenantEntry("acme"), cordon]);
    // An idle entry written with an explicit empty value is idle too.
    expect(poolReleaseWrite(view({ taints: [idleWritten] })).taints).toEqual([]);
  });
});

describe("writeIsNoop: whether applying a write would change the node", () => {
  const w = (v: NodeView) => claimWrite(v, acmeQ1);

  it("is true when the manager already holds every key with the wanted values and the taints are the same", () => {
    const v = heldBy(acmeQ1);
    expect(writeIsNoop(v, w(v), TENANT_OWN_KEYS)).toBe(true);
  });

  it("is false when a wanted value is on the node but held only by another field manager (its deletion would take the value along)", () => {
    const v = { ...heldBy(acmeQ1), owned: { labels: [], annotations: [] } };
    expect(writeIsNoop(v, w(v), TENANT_OWN_KEYS)).toBe(false);
    const onlyAnnotationForeign = { ...heldBy(acmeQ1), owned: { labels: [NODE_LABELS.tenant, NODE_LABELS.lease], annotations: [] } };
    expect(writeIsNoop(onlyAnnotationForeign, w(onlyAnnotationForeign), TENANT_OWN_KEYS)).toBe(false);
  });

  it("is false when a label value differs, or when one of the manager's own keys is still held but no longer wanted", () => {
    const v = heldBy(acmeQ1);
    expect(writeIsNoop(v, claimWrite(v, acmeQ2), TENANT_OWN_KEYS)).toBe(false);
    expect(writeIsNoop(v, { labels: {}, annotations: {}, taints: v.taints }, TENANT_OWN_KEYS)).toBe(false);
  });

  it("is true for a release of a node the manager holds nothing of (someone else's label values are not its business)", () => {
    const v = { ...heldBy(acmeQ1), owned: { labels: [], annotations: [] }, taints: [idle] };
    expect(writeIsNoop(v, releaseWrite(v, "acme"), TENANT_OWN_KEYS)).toBe(true);
  });

  it("is false when the taints differ, by an entry, by order or by timeAdded; an omitted value equals the empty one", () => {
    const v = heldBy(acmeQ1, [notReady, tenantEntry("acme")]);
    const labels = { "leasehold.io/tenant": "acme", "leasehold.io/lease": "acme-q1" };
    const annotations = { "leasehold.io/lease-start": "2027-01-01T00:00:00Z" };
    expect(writeIsNoop(v, { labels, annotations, taints: [tenantEntry("acme"), notReady] }, TENANT_OWN_KEYS)).toBe(false);
    expect(
      writeIsNoop(v, { labels, annotations, taints: [{ ...notReady, timeAdded: undefined }, tenantEntry("acme")] }, TENANT_OWN_KEYS),
    ).toBe(false);
    expect(writeIsNoop(v, { labels, annotations, taints: [notReady] }, TENANT_OWN_KEYS)).toBe(false);
    const idleView = view({ taints: [idle] });
    expect(writeIsNoop(idleView, { labels: {}, annotations: {}, taints: [idleWritten] }, POOL_OWN_KEYS)).toBe(true);
  });

  it("ignores the keys of other managers: the pool's labels do not make a tenant write differ", () => {
    const v = heldBy(acmeQ1);
    expect(v.labels[NODE_LABELS.pool]).toBe("h100");
    expect(writeIsNoop(v, w(v), TENANT_OWN_KEYS)).toBe(true);
  });
});

describe("evictingTaints: the entries a tenant write adds that evict the node's pods", () => {
  const t = (value: string, key = TENANT_TAINT_KEY, effect: Taint["effect"] = "NoExecute"): Taint =>
    value === "" ? { key, effect } : { key, value, effect };

  it("a release, a reclaim or a handover: the new entry where a tenant's was", () => {
    expect(evictingTaints([notReady, t("acme")], [notReady, t("")])).toEqual([t("")]);
    expect(evictingTaints([t("acme"), gpuHealth], [t("bluefin"), gpuHealth])).toEqual([t("bluefin")]);
    // A node still held under the earlier key, taken over under the new one.
    expect(evictingTaints([t("acme-q1", LEGACY_LEASE_TAINT_KEY)], [t("bluefin")])).toEqual([t("bluefin")]);
  });

  it("nothing when the node keeps its tenant, when it was idle, or when the only changes are other owners' entries", () => {
    expect(evictingTaints([notReady, t("acme")], [notReady, t("acme")])).toEqual([]);
    expect(evictingTaints([notReady, t("")], [notReady, t("acme")])).toEqual([]);
    expect(evictingTaints([t("")], [t("acme")])).toEqual([]);
    expect(evictingTaints([t("acme")], [t("acme"), gpuHealth])).toEqual([]);
    // A tenant entry that does not evict (NoSchedule, written by hand) does not make the node a tenant's.
    expect(evictingTaints([t("acme", TENANT_TAINT_KEY, "NoSchedule"), t("")], [t("bluefin")])).toEqual([]);
  });

  it("agrees with releaseWrite and claimWrite on the writes they make", () => {
    const held = view({ taints: [notReady, t("acme")], labels: { [NODE_LABELS.tenant]: "acme", [NODE_LABELS.lease]: "acme-q1" } });
    expect(evictingTaints(held.taints, releaseWrite(held, "acme").taints)).toEqual([{ ...t(""), value: "" }]);
    const renewal = claimWrite(held, { tenant: "acme", lease: "acme-q2", start: "2027-04-01T00:00:00Z" });
    expect(evictingTaints(held.taints, renewal.taints)).toEqual([]);
    const handover = claimWrite(held, { tenant: "bluefin", lease: "bluefin-q2", start: "2027-04-01T00:00:00Z" });
    expect(evictingTaints(held.taints, handover.taints)).toEqual([t("bluefin")]);
  });
});
