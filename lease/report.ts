import { HOUR_MS, instant, isoInstant } from "./fields";
import { poolCapacity } from "./fleet";
import { forceInterval } from "./lifecycle";
import { reservationWindow } from "./reservation";
import type { PlatformStack, Stack, TenantStack } from "./load";
import type { Lease } from "./schema";

// The landlord's economics over a period: contracted GPU-hours, list cost and energy per lease
// and per tenant, and each pool's leased share over time. Pure figures; `leasehold report`
// formats them.

/** The default power usage effectiveness of the data center (facility power / IT power). */
export const DEFAULT_PUE = 1.2;

/** Options of {@link computeReport}. */
export interface ReportOptions {
  /** The period `[from, to)`, epoch milliseconds; absent: the span of every lease of the fleet. */
  from?: number;
  /** The end of that period, exclusive, epoch milliseconds; absent with `from`: the span of every lease. */
  to?: number;
  /** Power usage effectiveness. @default 1.2 */
  pue?: number;
}

/** One lease's figures in the period. */
export interface LeaseFigures {
  /** The lease id. */
  id: string;
  /** The tenant's name. */
  tenant: string;
  /** The tenant stack that declares the lease. */
  stack: string;
  /** The platform stack it runs on. */
  platform: string;
  /** The pool it is placed on. */
  pool: string;
  /** The catalog GPU type. */
  gpuType: string;
  /** GPUs leased. */
  gpus: number;
  /** The part of the period in which the lease was in force (its window, cut short by a reclaim); absent when none. */
  inForce?: { from: string; to: string };
  /** GPUs x hours in force inside the period. */
  gpuHours: number;
  /** gpuHours x the catalog's list price per GPU-hour, in US dollars (cents). */
  cost: number;
  /** gpuHours x board power x PUE, in kWh (two decimals). */
  energyKWh: number;
  /** The catalog figures used. */
  pricePerGpuHour: number;
  /** The catalog's board power per GPU, watts. */
  boardPowerWatts: number;
}

/** One tenant's totals. */
export interface TenantFigures {
  /** The tenant's name. */
  name: string;
  /** Its leases (any state). */
  leases: number;
  /** GPUs x hours in force inside the period, over its leases. */
  gpuHours: number;
  /** The list cost of those GPU-hours, US dollars (cents). */
  cost: number;
  /** Their energy with the PUE, kWh (two decimals). */
  energyKWh: number;
}

/** One point of a pool's allocation over time: from `at` until the next point, `tenant` holds `gpus`. */
export interface AllocationPoint {
  /** RFC 3339 instant the level starts at. */
  at: string;
  /** The tenant's name. */
  tenant: string;
  /** GPUs the tenant holds on the pool from then on. */
  gpus: number;
}

/** One pool's capacity and how much of it was leased. */
export interface PoolFigures {
  /** The platform stack. */
  platform: string;
  /** The pool's name. */
  pool: string;
  /** Its catalog GPU type. */
  gpuType: string;
  /** GPUs it holds (listed nodes, or maxNodes, x GPUs per node). */
  capacity: number;
  /** capacity x hours of the period. */
  capacityGpuHours: number;
  /** GPUs x hours leased on it inside the period. */
  leasedGpuHours: number;
  /** leasedGpuHours / capacityGpuHours (0 when the pool has no capacity). */
  leasedShare: number;
  /** The most GPUs leased at any instant of the period. */
  peakGpus: number;
  /** Step series, every tenant of the pool at every change. */
  allocation: AllocationPoint[];
}

/**
 * One capacity reservation (an EKS pool's) in the period: the GPU-hours it holds for the landlord
 * (the pool's capacity over the part of the period inside the reservation's window, an open end
 * running to the period's end) against the GPU-hours leased on the pool in that time.
 */
export interface ReservationFigures {
  /** The platform stack and pool that launch into it. */
  platform: string;
  /** The pool that launches into it. */
  pool: string;
  /** The reservation id, `cr-...`. */
  id: string;
  /** `capacity-block` or `odcr`. */
  kind: "capacity-block" | "odcr";
  /** Its window as configured, RFC 3339; absent: open. */
  start?: string;
  /** Its end as configured, RFC 3339; absent: open. */
  end?: string;
  /** Pool capacity (GPUs) x hours of the reservation inside the period. */
  reservedGpuHours: number;
  /** GPUs x hours of the pool's leases in force inside both the period and the reservation's window. */
  leasedGpuHours: number;
  /** leasedGpuHours / reservedGpuHours (0 when nothing is reserved in the period). */
  leasedShare: number;
}

/** A reclaim notice issued or taking effect inside the period. */
export interface ReclaimEvent {
  /** When, RFC 3339 as the notice gives it. */
  at: string;
  /** `notice`: the notice is issued; `reclaim`: it takes effect. */
  event: "notice" | "reclaim";
  /** The lease id. */
  lease: string;
  /** The tenant's name. */
  tenant: string;
  /** The platform stack. */
  platform: string;
  /** The lease's pool. */
  pool: string;
  /** GPUs of the lease. */
  gpus: number;
  /** The notice's reason, as written. */
  reason: string;
  /** True when the notice is shorter than the lease's noticeHours (an emergency reclaim). */
  emergency: boolean;
}

