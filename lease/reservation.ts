import { instant } from "./fields";
import type { CapacityReservation } from "./schema";

// A pool's capacity reservation in time: the window its leases may run in.

/**
 * EC2 begins terminating a capacity block's instances 30 minutes before the block ends
 * (Amazon EC2 User Guide, "Capacity Blocks for ML"), so a lease on it must end by then.
 */
export const CAPACITY_BLOCK_END_GRACE_MS = 30 * 60 * 1000;

/** The reservation's own window `[from, to)`, epoch milliseconds: an absent start or end is open (-Infinity, Infinity). */
export function reservationWindow(r: CapacityReservation): { from: number; to: number } {
  return { from: r.start === undefined ? -Infinity : instant(r.start), to: r.end === undefined ? Infinity : instant(r.end) };
}

/**
 * The window `[from, to)` a pool's reservation lets leases run in, epoch milliseconds: from its
 * start (or always) to its end, less the 30 minutes before a capacity block's end (or never).
 */
export function reservationLeaseWindow(r: CapacityReservation): { from: number; to: number } {
  const { from, to } = reservationWindow(r);
  return { from, to: r.kind === "capacity-block" ? to - CAPACITY_BLOCK_END_GRACE_MS : to };
}
