import type { Report } from "../lease/report";

// The allocation chart of `leasehold report`: per pool, each tenant's leased GPUs stacked over
// time against the pool's capacity, with reclaim notices and reclaims marked. A Vega-Lite spec,
// compiled and rendered to SVG by Vega's headless renderer (no browser, no canvas).

/** One row of the chart's single data set; `kind` says which layer draws it. */
type Row =
  | { kind: "lease"; pool: string; at: string; tenant: string; gpus: number }
  | { kind: "capacity"; pool: string; at: string; capacity: number; end: boolean }
  | { kind: "event"; pool: string; at: string; event: string }
  | { kind: "label"; pool: string; at: string; label: string };

const EVENT_NAMES = { notice: "reclaim notice issued", reclaim: "reclaim took effect", emergency: "emergency notice issued" } as const;

/** A pool's row title: `platform-local/h100-a (h100-80gb, 32 GPUs)`. */
function poolTitle(p: Report["pools"][number]): string {
  return `${p.platform}/${p.pool} (${p.gpuType}, ${p.capacity} GPUs)`;
}

/** The Vega-Lite spec of the allocation chart. */
export function allocationSpec(report: Report): Record<string, unknown> {
  const rows: Row[] = [];
  for (const p of report.pools) {
    const pool = poolTitle(p);
    for (const a of p.allocation) rows.push({ kind: "lease", pool, at: a.at, tenant: a.tenant, gpus: a.gpus });
    rows.push(
      { kind: "capacity", pool, at: report.from, capacity: p.capacity, end: false },
      { kind: "capacity", pool, at: report.to, capacity: p.capacity, end: true },
    );
  }
  const labelled = new Set<string>();
  for (const e of report.events) {
    const p = report.pools.find((x) => x.platform === e.platform && x.pool === e.pool);
    if (!p) continue;
    const event = e.event === "notice" && e.emergency ? EVENT_NAMES.emergency : EVENT_NAMES[e.event];
    rows.push({ kind: "event", pool: poolTitle(p), at: e.at, event });
    // One label per lease, at its first event: a notice and its reclaim are often days apart.
    if (!labelled.has(e.lease)) {
      labelled.add(e.lease);
      rows.push({ kind: "label", pool: poolTitle(p), at: e.at, label: `${e.lease} (${e.gpus} GPUs)` });
    }
  }
  const x = {
    field: "at",
    type: "temporal",
    title: "time (UTC)",
    scale: { type: "utc", domain: [report.from, report.to] },
    axis: { format: "%Y-%m-%d", labelAngle: -30, labelOverlap: true },
  };
  const only = (kind: Row["kind"]) => ({ filter: `datum.kind === '${kind}'` });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `Leased GPUs per pool, ${report.from} to ${report.to}`, anchor: "start", fontSize: 14 },
    data: { values: rows },
    facet: {
      row: {
        field: "pool",
        type: "nominal",
        title: null,
        header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start", labelOrient: "top", labelFontSize: 12, labelFontWeight: "bold" },
      },
    },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 720,
      height: 170,
      layer: [
        {
          transform: [only("lease")],
          mark: { type: "area", interpolate: "step-after", opacity: 0.85 },
          encoding: {
            x,
            y: { field: "gpus", type: "quantitative", stack: "zero", title: "GPUs leased" },
            color: { field: "tenant", type: "nominal", title: "tenant", scale: { scheme: "tableau10" } },
            order: { field: "tenant" },
          },
        },
        {
          transform: [only("capacity")],
          mark: { type: "line", color: "#222222", strokeDash: [6, 3], strokeWidth: 1.5 },
          encoding: { x, y: { field: "capacity", type: "quantitative" } },
        },
        {
          transform: [only("capacity"), { filter: "datum.end" }],
          mark: { type: "text", align: "right", baseline: "bottom", dy: -3, fontSize: 11, color: "#222222" },
          encoding: { x, y: { field: "capacity", type: "quantitative" }, text: { value: "capacity" } },
        },
        {
          transform: [only("event")],
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: {
            x,
            color: { value: "#c0392b" },
            strokeDash: {
              field: "event",
              type: "nominal",
              title: "reclaim clause",
              scale: {
                domain: Object.values(EVENT_NAMES),
                range: [
                  [4, 2],
                  [1, 0],
                  [1, 3],
                ],
              },
            },
          },
        },
        {
          transform: [only("label")],
          mark: { type: "text", angle: 270, align: "right", baseline: "bottom", dx: -4, dy: -3, fontSize: 10, color: "#c0392b" },
          encoding: { x, y: { value: 0 }, text: { field: "label" } },
        },
      ],
    },
    config: { font: "sans-serif", legend: { orient: "right", labelLimit: 320 }, view: { stroke: "#dddddd" } },
  };
}

// Vega 6 and Vega-Lite 6 are ES modules only; this CommonJS project loads them with import(),
// typed here by the little of their API it uses.
interface VegaLite {
  compile(spec: object): { spec: object };
}
interface Vega {
  parse(spec: object): unknown;
  View: new (runtime: unknown, opts: { renderer: "none" }) => { toSVG(): Promise<string>; finalize(): void };
}
const esm = <T>(name: string): Promise<T> => import(name) as Promise<T>;

/** The allocation chart as an SVG document. */
export async function allocationSvg(report: Report): Promise<string> {
  const [vega, vl] = await Promise.all([esm<Vega>("vega"), esm<VegaLite>("vega-lite")]);
  const view = new vega.View(vega.parse(vl.compile(allocationSpec(report)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