/** The report. */
export interface Report {
  /** The period's start, RFC 3339. */
  from: string;
  /** The period's end, exclusive, RFC 3339. */
  to: string;
  /** The power usage effectiveness used. */
  pue: number;
  /** Every lease, by tenant and id. */
  leases: LeaseFigures[];
  /** Every tenant's totals, by name. */
  tenants: TenantFigures[];
  /** Every pool, by platform and order. */
  pools: PoolFigures[];
  /** Every pool's capacity reservation (EKS), reserved against leased GPU-hours. */
  reservations: ReservationFigures[];
  /** Reclaim notices issued and taking effect inside the period, in time order. */
  events: ReclaimEvent[];
  /** The fleet's totals: GPU-hours, cost (US dollars) and energy (kWh). */
  totals: { gpuHours: number; cost: number; energyKWh: number };
}

const cents = (x: number) => Math.round(x * 100) / 100;
const hours4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The span of every lease of the fleet, or undefined when there is none. */
export function leaseSpan(stacks: readonly Stack[]): { from: number; to: number } | undefined {
  let from = Infinity;
  let to = -Infinity;
  for (const s of stacks) {
    if (s.role !== "tenant") continue;
    for (const l of s.config.leases) {
      from = Math.min(from, instant(l.window.start));
      to = Math.max(to, instant(l.window.end));
    }
  }
  return from < to ? { from, to } : undefined;
}

/**
 * The report of a valid fleet over `[from, to)`. GPU-hours count the time each lease is in force
 * (its window, cut short by a reclaim taking effect), clipped to the period.
 */
