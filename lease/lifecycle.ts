import { instant, isoInstant } from "./fields";
import type { Lease, Purge } from "./schema";

/**
 * Where a lease stands at an instant:
 * - `pending`: before its window starts;
 * - `active`: in force, no reclaim notice;
 * - `notice`: in force, a reclaim notice has been issued and has not taken effect yet;
 * - `reclaimed`: the notice took effect before the window ended; GPUs are gone, data stays;
 * - `ended`: the window is over.
 */
export type LeaseState = "pending" | "active" | "notice" | "reclaimed" | "ended";

/** The half-open interval `[from, to)` (epoch milliseconds) in which a lease is in force; empty when to <= from. */
export interface ForceInterval {
  /** The window's start, epoch milliseconds (inclusive). */
  readonly from: number;
  /** The window's end or the notice's effectiveAt, whichever is sooner, epoch milliseconds (exclusive); never below `from`. */
  readonly to: number;
}

/**
 * When the lease is in force: its window, cut short by a reclaim notice's effectiveAt. A lease in
 * notice is still in force until effectiveAt.
 */
export function forceInterval(lease: Lease): ForceInterval {
  const from = instant(lease.window.start);
  let to = instant(lease.window.end);
  const notice = lease.reclaim.notice;
  if (notice) to = Math.min(to, instant(notice.effectiveAt));
  return { from, to: Math.max(from, to) };
}

/** True when the lease's GPUs belong to the tenant at `at` (epoch milliseconds). */
export function inForce(lease: Lease, at: number): boolean {
  const { from, to } = forceInterval(lease);
  return from <= at && at < to;
}

/** The state of a lease at `at` (epoch milliseconds). */
export function leaseState(lease: Lease, at: number): LeaseState {
  const start = instant(lease.window.start);
  const end = instant(lease.window.end);
  if (at >= end) return "ended";
  const notice = lease.reclaim.notice;
  if (notice && at >= instant(notice.effectiveAt)) return "reclaimed";
  if (at < start) return "pending";
  if (notice && at >= instant(notice.issuedAt)) return "notice";
  return "active";
}

/** A lease with where it stands at an instant: the one view of a lease the objects, the fleet and the report share. */
export interface LeaseView {
  /** The lease, as declared. */
  lease: Lease;
  /** Where it stands at the instant ({@link leaseState}). */
  state: LeaseState;
  /** Whether its GPUs count at this instant ({@link inForce}). */
  inForce: boolean;
}

/** Each lease with its state at `at` (epoch milliseconds). */
export function leaseViews(leases: readonly Lease[], at: number): LeaseView[] {
  return leases.map((lease) => ({ lease, state: leaseState(lease, at), inForce: inForce(lease, at) }));
}

/** A tenant's GPU quota at `at`, per GPU type: the sum of `gpu.count` over its leases in force. */
export function gpusInForce(leases: readonly Lease[], at: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of leases) {
    if (inForce(l, at)) out.set(l.gpu.type, (out.get(l.gpu.type) ?? 0) + l.gpu.count);
  }
  return out;
}

/** The total of {@link gpusInForce} over all GPU types. */
export function totalGpusInForce(leases: readonly Lease[], at: number): number {
  let n = 0;
  for (const l of leases) if (inForce(l, at)) n += l.gpu.count;
  return n;
}

/**
 * The leases that forbid purging their tenant's data at `at`: in force then, or still to come
 * (a purge deletes the namespace every lease of the tenant runs in). Ended and reclaimed leases
 * do not count.
 */
export function leasesBlockingPurge(leases: readonly Lease[], at: number): Lease[] {
  return leases.filter((l) => {
    const { from, to } = forceInterval(l);
    return to > from && to > at;
  });
}

/** Why a lease blocks a purge, in words: `lease X is in force until T` or `lease X starts at T`. */
export function purgeBlocker(lease: Lease, at: number): string {
  const { from, to } = forceInterval(lease);
  return from > at ? `lease ${lease.id} starts at ${lease.window.start}` : `lease ${lease.id} is in force until ${isoInstant(to)}`;
}

/**
 * A purge marker lifts the data's protection only from its `confirmedAt` on: a marker written
 * under a simulated clock (LEASEHOLD_AT ahead of now) protects nothing sooner than it says.
 */
export function purgeInEffect(purge: Purge | undefined, at: number): boolean {
  return purge !== undefined && at >= instant(purge.confirmedAt);
}
