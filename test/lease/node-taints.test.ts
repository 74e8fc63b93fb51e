import { describe, expect, it } from "vitest";
import {
  applyIntent,
  changeIntent,
  releaseIntent,
  sameTaints,
  toleratesTaint,
  type Taint,
  type TaintIntent,
} from "../../lease/node-taints";

// The taint list of a node shared by several actors: leasehold may add, change and remove only the
// entries with its own key, and only those it can prove are its own.

const KEY = "leasehold.io/lease";
const notReady: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule", timeAdded: "2027-01-01T00:00:00Z" };
const cordon: Taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: "2027-01-02T00:00:00Z" };
const gpuHealth: Taint = { key: "nvidia.com/gpu-health", value: "xid-79", effect: "NoExecute", timeAdded: "2027-01-03T00:00:00Z" };
const foreign = [notReady, cordon, gpuHealth];

const lease = (id: string): TaintIntent => ({ mode: "set", key: KEY, value: id, effect: "NoSchedule" });
const idle: TaintIntent = { mode: "ensure", key: KEY, value: "", effect: "NoSchedule" };
const entry = (value: string, effect: Taint["effect"] = "NoSchedule"): Taint => ({ key: KEY, value, effect });
const withoutOurKey = (ts: readonly Taint[]) => ts.filter((t) => t.key !== KEY);

describe("applyIntent: set (a lease holding the node)", () => {
  it("appends the lease's entry after the foreign taints, which keep their order and timeAdded", () => {
    expect(applyIntent(foreign, lease("a"))).toEqual([...foreign, entry("a")]);
  });

  it("replaces the entry with its key in place, including the idle entry, and leaves the others", () => {
    expect(applyIntent([notReady, entry(""), cordon], lease("a"))).toEqual([notReady, entry("a"), cordon]);
  });

  it("leaves exactly one entry with its key, at the first one's position, when there were several", () => {
    const current = [entry("x", "NoExecute"), notReady, entry("y"), cordon];
    expect(applyIntent(current, lease("a"))).toEqual([entry("a"), notReady, cordon]);
  });

  it("takes over a node another lease holds (handover): B's entry replaces A's in place", () => {
    expect(applyIntent([notReady, entry("a"), gpuHealth], lease("b"))).toEqual([notReady, entry("b"), gpuHealth]);
  });

  it("rewrites the entry when only the effect differs, without the old timeAdded", () => {
    const current = [{ ...entry("a", "NoExecute"), timeAdded: "2027-01-05T00:00:00Z" }, cordon];
    expect(applyIntent(current, lease("a"))).toEqual([entry("a"), cordon]);
  });

  it("is idempotent: applying twice changes nothing the second time, and keeps a kept entry's timeAdded", () => {
    const once = applyIntent(foreign, lease("a"));
    const twice = applyIntent(once, lease("a"));
    expect(sameTaints(twice, once)).toBe(true);
    const noExecute: TaintIntent = { mode: "set", key: KEY, value: "a", effect: "NoExecute" };
    const stamped = [notReady, { ...entry("a", "NoExecute"), timeAdded: "2027-01-04T00:00:00Z" }];
    expect(applyIntent(stamped, noExecute)).toEqual(stamped);
  });

  it("treats an omitted value as the empty one, as the API server returns it", () => {
    const current: Taint[] = [notReady, { key: KEY, effect: "NoSchedule" }];
    expect(sameTaints(applyIntent(current, { mode: "set", key: KEY, value: "", effect: "NoSchedule" }), current)).toBe(true);
  });

  it("does not modify the list it is given", () => {
    const current = [notReady, entry("a")];
    const copy = structuredClone(current);
    applyIntent(current, lease("b"));
    expect(current).toEqual(copy);
  });
});

