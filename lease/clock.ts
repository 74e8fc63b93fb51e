import { instant } from "./fields";
import type { Stack } from "./load";

/** A moment a lease changes state: its window starts or ends, a notice is issued or takes effect. */
export interface LeaseEvent {
  stack: string;
  lease: string;
  event: "start" | "end" | "notice" | "reclaim";
  at: string;
}

/**
 * The lease clock: every state change of every lease in `(since, at]`, in time order. A stack
 * with one needs a deploy at that moment (its quota, node patches and namespace labels change).
 */
export function leaseEvents(stacks: readonly Stack[], since: number, at: number): LeaseEvent[] {
  const out: (LeaseEvent & { t: number })[] = [];
  for (const s of stacks) {
    if (s.role !== "tenant") continue;
    for (const l of s.config.leases) {
      const moments: [LeaseEvent["event"], string][] = [
        ["start", l.window.start],
        ["end", l.window.end],
      ];
      if (l.reclaim.notice) moments.push(["notice", l.reclaim.notice.issuedAt], ["reclaim", l.reclaim.notice.effectiveAt]);
      for (const [event, when] of moments) {
        const t = instant(when);
        if (since < t && t <= at) out.push({ stack: s.name, lease: l.id, event, at: when, t });
      }
    }
  }
  return out.sort((a, b) => a.t - b.t || a.stack.localeCompare(b.stack)).map(({ t: _t, ...e }) => e);
}
