import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { leaseEvents } from "../../lease/clock";
import { readContract } from "../../lease/contract";
import { checkFleet } from "../../lease/fleet";
import { loadStackText, type Stack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";
import { computeReport } from "../../lease/report";
import { BLOCK, CLUSTER, load, ok } from "./reservation-fixtures";

const ODCR = { id: "cr-01234567", kind: "odcr", availabilityZone: "us-east-2a" };
const T = (s: string) => Date.parse(s);
import { exampleStacks, run, snapshot } from "../cli/helpers";

// A careless or hostile landlord against capacity reservations and their windows (EKS): odd
// timestamps, windows at their edges, reclaims, far dates, the clock, the report, the request path
// and the policy contract. The first block holds inputs leasehold handled correctly from the
// start; the second, the defects the attack found (each fixed since).

const loadProblems = (r: ReturnType<typeof load>) => (r.ok ? [] : r.problems.map(formatProblem));
const pool = (reservation: object | null = BLOCK, extra: object = {}) => ({
  name: "h100-cb",
  gpuType: "h100-80gb",
  maxNodes: 2,
  ...(reservation ? { capacityReservation: reservation } : {}),
  ...extra,
});
const platformConfig = (pools: object[]) => ({ "leasehold:role": "platform", "leasehold:cluster": CLUSTER, "leasehold:pools": pools });
const platform = (reservation: object | null = BLOCK) => ok("platform-aws", platformConfig([pool(reservation)]));
interface LeaseOpts {
  count?: number;
  pool?: string;
  notice?: object;
}
const lease = (id: string, start: string, end: string, o: LeaseOpts = {}) => ({
  id,
  gpu: { type: "h100-80gb", count: o.count ?? 8 },
  window: { start, end },
  placement: { pool: o.pool ?? "h100-cb" },
  reclaim: { noticeHours: 72, ...(o.notice ? { notice: o.notice } : {}) },
});
const tenantOf = (leases: object[], name = "acme") =>
  ok(`tenant-${name}`, {
    "leasehold:role": "tenant",
    "leasehold:platform": "platform-aws",
    "leasehold:tenant": { name },
    "leasehold:leases": leases,
  });
const tenant = (start: string, end: string, o: LeaseOpts = {}) => tenantOf([lease("acme-1", start, end, o)]);
const problems = (stacks: Stack[]) => checkFleet(stacks).map(formatProblem);

/** A platform stack text with the reservation's start and end written verbatim (quoted or not). */
const platformYaml = (start: string, end: string, kind = "capacity-block") => `config:
  leasehold:role: platform
  leasehold:cluster:
    provider: eks
    name: gpu
    version: "1.33"
    vpcCidr: 10.40.0.0/16
    availabilityZones: [us-east-2a, us-east-2b]
  leasehold:pools:
    - name: h100-cb
      gpuType: h100-80gb
      maxNodes: 2
      capacityReservation:
        id: cr-0123456789abcdef0
        kind: ${kind}
        availabilityZone: us-east-2a
        start: ${start}
        end: ${end}
`;
const loadPlatformYaml = (start: string, end: string) => loadStackText("stacks/Pulumi.platform-aws.yaml", platformYaml(start, end));

/** The example stacks with the capacity block's start/end lines and delta's h100 window replaced verbatim. */
function attackStacks(blockStart: string, blockEnd: string, leaseWindow?: string): string {
  const dir = exampleStacks();
  const p = path.join(dir, "Pulumi.platform-aws.yaml");
  const text = fs.readFileSync(p, "utf8");
  expect(text).toContain('start: "2026-12-31T11:30:00Z"\n        end: "2027-04-01T11:30:00Z"');
  const edited = text
    .replace('start: "2026-12-31T11:30:00Z"', `start: ${blockStart}`)
    .replace('end: "2027-04-01T11:30:00Z"', `end: ${blockEnd}`);
  fs.writeFileSync(p, edited);
  if (leaseWindow !== undefined) {
    const t = path.join(dir, "Pulumi.tenant-delta.yaml");
    const ttext = fs.readFileSync(t, "utf8");
    expect(ttext).toContain('window: {start: "2027-01-01T00:00:00Z", end: "2027-04-01T00:00:00Z"}');
    const tedited = ttext.replace('window: {start: "2027-01-01T00:00:00Z", end: "2027-04-01T00:00:00Z"}', `window: ${leaseWindow}`);
    fs.writeFileSync(t, tedited);
  }
  return dir;
}

/** A refusal as the brief requires it: exit 1, no stack trace, no internal error. */
function expectCleanRefusal(r: { code: number; stdout: string; stderr: string }) {
  expect(r.code, r.stderr).toBe(1);
  const all = r.stdout + r.stderr;
  expect(all).not.toMatch(/TypeError|internal error|\n\s+at .+\(.+:\d+:\d+\)/);
}

afterEach(() => {
  delete process.env.LEASEHOLD_AT;
});

describe("reservation attack: inputs leasehold handles correctly", () => {
  it("reads unquoted YAML timestamps for start and end as the RFC 3339 times written, and judges leases against them", () => {
    const r = loadPlatformYaml("2027-01-01T11:30:00Z", "2027-01-15T11:30:00Z");
    expect(loadProblems(r)).toEqual([]);
    const stack = (r as { stack: Stack }).stack;
    expect(problems([stack, tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:00Z")])).toEqual([]);
    const late = problems([stack, tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:01Z")]);
    expect(late).toHaveLength(1);
    expect(late[0]).toContain("leasehold:leases[0].window.end");
  });

  it("refuses an unquoted date-only or zero-offset time that the Pulumi CLI would read differently, naming the key", () => {
    const dateOnly = loadProblems(loadPlatformYaml("2027-01-01", '"2027-01-15T11:30:00Z"'));
    expect(dateOnly.join("\n")).toContain("leasehold:pools[0].capacityReservation.start");
    const zero = loadProblems(loadPlatformYaml('"2027-01-01T11:30:00Z"', "2027-01-15T11:30:00+00:00"));
    expect(zero.join("\n")).toContain("leasehold:pools[0].capacityReservation.end: the plain YAML scalar 2027-01-15T11:30:00+00:00");
  });

  it("compares instants whatever the offsets: a block end at 13:30+02:00 lets a lease end at 12:00+01:00, not a millisecond later", () => {
    const p = platform({ ...BLOCK, start: "2027-01-01T12:30:00+01:00", end: "2027-01-15T13:30:00+02:00" });
    expect(problems([p, tenant("2027-01-01T11:30:00Z", "2027-01-15T12:00:00+01:00")])).toEqual([]);
    expect(problems([p, tenant("2027-01-01T16:29:59+05:00", "2027-01-15T11:00:00Z")]).join("\n")).toContain(
      "which begins at 2027-01-01T12:30:00+01:00: expected a start at or after it, got 2027-01-01T16:29:59+05:00",
    );
    const late = problems([p, tenant("2027-01-01T11:30:00Z", "2027-01-15T12:00:00.001+01:00")]);
    expect(late).toHaveLength(1);
    expect(late[0]).toContain("expected the lease to end by 2027-01-15T11:00:00Z");
  });

  it("accepts lower-case t and z in the reservation's window and compares them as instants", () => {
    const p = platform({ ...BLOCK, start: "2027-01-01t11:30:00z", end: "2027-01-15t11:30:00z" });
    expect(problems([p, tenant("2027-01-01T11:30:00Z", "2027-01-15t11:00:00z")])).toEqual([]);
    expect(problems([p, tenant("2027-01-01T11:30:00Z", "2027-01-15t11:00:00.001z")])).toHaveLength(1);
  });

  it("takes fractional seconds in the window: a block ending at 11:30:00.5 lets a lease end at 11:00:00.5", () => {
    const p = platform({ ...BLOCK, end: "2027-01-15T11:30:00.5Z" });
    expect(problems([p, tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:00.5Z")])).toEqual([]);
    expect(problems([p, tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:00.501Z")])).toHaveLength(1);
  });

  it("allows a lease that ends exactly 30 minutes before the block, refuses one ending 29 minutes 59 seconds before", () => {
    expect(problems([platform(), tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:00Z")])).toEqual([]);
    const late = problems([platform(), tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:01Z")]);
    expect(late).toEqual([
      "stacks/Pulumi.tenant-acme.yaml: leasehold:leases[0].window.end: pool h100-cb launches into capacity block cr-0123456789abcdef0, which ends at 2027-01-15T11:30:00Z; EC2 begins terminating its instances 30 minutes before, so expected the lease to end by 2027-01-15T11:00:00Z, but it is in force until 2027-01-15T11:00:01Z",
    ]);
  });

  it("refuses start == end, end before start, a leap second and an offset-less time at validate, one line each, exit 1", async () => {
    for (const [start, end, expected] of [
      [
        '"2026-12-31T11:30:00Z"',
        '"2026-12-31T11:30:00Z"',
        "leasehold:pools[0].capacityReservation.end: must be after start (2026-12-31T11:30:00Z)",
      ],
      [
        '"2027-04-01T11:30:00Z"',
        '"2026-12-31T11:30:00Z"',
        "leasehold:pools[0].capacityReservation.end: must be after start (2027-04-01T11:30:00Z)",
      ],
      [
        '"2026-12-31T11:30:00Z"',
        '"2027-04-01T11:29:60Z"',
        'leasehold:pools[0].capacityReservation.end: expected a real calendar time (month 01-12, a day that month has, hour 00-23, minute and second 00-59), got "2027-04-01T11:29:60Z"',
      ],
      [
        '"2026-12-31T11:30:00"',
        '"2027-04-01T11:30:00Z"',
        'leasehold:pools[0].capacityReservation.start: expected an RFC 3339 time with an offset, such as 2026-12-01T00:00:00Z, got "2026-12-31T11:30:00"',
      ],
    ] as const) {
      const dir = attackStacks(start, end);
      const r = await run("validate", "--stacks", dir);
      expectCleanRefusal(r);
      expect(r.stderr + r.stdout).toContain(`Pulumi.platform-aws.yaml: ${expected}`);
    }
  });

  it("does not hold a reclaimed lease to the block: reclaimed in time it fits, reclaimed before it starts it is never in force", () => {
    const inTime = { issuedAt: "2027-01-10T00:00:00Z", effectiveAt: "2027-01-15T11:00:00Z", reason: "block ends" };
    expect(problems([platform(), tenant("2027-01-02T00:00:00Z", "2027-06-01T00:00:00Z", { notice: inTime })])).toEqual([]);
    const aMsLate = { ...inTime, effectiveAt: "2027-01-15T11:00:00.001Z" };
    expect(problems([platform(), tenant("2027-01-02T00:00:00Z", "2027-06-01T00:00:00Z", { notice: aMsLate })])).toHaveLength(1);
    // Window wholly after the block, but reclaimed before it starts: never in force, nothing to refuse.
    const never = { issuedAt: "2027-01-01T00:00:00Z", effectiveAt: "2027-01-20T00:00:00Z", reason: "cancelled" };
    expect(problems([platform(), tenant("2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", { notice: never })])).toEqual([]);
  });

  it("refuses withdrawing a notice (reclaim --cancel) when the lease would then run past the block, changing no file", async () => {
    const dir = attackStacks(
      '"2026-12-31T11:30:00Z"',
      '"2027-04-01T11:30:00Z"',
      '{start: "2027-01-01T00:00:00Z", end: "2027-06-01T00:00:00Z"}',
    );
    const t = path.join(dir, "Pulumi.tenant-delta.yaml");
    fs.writeFileSync(
      t,
      fs
        .readFileSync(t, "utf8")
        .replace(
          "        noticeHours: 168\n",
          '        noticeHours: 168\n        notice: {issuedAt: "2027-02-01T00:00:00Z", effectiveAt: "2027-03-01T00:00:00Z", reason: "block ends"}\n',
        ),
    );
    expect((await run("check", "--stacks", dir)).code).toBe(0);
    const before = snapshot(dir);
    process.env.LEASEHOLD_AT = "2027-02-10T00:00:00Z";
    const r = await run("reclaim", "--stacks", dir, "--stack", "tenant-delta", "--lease", "delta-h100-2027q1", "--cancel");
    expectCleanRefusal(r);
    expect(r.stderr).toContain("expected the lease to end by 2027-04-01T11:00:00Z, but it is in force until 2027-06-01T00:00:00Z");
    expect(snapshot(dir)).toEqual(before);
  });

  it("lets an ODCR with only an end hold any lease that ends by then, and refuses one a millisecond past it", () => {
    const odcr = { ...ODCR, end: "2027-01-10T00:00:00Z" };
    expect(problems([platform(odcr), tenant("2000-01-01T00:00:00Z", "2027-01-10T00:00:00Z")])).toEqual([]);
    expect(problems([platform(odcr), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00.001Z")]).join("\n")).toContain(
      "capacity reservation cr-01234567, which ends at 2027-01-10T00:00:00Z: expected the lease to end by then, but it is in force until 2027-01-10T00:00:00.001Z",
    );
  });

  it("names the right lease among several and leaves leases on other pools alone", () => {
    const p = ok("platform-aws", platformConfig([pool(), { name: "other", gpuType: "h100-80gb", maxNodes: 2 }]));
    const t = tenantOf([
      lease("a1", "2027-01-02T00:00:00Z", "2027-01-03T00:00:00Z"),
      lease("a2", "2026-01-02T00:00:00Z", "2028-01-03T00:00:00Z", { pool: "other" }),
      lease("a3", "2027-01-14T00:00:00Z", "2027-01-16T00:00:00Z"),
    ]);
    const found = problems([p, t]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("leasehold:leases[2].window.end");
  });

  it("accepts a far end (year 9999) and judges it exactly", () => {
    const far = { ...BLOCK, end: "9999-12-31T23:59:59Z" };
    expect(problems([platform(far), tenant("2027-01-02T00:00:00Z", "9999-12-31T23:29:59Z")])).toEqual([]);
    expect(problems([platform(far), tenant("2027-01-02T00:00:00Z", "9999-12-31T23:30:00Z")])).toHaveLength(1);
  });

  it("a reservation on a pool with no leases: check passes, the report shows it reserved and unleased", () => {
    const p = ok("platform-aws", platformConfig([pool(), { name: "other", gpuType: "h100-80gb", maxNodes: 2 }]));
    const t = tenantOf([lease("a1", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", { pool: "other" })]);
    expect(problems([p, t])).toEqual([]);
    const r = computeReport([p, t], { from: T("2027-01-01T00:00:00Z"), to: T("2027-02-01T00:00:00Z") });
    // 16 GPUs x 14 days = 5,376 GPU-hours reserved, none leased.
    expect(r.reservations).toMatchObject([{ pool: "h100-cb", reservedGpuHours: 5376, leasedGpuHours: 0, leasedShare: 0 }]);
  });

  it("the report: a period that misses the reservation shows zeros; a period inside it counts only the period", () => {
    const stacks = [platform(), tenant("2027-01-02T00:00:00Z", "2027-01-15T11:00:00Z")];
    const miss = computeReport(stacks, { from: T("2027-03-01T00:00:00Z"), to: T("2027-04-01T00:00:00Z") });
    expect(miss.reservations).toMatchObject([{ reservedGpuHours: 0, leasedGpuHours: 0, leasedShare: 0 }]);
    // 10:00 to 11:30 on the block's last day: 16 GPUs x 1.5 h = 24 reserved; the lease ran 10:00-11:00: 8 x 1 = 8.
    const inside = computeReport(stacks, { from: T("2027-01-15T10:00:00Z"), to: T("2027-01-15T11:30:00Z") });
    expect(inside.reservations).toMatchObject([{ reservedGpuHours: 24, leasedGpuHours: 8, leasedShare: 0.3333 }]);
    // The last 30 minutes: reserved (EC2 bills the block), never leasable.
    const grace = computeReport(stacks, { from: T("2027-01-15T11:00:00Z"), to: T("2027-02-01T00:00:00Z") });
    expect(grace.reservations).toMatchObject([{ reservedGpuHours: 8, leasedGpuHours: 0 }]);
  });

  it("the report: an ODCR with an offset start and an open end, over a period", () => {
    const odcr = { ...ODCR, start: "2027-01-10T00:00:00+05:00" };
    const stacks = [platform(odcr), tenant("2027-01-10T00:00:00+05:00", "2027-01-11T00:00:00Z")];
    const r = computeReport(stacks, { from: T("2027-01-01T00:00:00Z"), to: T("2027-01-12T00:00:00Z") });
    // From 2027-01-09T19:00Z to the period's end: 53 h x 16 GPUs = 848; the lease: 29 h x 8 = 232.
    expect(r.reservations).toEqual([
      {
        platform: "platform-aws",
        pool: "h100-cb",
        id: "cr-01234567",
        kind: "odcr",
        start: "2027-01-10T00:00:00+05:00",
        reservedGpuHours: 848,
        leasedGpuHours: 232,
        leasedShare: 0.2736,
      },
    ]);
  });

  it("the clock: a reservation end equal to a lease end gives both events; (since, at] holds at and excludes since", () => {
    const odcr = { ...ODCR, end: "2027-01-10T00:00:00Z" };
    const stacks = [platform(odcr), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z")];
    expect(leaseEvents(stacks, T("2027-01-09T00:00:00Z"), T("2027-01-10T00:00:00Z"))).toEqual([
      { stack: "tenant-acme", lease: "acme-1", event: "end", at: "2027-01-10T00:00:00Z" },
      { stack: "tenant-acme", lease: "acme-1", event: "reservation-end", at: "2027-01-10T00:00:00Z" },
    ]);
    expect(leaseEvents(stacks, T("2027-01-10T00:00:00Z"), T("2027-01-11T00:00:00Z"))).toEqual([]);
    // An ODCR with an open end never ticks the clock.
    expect(
      leaseEvents(
        [platform(ODCR), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z")],
        T("2027-01-09T00:00:00Z"),
        T("2099-01-01T00:00:00Z"),
      ),
    ).toEqual([{ stack: "tenant-acme", lease: "acme-1", event: "end", at: "2027-01-10T00:00:00Z" }]);
  });

  it("the clock through the CLI: affected lists the tenant at the block's end given with an offset and lower-case letters", async () => {
    const dir = attackStacks('"2026-12-31T11:30:00Z"', '"2027-04-01t13:30:00+02:00"');
    const r = await run("affected", "--since", "2027-04-01T11:00:00Z", "--at", "2027-04-01T11:30:00Z", "--stacks", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("tenant-delta");
    expect(r.stderr).toContain("2027-04-01t13:30:00+02:00 delta-h100-2027q1 reservation-end");
    const before = await run("affected", "--since", "2027-04-01T11:00:00Z", "--at", "2027-04-01T11:29:59.999Z", "--stacks", dir);
    expect(before.stdout.trim()).toBe("");
  });

  it("request refuses a new lease on the block pool outside its window with check's message, and changes no file", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const late = await run(
      "request",
      "--stacks",
      dir,
      "--platform",
      "platform-aws",
      "--tenant",
      "echo",
      "--gpus",
      "8",
      "--gpu-type",
      "h100-80gb",
      "--pool",
      "h100-cb",
      "--start",
      "2027-03-01T00:00:00Z",
      "--end",
      "2027-04-01T11:00:01Z",
    );
    expectCleanRefusal(late);
    expect(late.stderr).toContain(
      "leasehold:leases[0].window.end: pool h100-cb launches into capacity block cr-0123456789abcdef0, which ends at 2027-04-01T11:30:00Z; EC2 begins terminating its instances 30 minutes before, so expected the lease to end by 2027-04-01T11:00:00Z, but it is in force until 2027-04-01T11:00:01Z",
    );
    const early = await run(
      "request",
      "--stacks",
      dir,
      "--platform",
      "platform-aws",
      "--tenant",
      "echo",
      "--gpus",
      "8",
      "--gpu-type",
      "h100-80gb",
      "--pool",
      "h100-cb",
      "--start",
      "2026-12-31T11:29:59Z",
      "--end",
      "2027-02-01T00:00:00Z",
    );
    expectCleanRefusal(early);
    expect(early.stderr).toContain("which begins at 2026-12-31T11:30:00Z: expected a start at or after it, got 2026-12-31T11:29:59Z");
    expect(snapshot(dir)).toEqual(before);
    // Inside the window it is granted.
    const fits = await run(
      "request",
      "--stacks",
      dir,
      "--platform",
      "platform-aws",
      "--tenant",
      "echo",
      "--gpus",
      "8",
      "--gpu-type",
      "h100-80gb",
      "--pool",
      "h100-cb",
      "--start",
      "2026-12-31T11:30:00Z",
      "--end",
      "2027-04-01T11:00:00Z",
      "--dry-run",
    );
    expect(fits.code, fits.stderr).toBe(0);
  });

  it("refuses a capacity reservation on an existing cluster's pool as EKS-only", async () => {
    const r = load("platform-local", {
      "leasehold:role": "platform",
      "leasehold:cluster": { provider: "existing" },
      "leasehold:pools": [{ name: "h100-a", gpuType: "h100-80gb", nodes: ["gpu-001"], capacityReservation: BLOCK }],
    });
    expect(loadProblems(r)).toEqual([
      "stacks/Pulumi.platform-local.yaml: leasehold:pools[0].capacityReservation: is only for provider: eks",
    ]);
  });

  it("the policy contract carries the window, and the pack's capacity check refuses a lease past the block from it", async () => {
    const out = await run("policy-config", "--stack", "tenant-delta", "--stacks", exampleStacks());
    expect(out.code, out.stderr).toBe(0);
    const contract = JSON.parse(out.stdout)["lease-contract"].contract;
    expect(contract.platform.pools[0].capacityReservation).toMatchObject({ start: "2026-12-31T11:30:00Z", end: "2027-04-01T11:30:00Z" });
    // A landlord who edits the contract by hand: the lease now runs past the block's grace.
    contract.leases[0].window.end = "2027-04-01T11:00:01Z";
    const c = readContract(contract, T("2027-01-02T00:00:00Z"));
    if (typeof c === "string") throw new Error(c);
    expect(problems([c.platform, c.tenant!]).join("\n")).toContain("expected the lease to end by 2027-04-01T11:00:00Z");
    // A contract whose block lost its window is refused with the key named.
    delete contract.platform.pools[0].capacityReservation.end;
    expect(readContract(contract, 0)).toBe(
      "the lease contract in the policy config is invalid: contract.platform.pools[0].capacityReservation.end: is required for a capacity block (its window, RFC 3339, as EC2 sold it)",
    );
  });

  it("render, report, affected and policy-config refuse a platform with a bad window cleanly (exit 1, the key named)", async () => {
    const dir = attackStacks('"2026-12-31T11:30:00Z"', "null");
    for (const argv of [
      ["check"],
      ["report", "--json"],
      ["affected", "--since", "2027-01-01T00:00:00Z", "--at", "2027-05-01T00:00:00Z"],
      ["render", "--stack", "tenant-delta"],
      ["policy-config", "--stack", "tenant-delta"],
    ]) {
      const r = await run(...argv, "--stacks", dir);
      expectCleanRefusal(r);
      expect(r.stderr + r.stdout).toContain("Pulumi.platform-aws.yaml");
      expect(r.stderr + r.stdout).toContain("leasehold:pools[0].capacityReservation.end");
      expect(r.stderr + r.stdout).toContain("got null");
    }
  });
});

describe("reservation attack: defects", () => {
  it("refuses two pools that give one reservation id contradictory windows (the report would count it twice)", () => {
    const config = platformConfig([
      pool(BLOCK),
      pool({ ...BLOCK, start: "2027-02-01T11:30:00Z", end: "2027-02-15T11:30:00Z" }, { name: "h100-cb2" }),
    ]);
    const r = load("platform-aws", config);
    const found = r.ok ? problems([r.stack]) : loadProblems(r);
    // Today: accepted, and the report lists cr-0123456789abcdef0 twice, 5,376 reserved GPU-hours each.
    expect(found.join("\n")).toMatch(/leasehold:pools\[1\]\.capacityReservation.*cr-0123456789abcdef0/);
  });

  it("refuses one reservation id given as a capacity block on one pool and an ODCR on another", () => {
    const config = platformConfig([pool(BLOCK), pool({ ...ODCR, id: BLOCK.id }, { name: "h100-od" })]);
    const r = load("platform-aws", config);
    const found = r.ok ? problems([r.stack]) : loadProblems(r);
    expect(found.join("\n")).toContain("cr-0123456789abcdef0");
  });

  it("refuses a capacity block no longer than its 30-minute grace, in which no lease can ever run", () => {
    // start 11:30, end 11:45: a lease would have to start at or after 11:30 and end by 11:15.
    const r = load("platform-aws", platformConfig([pool({ ...BLOCK, end: "2027-01-01T11:45:00Z" })]));
    const found = r.ok ? problems([r.stack]) : loadProblems(r);
    expect(found.join("\n")).toMatch(/leasehold:pools\[0\]\.capacityReservation\.end: .*30 minutes/);
  });

  it("an existing cluster's capacity block without its window is refused as EKS-only, not told to add a window", () => {
    const r = load("platform-local", {
      "leasehold:role": "platform",
      "leasehold:cluster": { provider: "existing" },
      "leasehold:pools": [
        { name: "h100-a", gpuType: "h100-80gb", nodes: ["gpu-001"], capacityReservation: { ...BLOCK, start: undefined, end: undefined } },
      ],
    });
    // Today: only "start: is required for a capacity block" and "end: is required ..."; adding them
    // then yields "is only for provider: eks".
    expect(loadProblems(r).join("\n")).toContain("leasehold:pools[0].capacityReservation: is only for provider: eks");
  });

  it("names the lease's end as an RFC 3339 time when it falls in year 10000 UTC (9999-12-31T23:59:59-23:59)", () => {
    const far = { ...BLOCK, end: "9999-12-31T23:59:59Z" };
    const found = problems([platform(far), tenant("2027-01-02T00:00:00Z", "9999-12-31T23:59:59-23:59")]);
    expect(found).toHaveLength(1);
    // Today: "... but it is in force until +010000-01-01T23:58:59Z", a value neither in the file nor RFC 3339.
    expect(found[0]).not.toContain("+010000");
    expect(found[0]).toContain("9999-12-31T23:59:59-23:59");
  });
});