describe("applyIntent: ensure (the platform's idle entry)", () => {
  it("appends the idle entry when no entry has its key", () => {
    expect(applyIntent(foreign, idle)).toEqual([...foreign, entry("")]);
  });

  it("leaves a lease's entry (any entry with its key) alone", () => {
    const current = [notReady, entry("a"), cordon];
    expect(applyIntent(current, idle)).toEqual(current);
  });

  it("is idempotent", () => {
    const once = applyIntent(foreign, idle);
    expect(sameTaints(applyIntent(once, idle), once)).toBe(true);
  });
});

describe("releaseIntent", () => {
  it("removes the lease's entry and only it", () => {
    expect(releaseIntent([notReady, entry("a"), cordon, gpuHealth], lease("a"))).toEqual(foreign);
  });

  it("puts the releaseTo value back in the entry's place, e.g. the idle value ''", () => {
    expect(releaseIntent([notReady, entry("a"), cordon], lease("a"), "")).toEqual([notReady, entry(""), cordon]);
  });

  it("leaves the node alone once another lease took it over (handover A -> B, then A released)", () => {
    const afterB = applyIntent(applyIntent(foreign, lease("a")), lease("b"));
    expect(releaseIntent(afterB, lease("a"))).toEqual(afterB);
    expect(releaseIntent(afterB, lease("a"), "")).toEqual(afterB);
    expect(afterB).toEqual([...foreign, entry("b")]);
  });

  it("matches an entry by key and value whatever its effect, and writes releaseTo with the intent's effect", () => {
    expect(releaseIntent([entry("a", "NoExecute"), cordon], lease("a"), "")).toEqual([entry(""), cordon]);
  });

  it("does not write a second entry with the same key and effect when releasing to a value already there", () => {
    expect(releaseIntent([entry(""), entry("a"), cordon], lease("a"), "")).toEqual([entry(""), cordon]);
  });

  it("of an ensure removes the idle entry only while it still has the idle value", () => {
    expect(releaseIntent([notReady, entry(""), cordon], idle)).toEqual([notReady, cordon]);
    expect(releaseIntent([notReady, { key: KEY, effect: "NoSchedule" }], idle)).toEqual([notReady]);
    const held = [notReady, entry("a"), cordon];
    expect(releaseIntent(held, idle)).toEqual(held);
    expect(releaseIntent(held, idle, "x")).toEqual(held);
  });

  it("is idempotent: releasing twice changes nothing the second time", () => {
    const once = releaseIntent([...foreign, entry("a")], lease("a"), "");
    expect(sameTaints(releaseIntent(once, lease("a"), ""), once)).toBe(true);
    const removed = releaseIntent([...foreign, entry("a")], lease("a"));
    expect(sameTaints(releaseIntent(removed, lease("a")), removed)).toBe(true);
  });
});

describe("changeIntent (update)", () => {
  it("changes a lease value in place", () => {
    expect(changeIntent([notReady, entry("a"), cordon], lease("a"), lease("a2"))).toEqual([notReady, entry("a2"), cordon]);
  });

  it("lets go of the lease value when the intent becomes the idle ensure, and leaves another lease's value", () => {
    expect(changeIntent([notReady, entry("a"), cordon], lease("a"), idle)).toEqual([notReady, cordon, entry("")]);
    expect(changeIntent([notReady, entry("b"), cordon], lease("a"), idle)).toEqual([notReady, entry("b"), cordon]);
  });

  it("changes the idle value of an ensure, and changes nothing when the intent did not change", () => {
    const oldIdle: TaintIntent = { ...idle, value: "free" };
    expect(changeIntent([notReady, entry("free")], oldIdle, idle)).toEqual([notReady, entry("")]);
    expect(changeIntent([notReady, entry("a")], idle, idle)).toEqual([notReady, entry("a")]);
  });
});

