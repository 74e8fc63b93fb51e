import * as fs from "node:fs";
import * as path from "node:path";
import { isoInstant } from "../lease/fields";
import { computeReport, DEFAULT_PUE, leaseSpan, type Report } from "../lease/report";
import { checkedFolder, EXIT, printJson, UsageError, type Io } from "./common";
import { allocationSvg } from "./report-chart";
import { writeAtomically } from "./yaml-edit";

/** Options of `leasehold report`. */
export interface ReportCliOptions {
  /** The stacks folder. */
  stacks: string;
  /** The period's start, epoch milliseconds. @default the first lease's start */
  from?: number;
  /** The period's end, exclusive, epoch milliseconds. @default the last lease's end */
  to?: number;
  /** Power usage effectiveness. @default 1.2 */
  pue?: number;
  /** A folder to write report.md, report.json and allocation.svg into. @default print Markdown */
  out?: string;
  /** Print the report as JSON. */
  json?: boolean;
}

/** The files `--out` writes. */
export const REPORT_FILES = { markdown: "report.md", json: "report.json", chart: "allocation.svg" } as const;

/**
 * `leasehold report`: contracted GPU-hours, list cost and energy per lease and per tenant over a
 * period, each pool's leased share, and the reclaim notices and reclaims in it. With --out, writes
 * report.md, report.json and allocation.svg; without, prints the Markdown (or the JSON).
 */
export async function report(opts: ReportCliOptions, io: Io): Promise<number> {
  if (opts.pue !== undefined && !(opts.pue >= 1))
    throw new UsageError(
      `--pue: expected a power usage effectiveness of 1 or more (facility power over IT power, e.g. 1.2), got ${opts.pue}`,
    );
  const folder = checkedFolder(opts.stacks, opts.json, io);
  if (!folder) {
    io.err("report refused: the fleet check fails (fix the problems above first)");
    return EXIT.rule;
  }
  const span = leaseSpan(folder.stacks);
  const from = opts.from ?? span?.from;
  const to = opts.to ?? span?.to;
  if (from === undefined || to === undefined) throw new UsageError("the fleet has no lease to take the period from; give --from and --to");
  if (from >= to) throw new UsageError(`--from (${isoInstant(from)}) must come before --to (${isoInstant(to)})`);
  const r = computeReport(folder.stacks, { from, to, pue: opts.pue ?? DEFAULT_PUE });

  if (opts.out) {
    try {
      fs.mkdirSync(opts.out, { recursive: true });
    } catch (e) {
      throw new UsageError(`--out: cannot create the folder ${opts.out}: ${(e as Error).message}`);
    }
    const svg = await allocationSvg(r);
    writeAtomically(path.join(opts.out, REPORT_FILES.chart), svg);
    writeAtomically(path.join(opts.out, REPORT_FILES.json), `${JSON.stringify(r, null, 2)}\n`);
    writeAtomically(path.join(opts.out, REPORT_FILES.markdown), markdown(r, REPORT_FILES.chart));
    if (opts.json) printJson(io, r);
    else for (const f of Object.values(REPORT_FILES)) io.out(path.join(opts.out, f));
  } else if (opts.json) printJson(io, r);
  else io.out(markdown(r));
  return EXIT.ok;
}

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

function table(head: string[], rows: (string | number)[][], right: number[]): string {
  const align = head.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [head, align, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** The report as Markdown; `chart` links the allocation chart when it was written beside it. */
export function markdown(r: Report, chart?: string): string {
  const out: string[] = [];
  out.push(`# Lease report: ${r.from} to ${r.to}`, "");
  out.push(
    `GPU-hours count the time each lease is in force inside the period (its window, cut short by a reclaim that took effect). ` +
      `List cost uses the catalog's price per GPU-hour (US dollars); energy is GPU-hours x board power x PUE ${r.pue}.`,
    "",
  );
  out.push(
    `**Total**: ${number.format(r.totals.gpuHours)} GPU-hours, $${money.format(r.totals.cost)} at list price, ${number.format(r.totals.energyKWh)} kWh.`,
    "",
  );
  out.push("## Tenants", "");
  out.push(
    table(
      ["tenant", "leases", "GPU-hours", "list cost (USD)", "energy (kWh)"],
      [
        ...r.tenants.map((t) => [t.name, t.leases, number.format(t.gpuHours), money.format(t.cost), number.format(t.energyKWh)]),
        ["**total**", r.leases.length, number.format(r.totals.gpuHours), money.format(r.totals.cost), number.format(r.totals.energyKWh)],
      ],
      [1, 2, 3, 4],
    ),
    "",
  );
  out.push("## Leases", "");
  out.push(
    table(
      ["lease", "tenant", "pool", "GPUs", "in force (inside the period)", "GPU-hours", "list cost (USD)", "energy (kWh)"],
      r.leases.map((l) => [
        l.id,
        l.tenant,
        `${l.platform}/${l.pool}`,
        `${l.gpus} x ${l.gpuType}`,
        l.inForce ? `${l.inForce.from} to ${l.inForce.to}` : "not in force",
        number.format(l.gpuHours),
        money.format(l.cost),
        number.format(l.energyKWh),
      ]),
      [5, 6, 7],
    ),
    "",
  );
  out.push("## Pools", "");
  out.push(
    table(
      ["pool", "GPU type", "capacity (GPUs)", "peak leased", "leased GPU-hours", "capacity GPU-hours", "leased share"],
      r.pools.map((p) => [
        `${p.platform}/${p.pool}`,
        p.gpuType,
        p.capacity,
        p.peakGpus,
        number.format(p.leasedGpuHours),
        number.format(p.capacityGpuHours),
        percent.format(p.leasedShare),
      ]),
      [2, 3, 4, 5, 6],
    ),
    "",
  );
  if (r.reservations.length > 0) {
    out.push("## Capacity reservations", "");
    out.push(
      table(
        ["pool", "reservation", "kind", "window", "reserved GPU-hours", "leased GPU-hours", "leased share"],
        r.reservations.map((x) => [
          `${x.platform}/${x.pool}`,
          x.id,
          x.kind,
          `${x.start ?? "open"} to ${x.end ?? "open"}`,
          number.format(x.reservedGpuHours),
          number.format(x.leasedGpuHours),
          percent.format(x.leasedShare),
        ]),
        [4, 5, 6],
      ),
      "",
    );
  }
  out.push("## Reclaim notices and reclaims", "");
  if (r.events.length === 0) out.push("None in the period.", "");
  else {
    out.push(
      table(
        ["at", "event", "lease", "tenant", "GPUs", "reason"],
        r.events.map((e) => [
          e.at,
          e.event === "notice" ? (e.emergency ? "emergency notice issued" : "notice issued") : "reclaim took effect",
          e.lease,
          e.tenant,
          e.gpus,
          e.reason.replace(/\|/g, "\\|"),
        ]),
        [4],
      ),
      "",
    );
  }
  if (chart) out.push("## Allocation", "", `![Leased GPUs per pool over time](${chart})`, "");
  return out.join("\n");
}