export function computeReport(stacks: readonly Stack[], opts: ReportOptions = {}): Report {
  const span = opts.from === undefined || opts.to === undefined ? leaseSpan(stacks) : undefined;
  const from = opts.from ?? span?.from ?? 0;
  const to = opts.to ?? span?.to ?? 0;
  const pue = opts.pue ?? DEFAULT_PUE;
  const platforms = new Map(stacks.filter((s): s is PlatformStack => s.role === "platform").map((s) => [s.name, s]));
  const tenants = stacks.filter((s): s is TenantStack => s.role === "tenant");

  const leases: LeaseFigures[] = [];
  const byPool = new Map<string, { lease: Lease; tenant: string; a: number; b: number }[]>();
  const events: ReclaimEvent[] = [];
  const exact = new Map<string, { gpuHours: number; cost: number; energy: number }>();
  for (const s of tenants) {
    const platform = platforms.get(s.config.platform)!;
    const tenant = s.config.tenant.name;
    for (const lease of s.config.leases) {
      const type = platform.catalog[lease.gpu.type]!;
      const force = forceInterval(lease);
      const a = Math.max(force.from, from);
      const b = Math.min(force.to, to);
      const ms = Math.max(0, b - a);
      const gpuHours = (lease.gpu.count * ms) / HOUR_MS;
      const cost = gpuHours * type.pricePerGpuHour;
      const energy = (gpuHours * type.boardPowerWatts * pue) / 1000;
      exact.set(lease.id, { gpuHours, cost, energy });
      leases.push({
        id: lease.id,
        tenant,
        stack: s.name,
        platform: platform.name,
        pool: lease.placement.pool,
        gpuType: lease.gpu.type,
        gpus: lease.gpu.count,
        ...(ms > 0 ? { inForce: { from: isoInstant(a), to: isoInstant(b) } } : {}),
        gpuHours: hours4(gpuHours),
        cost: cents(cost),
        energyKWh: cents(energy),
        pricePerGpuHour: type.pricePerGpuHour,
        boardPowerWatts: type.boardPowerWatts,
      });
      const key = `${platform.name}/${lease.placement.pool}`;
      if (ms > 0) {
        if (!byPool.has(key)) byPool.set(key, []);
        byPool.get(key)!.push({ lease, tenant, a, b });
      }
      const notice = lease.reclaim.notice;
      if (notice) {
        const common = {
          lease: lease.id,
          tenant,
          platform: platform.name,
          pool: lease.placement.pool,
          gpus: lease.gpu.count,
          reason: notice.reason,
          emergency: notice.emergency ?? false,
        };
        const issued = instant(notice.issuedAt);
        const effective = instant(notice.effectiveAt);
        if (from <= issued && issued < to) events.push({ at: notice.issuedAt, event: "notice", ...common });
        // A notice effective after the window's end reclaims nothing.
        if (from <= effective && effective < to && effective < instant(lease.window.end))
          events.push({ at: notice.effectiveAt, event: "reclaim", ...common });
      }
    }
  }
  leases.sort((x, y) => x.tenant.localeCompare(y.tenant) || x.id.localeCompare(y.id));
  events.sort((x, y) => instant(x.at) - instant(y.at) || x.lease.localeCompare(y.lease) || x.event.localeCompare(y.event));

  const tenantTotals = new Map<string, { leases: number; gpuHours: number; cost: number; energy: number }>();
  for (const l of leases) {
    const e = exact.get(l.id)!;
    const t = tenantTotals.get(l.tenant) ?? { leases: 0, gpuHours: 0, cost: 0, energy: 0 };
    tenantTotals.set(l.tenant, {
      leases: t.leases + 1,
      gpuHours: t.gpuHours + e.gpuHours,
      cost: t.cost + e.cost,
      energy: t.energy + e.energy,
    });
  }
  const tenantFigures: TenantFigures[] = [...tenantTotals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, t]) => ({ name, leases: t.leases, gpuHours: hours4(t.gpuHours), cost: cents(t.cost), energyKWh: cents(t.energy) }));
  let all = { gpuHours: 0, cost: 0, energy: 0 };
  for (const e of exact.values()) all = { gpuHours: all.gpuHours + e.gpuHours, cost: all.cost + e.cost, energy: all.energy + e.energy };

  const periodHours = Math.max(0, to - from) / HOUR_MS;
  const pools: PoolFigures[] = [];
  const reservations: ReservationFigures[] = [];
  for (const platform of [...platforms.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const pool of platform.config.pools) {
      const capacity = poolCapacity(platform, pool);
      const held = byPool.get(`${platform.name}/${pool.name}`) ?? [];
      const r = pool.capacityReservation;
      if (r) {
        const window = reservationWindow(r);
        const a = Math.max(from, window.from);
        const b = Math.min(to, window.to);
        const reserved = (capacity * Math.max(0, b - a)) / HOUR_MS;
        let leased = 0;
        for (const h of held) leased += (h.lease.gpu.count * Math.max(0, Math.min(b, h.b) - Math.max(a, h.a))) / HOUR_MS;
        reservations.push({
          platform: platform.name,
          pool: pool.name,
          id: r.id,
          kind: r.kind,
          ...(r.start !== undefined ? { start: r.start } : {}),
          ...(r.end !== undefined ? { end: r.end } : {}),
          reservedGpuHours: hours4(reserved),
          leasedGpuHours: hours4(leased),
          leasedShare: reserved > 0 ? Math.round((leased / reserved) * 10_000) / 10_000 : 0,
        });
      }
      const { points, peak, gpuHours } = allocation(held, from, to);
      const capacityGpuHours = capacity * periodHours;
      pools.push({
        platform: platform.name,
        pool: pool.name,
        gpuType: pool.gpuType,
        capacity,
        capacityGpuHours: hours4(capacityGpuHours),
        leasedGpuHours: hours4(gpuHours),
        leasedShare: capacityGpuHours > 0 ? Math.round((gpuHours / capacityGpuHours) * 10_000) / 10_000 : 0,
        peakGpus: peak,
        allocation: points,
      });
    }
  }
  return {
    from: isoInstant(from),
    to: isoInstant(to),
    pue,
    leases,
    tenants: tenantFigures,
    pools,
    reservations,
    events,
    totals: { gpuHours: hours4(all.gpuHours), cost: cents(all.cost), energyKWh: cents(all.energy) },
  };
}

/**
 * A pool's allocation as a step series: a sweep over the moments leases come into and out of
 * force (O(n log n)), each tenant of the pool listed at every moment (zeros included, so stacked
 * series stay aligned), from the period's start to its end.
 */
function allocation(held: readonly { tenant: string; lease: Lease; a: number; b: number }[], from: number, to: number) {
  const tenants = [...new Set(held.map((h) => h.tenant))].sort();
  const deltas: { t: number; tenant: string; d: number }[] = [];
  for (const h of held)
    deltas.push({ t: h.a, tenant: h.tenant, d: h.lease.gpu.count }, { t: h.b, tenant: h.tenant, d: -h.lease.gpu.count });
  deltas.sort((x, y) => x.t - y.t);
  const level = new Map(tenants.map((t) => [t, 0]));
  const points: AllocationPoint[] = [];
  const emit = (t: number) => {
    for (const tenant of tenants) points.push({ at: isoInstant(t), tenant, gpus: level.get(tenant)! });
  };
  let peak = 0;
  let gpuHours = 0;
  let total = 0;
  let t = from;
  let i = 0;
  while (t < to) {
    while (i < deltas.length && deltas[i]!.t <= t) {
      const { tenant, d } = deltas[i++]!;
      level.set(tenant, level.get(tenant)! + d);
      total += d;
    }
    emit(t);
    peak = Math.max(peak, total);
    const next = i < deltas.length ? Math.min(deltas[i]!.t, to) : to;
    gpuHours += (total * (next - t)) / HOUR_MS;
    t = next;
  }
  // The series closes at the period's end with the level it had just before, so the last step shows.
  if (from < to) for (const p of points.slice(-tenants.length)) points.push({ ...p, at: isoInstant(to) });
  return { points, peak, gpuHours };
}