describe("foreign taints through a lease's whole life", () => {
  it("survive idle -> lease A -> value change -> handover to B -> A released -> B released to idle -> idle removed, in order", () => {
    const steps: Taint[][] = [];
    let node: Taint[] = [...foreign];
    const step = (next: Taint[]) => steps.push((node = next));
    step(applyIntent(node, idle));
    step(applyIntent(node, lease("a")));
    step(applyIntent(node, lease("a2")));
    step(applyIntent(node, lease("b")));
    step(releaseIntent(node, lease("a2"), ""));
    step(releaseIntent(node, lease("b"), ""));
    step(releaseIntent(node, idle));
    for (const s of steps) expect(withoutOurKey(s)).toEqual(foreign);
    expect(steps.map((s) => s.filter((t) => t.key === KEY).map((t) => t.value))).toEqual([[""], ["a"], ["a2"], ["b"], ["b"], [""], []]);
  });
});

describe("sameTaints", () => {
  it("compares key, value, effect and timeAdded in order", () => {
    expect(sameTaints([notReady, cordon], [notReady, cordon])).toBe(true);
    expect(sameTaints([notReady, cordon], [cordon, notReady])).toBe(false);
    expect(sameTaints([notReady], [{ ...notReady, timeAdded: "2027-02-01T00:00:00Z" }])).toBe(false);
    expect(sameTaints([entry("a")], [entry("a", "NoExecute")])).toBe(false);
    expect(sameTaints([entry("a")], [entry("b")])).toBe(false);
    expect(sameTaints([entry("a")], [])).toBe(false);
  });
});

describe("toleratesTaint: Kubernetes' Toleration.ToleratesTaint", () => {
  const foo = (value: string | undefined, effect: Taint["effect"]): Taint => ({
    key: "foo",
    ...(value === undefined ? {} : { value }),
    effect,
  });
  // The cases of k8s.io/api core/v1 toleration_test.go (v0.34.4), TestTolerationToleratesTaint, in order.
  it.each([
    [{ key: "foo", operator: "Exists", effect: "NoSchedule" }, foo(undefined, "NoSchedule"), true],
    [{ key: "foo", operator: "Exists", effect: "NoSchedule" }, foo("bar", "NoSchedule"), true],
    [{ key: "", operator: "Exists", effect: "NoSchedule" }, foo("bar", "NoSchedule"), true],
    [{ key: "foo", operator: "Equal", value: "bar", effect: "NoSchedule" }, foo("bar", "NoSchedule"), true],
    [{ key: "foo", operator: "Equal", value: "value1", effect: "NoSchedule" }, foo("value2", "NoSchedule"), false],
    [{ key: "foo", operator: "Equal", value: "bar", effect: "NoSchedule" }, foo("bar", "NoExecute"), false],
  ] as const)("Kubernetes' own case %#: %j tolerates %j: %s", (toleration, taint, want) => {
    expect(toleratesTaint(toleration, taint)).toBe(want);
  });

  it('reads an absent operator as Equal, an absent value as "", an absent key or effect as every key or effect, and an unknown operator as no match', () => {
    const idle: Taint = { key: "leasehold.io/tenant", effect: "NoExecute" };
    expect(toleratesTaint({ key: "leasehold.io/tenant" }, idle)).toBe(true);
    expect(toleratesTaint({ key: "leasehold.io/tenant", value: "acme" }, idle)).toBe(false);
    expect(toleratesTaint({ key: "leasehold.io/tenant", value: "acme" }, { ...idle, value: "acme" })).toBe(true);
    expect(toleratesTaint({ operator: "Exists" }, idle)).toBe(true);
    // An empty key with Equal matches every key with that value (the API server refuses such a pod, the function does not).
    expect(toleratesTaint({ operator: "Equal", value: "acme" }, { ...idle, value: "acme" })).toBe(true);
    expect(toleratesTaint({ key: "leasehold.io/tenant", operator: "Gt", value: "1" }, { ...idle, value: "2" })).toBe(false);
    expect(toleratesTaint({ key: "leasehold.io/tenant", operator: "Exists", tolerationSeconds: 0 }, idle)).toBe(true);
  });
});
