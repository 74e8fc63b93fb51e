// The arithmetic of a node's taint list when several actors share it (no Pulumi, no I/O).
//
// `Node.spec.taints` is an atomic list under server-side apply: whoever applies it owns all of it,
// so applying leasehold's taint would wipe the taints other actors keep there (the node lifecycle
// controller's not-ready, a cordon's unschedulable, GPU health checks, the autoscaler). Kubernetes
// itself (kubectl taint, the controllers' PatchNodeTaints) shares the list by read-modify-write:
// read it, change only its own entry, write it back under the read resourceVersion. These
// functions are the "change only its own entry" step; components/node-taint.ts does the rest.
//
// Every function here must stay self-contained (no imports, no module state): the NodeTaint
// dynamic provider captures them by value when Pulumi serializes it.

/** One entry of `Node.spec.taints`, as the API server returns it. */
export interface Taint {
  /** The taint key, e.g. `leasehold.io/lease`. */
  key: string;
  /** The taint value; the API server omits an empty one. @default "" */
  value?: string;
  /** What the taint does to pods that do not tolerate it. */
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  /**
   * When the taint was added (RFC 3339). Informational: the node lifecycle controller stamps its own
   * taints, the API server and kubectl taint leave it empty, the taint-eviction controller does not
   * read it. @default undefined
   */
  timeAdded?: string;
}

/** What one owner wants of the entries with its key. */
export type TaintIntent =
  /** A lease holding the node: exactly one entry with the key, with this value and effect. */
  | { mode: "set"; key: string; value: string; effect: Taint["effect"] }
  /** The platform's default (idle) entry: added only if no entry with the key exists. */
  | { mode: "ensure"; key: string; value: string; effect: Taint["effect"] };

/** Whether two taint lists are the same, entry by entry and in order (an omitted value is ""). */
export function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.key !== y.key ||
      (x.value ?? "") !== (y.value ?? "") ||
      x.effect !== y.effect ||
      (x.timeAdded ?? undefined) !== (y.timeAdded ?? undefined)
    )
      return false;
  }
  return true;
}

/**
 * The taint list once `intent` holds (create and update). Entries with another key are kept as
 * they are and in order; so is every entry when nothing needs to change, so that the caller can
 * compare with {@link sameTaints} and skip the write.
 */
export function applyIntent(current: readonly Taint[], intent: TaintIntent): Taint[] {
  const first = current.findIndex((t) => t.key === intent.key);
  if (intent.mode === "ensure") {
    return first < 0 ? [...current, { key: intent.key, value: intent.value, effect: intent.effect }] : [...current];
  }
  const existing = first < 0 ? undefined : current[first]!;
  // An entry that already says what we want is kept as it is, timeAdded included, so that an
  // unchanged intent compares equal and writes nothing.
  const ours =
    existing && (existing.value ?? "") === intent.value && existing.effect === intent.effect
      ? existing
      : { key: intent.key, value: intent.value, effect: intent.effect };
  const out: Taint[] = [];
  current.forEach((t, i) => {
    if (t.key !== intent.key) out.push(t);
    else if (i === first) out.push(ours);
  });
  if (first < 0) out.push(ours);
  return out;
}

/**
 * The taint list once the owner of `intent` lets go (delete). It takes away only an entry it can
 * prove is its own (its key and its value): an entry with the key and another value belongs to
 * whoever took the node over since, and stays. A `set` owner with `releaseTo` puts
 * `{key, value: releaseTo, effect}` back in its entry's place (e.g. the idle value ""); an
 * `ensure` owner ignores `releaseTo`.
 */
export function releaseIntent(current: readonly Taint[], intent: TaintIntent, releaseTo?: string): Taint[] {
  const isOurs = (t: Taint) => t.key === intent.key && (t.value ?? "") === intent.value;
  const first = current.findIndex(isOurs);
  if (first < 0) return [...current];
  const replacement =
    intent.mode === "set" && releaseTo !== undefined ? { key: intent.key, value: releaseTo, effect: intent.effect } : undefined;
  // The API server refuses two entries with one key and effect: if one with the replacement's key
  // and effect is already there, our entry simply goes.
  const clash =
    replacement !== undefined && current.some((t) => !isOurs(t) && t.key === replacement.key && t.effect === replacement.effect);
  const out: Taint[] = [];
  current.forEach((t, i) => {
    if (!isOurs(t)) out.push(t);
    else if (i === first && replacement && !clash) out.push(replacement);
  });
  return out;
}

/**
 * The taint list once an owner's intent changes from `previous` to `next` (update). A `set`
 * simply takes its key over in place; an `ensure` first lets go of what `previous` put there, so
 * that a lease turned idle entry does not leave its lease value behind.
 */
export function changeIntent(current: readonly Taint[], previous: TaintIntent, next: TaintIntent): Taint[] {
  const unchanged =
    previous.mode === next.mode && previous.key === next.key && previous.value === next.value && previous.effect === next.effect;
  if (next.mode === "set" || unchanged) return applyIntent(current, next);
  return applyIntent(releaseIntent(current, previous), next);
}

/** A pod's toleration, as the API server returns it. */
export interface Toleration {
  /** The taint key it matches; "" or absent matches every key (with operator Exists). */
  key?: string;
  /** `Equal` (the default when absent) or `Exists`. */
  operator?: string;
  /** The value it matches, with `Equal`. @default "" */
  value?: string;
  /** The effect it matches; "" or absent matches every effect. */
  effect?: string;
  /** With NoExecute: how long the pod stays once the taint is there, seconds. @default forever */
  tolerationSeconds?: number;
}

/**
 * Whether a toleration tolerates a taint: Kubernetes' `Toleration.ToleratesTaint` (k8s.io/api
 * core/v1, toleration.go, v1.34): an empty effect matches every effect, an empty key every key,
 * `Exists` every value, `Equal` (or no operator) the same value, any other operator nothing.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const op = toleration.operator ?? "";
  if (op === "" || op === "Equal") return (toleration.value ?? "") === (taint.value ?? "");
  return op === "Exists";
}
