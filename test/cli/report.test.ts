import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { exampleStacks, run, snapshot } from "./helpers";

// Figures computed by hand from the example stacks and the catalog (h100-80gb: 700 W, $6.88 per
// GPU-hour; l40s: 350 W, $3.77), for December 2026 (744 hours).
const DEC = ["--from", "2026-12-01T00:00:00Z", "--to", "2027-01-01T00:00:00Z"];

async function reportJson(...args: string[]) {
  const r = await run("report", "--stacks", exampleStacks(), "--json", ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("leasehold report", () => {
  it("gives GPU-hours, list cost and energy per lease for a month, by hand", async () => {
    const r = await reportJson(...DEC);
    expect(r.from).toBe("2026-12-01T00:00:00Z");
    expect(r.to).toBe("2027-01-01T00:00:00Z");
    const byId = Object.fromEntries(r.leases.map((l: any) => [l.id, [l.gpuHours, l.cost, l.energyKWh]]));
    expect(byId).toEqual({
      // 16 x 744 h; x 6.88; x 0.7 kW x 1.2
      "acme-h100-2026q4": [11_904, 81_899.52, 9_999.36],
      // 8 x 744 h; x 3.77; x 0.35 kW x 1.2
      "acme-l40s-2026q4": [5_952, 22_439.04, 2_499.84],
      // 8 x 744 h
      "bluefin-h100-2026h2": [5_952, 40_949.76, 4_999.68],
      // starts Dec 15: 8 x 17 days x 24 h = 3,264
      "bluefin-h100-burst": [3_264, 22_456.32, 2_741.76],
      // starts Jan 1: nothing in December
      "corvid-h100-2027q1": [0, 0, 0],
      // reclaimed Nov 30, 09:00: nothing in December
      "corvid-l40s-2026q4": [0, 0, 0],
      // on the AWS platform: January on; L40S 8 x 744 h
      "delta-h100-2027q1": [0, 0, 0],
      "delta-l40s-2026q4": [5_952, 22_439.04, 2_499.84],
    });
    expect(r.tenants).toEqual([
      { name: "acme", leases: 2, gpuHours: 17_856, cost: 104_338.56, energyKWh: 12_499.2 },
      { name: "bluefin", leases: 2, gpuHours: 9_216, cost: 63_406.08, energyKWh: 7_741.44 },
      { name: "corvid", leases: 2, gpuHours: 0, cost: 0, energyKWh: 0 },
      { name: "delta", leases: 2, gpuHours: 5_952, cost: 22_439.04, energyKWh: 2_499.84 },
    ]);
    expect(r.totals).toEqual({ gpuHours: 33_024, cost: 190_183.68, energyKWh: 22_740.48 });
    const h100 = r.pools.find((p: any) => p.pool === "h100-a");
    // 32 GPUs x 744 h = 23,808; leased 11,904 + 5,952 + 3,264 = 21,120; all 32 held from Dec 15.
    expect([h100.capacity, h100.capacityGpuHours, h100.leasedGpuHours, h100.leasedShare, h100.peakGpus]).toEqual([
      32, 23_808, 21_120, 0.8871, 32,
    ]);
    expect(r.events).toEqual([]);
  });

  it("respects a reclaim: GPU-hours stop when the notice takes effect, and both moments are listed", async () => {
    const r = await reportJson("--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z");
    const corvid = r.leases.find((l: any) => l.id === "corvid-l40s-2026q4");
    // Nov 1 to Nov 30 09:00 = 29 days + 9 h = 705 h, x 4 GPUs
    expect(corvid.inForce).toEqual({ from: "2026-11-01T00:00:00Z", to: "2026-11-30T09:00:00Z" });
    expect(corvid.gpuHours).toBe(2_820);
    expect(r.events.map((e: any) => [e.at, e.event, e.lease, e.emergency])).toEqual([
      ["2026-11-27T09:00:00Z", "notice", "corvid-l40s-2026q4", false],
      ["2026-11-30T09:00:00Z", "reclaim", "corvid-l40s-2026q4", false],
    ]);
    const l40s = r.pools.find((p: any) => p.pool === "l40s-a");
    // The step series: acme 8 and corvid 4 from Nov 1, corvid 0 from Nov 30 09:00, closed at Dec 1.
    expect(l40s.allocation).toEqual([
      { at: "2026-11-01T00:00:00Z", tenant: "acme", gpus: 8 },
      { at: "2026-11-01T00:00:00Z", tenant: "corvid", gpus: 4 },
      { at: "2026-11-30T09:00:00Z", tenant: "acme", gpus: 8 },
      { at: "2026-11-30T09:00:00Z", tenant: "corvid", gpus: 0 },
      { at: "2026-12-01T00:00:00Z", tenant: "acme", gpus: 8 },
      { at: "2026-12-01T00:00:00Z", tenant: "corvid", gpus: 0 },
    ]);
    expect(l40s.leasedGpuHours).toBe(8 * 720 + 2_820);
  });

  it("scales energy with --pue and spans every lease by default", async () => {
    const r = await reportJson("--pue", "1.5");
    expect(r.pue).toBe(1.5);
    expect([r.from, r.to]).toEqual(["2026-09-01T00:00:00Z", "2027-06-01T00:00:00Z"]);
    // acme-h100 over its whole window: 16 x 4,368 h x 0.7 kW x 1.5
    expect(r.leases.find((l: any) => l.id === "acme-h100-2026q4").energyKWh).toBe(73_382.4);
  });

  it("writes report.md, report.json and an allocation.svg that parses as XML with one series per tenant and pool", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-report-"));
    const r = await run("report", "--stacks", exampleStacks(), "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(["allocation.svg", "report.json", "report.md"]);
    const md = fs.readFileSync(path.join(out, "report.md"), "utf8");
    expect(md).toContain("| acme | 2 | 92,928 | 567,690.24 | 68,382.72 |");
    expect(md).toContain(
      "| 2026-11-30T09:00:00Z | reclaim took effect | corvid-l40s-2026q4 | corvid | 4 | Capacity moves to a new inference cluster. |",
    );
    expect(md).toContain("![Leased GPUs per pool over time](allocation.svg)");
    const json = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"));
    for (const l of json.leases)
      expect(Object.keys(l)).toEqual(expect.arrayContaining(["id", "tenant", "pool", "gpuType", "gpuHours", "cost", "energyKWh"]));
    for (const t of json.tenants) expect(Object.keys(t)).toEqual(expect.arrayContaining(["name", "gpuHours", "cost", "energyKWh"]));

    const svg = fs.readFileSync(path.join(out, "allocation.svg"), "utf8");
    expect(XMLValidator.validate(svg)).toBe(true);
    const areas: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      if (n["@_aria-roledescription"] === "area mark") areas.push(String(n["@_aria-label"]));
      for (const [k, v] of Object.entries(n)) if (!k.startsWith("@_")) walk(v);
    };
    walk(new XMLParser({ ignoreAttributes: false }).parse(svg));
    const tenantOf = (label: string) => /tenant: ([a-z0-9-]+)/.exec(label)?.[1];
    // platform-aws: h100-cb and l40s-od hold delta; platform-local: h100-a acme, bluefin and corvid, l40s-a acme and corvid.
    expect(areas.map(tenantOf)).toEqual(["delta", "delta", "acme", "bluefin", "corvid", "acme", "corvid"]);
    expect(svg).toContain("reclaim took effect");
    expect(svg).toContain("corvid-l40s-2026q4 (4 GPUs)");
    expect(svg).toContain("platform-local/h100-a (h100-80gb, 32 GPUs)");
  });

  it("prints Markdown without --out, and refuses bad options and a broken fleet without writing", async () => {
    const dir = exampleStacks();
    const md = await run("report", "--stacks", dir, ...DEC);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Lease report: 2026-12-01T00:00:00Z to 2027-01-01T00:00:00Z\n/);
    expect(md.stdout).not.toContain("allocation.svg");
    const pue = await run("report", "--stacks", dir, "--pue", "0.9");
    expect(pue.code).toBe(2);
    expect(pue.stderr).toContain('expected a power usage effectiveness of 1 or more (e.g. 1.2), got "0.9"');
    const backwards = await run("report", "--stacks", dir, "--from", "2027-01-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z");
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain("--from (2027-01-01T00:00:00Z) must come before --to (2026-12-01T00:00:00Z)");
    fs.appendFileSync(path.join(dir, "Pulumi.tenant-acme.yaml"), "  leasehold:bogus: 1\n");
    const before = snapshot(dir);
    const out = path.join(dir, "out");
    const broken = await run("report", "--stacks", dir, "--out", out);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("leasehold:bogus: unknown key");
    expect(fs.existsSync(out)).toBe(false);
    expect(snapshot(dir)).toEqual(before);
  });
});
