import { instant } from "./fields";
import type { PlatformStack, Stack } from "./load";

/**
 * A moment a tenant stack must be deployed at: one of its leases changes state (its window starts
 * or ends, a notice is issued or takes effect), or the capacity reservation a lease's pool
 * launches into ends (`reservation-end`, a boundary like a lease's own).
 */
export interface LeaseEvent {
  /** The tenant stack. */
  stack: string;
  /** The lease id. */
  lease: string;
  /** What happens. */
  event: "start" | "end" | "notice" | "reclaim" | "reservation-end";
  /** When, RFC 3339 as written in the stack file. */
  at: string;
}

/**
 * The lease clock: every state change of every lease in `(since, at]`, and every end of a
 * reservation a lease's pool launches into, in time order. A stack with one needs a deploy at
 * that moment (its quota, node patches or node groups and namespace labels change).
 */
export function leaseEvents(stacks: readonly Stack[], since: number, at: number): LeaseEvent[] {
  const out: (LeaseEvent & { t: number })[] = [];
  const platforms = new Map(stacks.filter((s): s is PlatformStack => s.role === "platform").map((p) => [p.name, p]));
  for (const s of stacks) {
    if (s.role !== "tenant") continue;
    const pools = platforms.get(s.config.platform)?.config.pools ?? [];
    for (const l of s.config.leases) {
      const moments: [LeaseEvent["event"], string][] = [
        ["start", l.window.start],
        ["end", l.window.end],
      ];
      if (l.reclaim.notice) moments.push(["notice", l.reclaim.notice.issuedAt], ["reclaim", l.reclaim.notice.effectiveAt]);
      const reservationEnd = pools.find((p) => p.name === l.placement.pool)?.capacityReservation?.end;
      if (reservationEnd !== undefined) moments.push(["reservation-end", reservationEnd]);
      for (const [event, when] of moments) {
        const t = instant(when);
        if (since < t && t <= at) out.push({ stack: s.name, lease: l.id, event, at: when, t });
      }
    }
  }
  return out
    .sort((a, b) => a.t - b.t || a.stack.localeCompare(b.stack))
    .map(({ stack, lease, event, at }) => ({ stack, lease, event, at }));
}
