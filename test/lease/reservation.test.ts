import { describe, expect, it } from "vitest";
import { leaseEvents } from "../../lease/clock";
import { checkFleet } from "../../lease/fleet";
import type { Stack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";
import { computeReport } from "../../lease/report";
import { BLOCK, CLUSTER, load, ok } from "./reservation-fixtures";

// Capacity reservations exist only for their window: a capacity block from its start to its end
// (EC2 begins terminating its instances 30 minutes before the end), an ODCR from its start, if
// any, to its end, if any. Leases on a pool that launches into one must fit inside.

const platform = (reservation: object | null = BLOCK) =>
  ok("platform-aws", {
    "leasehold:role": "platform",
    "leasehold:cluster": CLUSTER,
    "leasehold:pools": [
      { name: "h100-cb", gpuType: "h100-80gb", maxNodes: 2, ...(reservation ? { capacityReservation: reservation } : {}) },
    ],
  });
const tenant = (start: string, end: string, notice?: object) =>
  ok("tenant-acme", {
    "leasehold:role": "tenant",
    "leasehold:platform": "platform-aws",
    "leasehold:tenant": { name: "acme" },
    "leasehold:leases": [
      {
        id: "acme-1",
        gpu: { type: "h100-80gb", count: 8 },
        window: { start, end },
        placement: { pool: "h100-cb" },
        reclaim: { noticeHours: 72, ...(notice ? { notice } : {}) },
      },
    ],
  });
const problems = (stacks: Stack[]) => checkFleet(stacks).map(formatProblem);

describe("capacity reservation windows", () => {
  it("requires a capacity block's start and end, and an end after the start", () => {
    const r = load("platform-aws", {
      "leasehold:role": "platform",
      "leasehold:cluster": CLUSTER,
      "leasehold:pools": [
        { name: "p", gpuType: "h100-80gb", maxNodes: 1, capacityReservation: { ...BLOCK, start: undefined, end: undefined } },
      ],
    });
    const text = r.ok ? "" : r.problems.map(formatProblem).join("\n");
    expect(text).toContain("leasehold:pools[0].capacityReservation.start: is required for a capacity block");
    expect(text).toContain("leasehold:pools[0].capacityReservation.end: is required for a capacity block");
    const backwards = load("platform-aws", {
      "leasehold:role": "platform",
      "leasehold:cluster": CLUSTER,
      "leasehold:pools": [{ name: "p", gpuType: "h100-80gb", maxNodes: 1, capacityReservation: { ...BLOCK, end: BLOCK.start } }],
    });
    expect(backwards.ok ? "" : backwards.problems.map(formatProblem).join("\n")).toContain(
      "leasehold:pools[0].capacityReservation.end: must be after start (2027-01-01T11:30:00Z)",
    );
  });

  it("accepts an ODCR with no window, or an open end", () => {
    expect(
      load("platform-aws", {
        "leasehold:role": "platform",
        "leasehold:cluster": CLUSTER,
        "leasehold:pools": [
          {
            name: "p",
            gpuType: "h100-80gb",
            maxNodes: 1,
            capacityReservation: { id: "cr-01234567", kind: "odcr", availabilityZone: "us-east-2a" },
          },
        ],
      }).ok,
    ).toBe(true);
    expect(
      load("platform-aws", {
        "leasehold:role": "platform",
        "leasehold:cluster": CLUSTER,
        "leasehold:pools": [
          {
            name: "p",
            gpuType: "h100-80gb",
            maxNodes: 1,
            capacityReservation: { id: "cr-01234567", kind: "odcr", availabilityZone: "us-east-2a", start: "2027-01-01T00:00:00Z" },
          },
        ],
      }).ok,
    ).toBe(true);
  });

  it("accepts a lease that ends 30 minutes before the block does, and refuses one a second later", () => {
    expect(problems([platform(), tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:00Z")])).toEqual([]);
    const late = problems([platform(), tenant("2027-01-01T11:30:00Z", "2027-01-15T11:00:01Z")]);
    expect(late).toHaveLength(1);
    expect(late[0]).toContain("leasehold:leases[0].window.end");
    expect(late[0]).toContain(
      "pool h100-cb launches into capacity block cr-0123456789abcdef0, which ends at 2027-01-15T11:30:00Z; EC2 begins terminating its instances 30 minutes before, so expected the lease to end by 2027-01-15T11:00:00Z, but it is in force until 2027-01-15T11:00:01Z",
    );
  });

  it("refuses a lease that starts before the reservation does", () => {
    const early = problems([platform(), tenant("2027-01-01T11:29:59Z", "2027-01-10T00:00:00Z")]);
    expect(early).toHaveLength(1);
    expect(early[0]).toContain("leasehold:leases[0].window.start");
    expect(early[0]).toContain("which begins at 2027-01-01T11:30:00Z: expected a start at or after it, got 2027-01-01T11:29:59Z");
  });

  it("judges the time in force: a reclaim that takes effect in time makes a long window fit", () => {
    const notice = { issuedAt: "2027-01-05T00:00:00Z", effectiveAt: "2027-01-08T00:00:00Z", reason: "maintenance" };
    expect(problems([platform(), tenant("2027-01-02T00:00:00Z", "2027-03-01T00:00:00Z", notice)])).toEqual([]);
  });

  it("lets an ODCR with an open end hold a lease of any length after its start, and holds one with an end to it", () => {
    const odcr = { id: "cr-01234567", kind: "odcr", availabilityZone: "us-east-2a", start: "2027-01-01T00:00:00Z" };
    expect(problems([platform(odcr), tenant("2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z")])).toEqual([]);
    const ending = problems([platform({ ...odcr, end: "2027-06-01T00:00:00Z" }), tenant("2027-01-01T00:00:00Z", "2027-06-01T00:00:01Z")]);
    expect(ending.join("\n")).toContain(
      "capacity reservation cr-01234567, which ends at 2027-06-01T00:00:00Z: expected the lease to end by then",
    );
  });

  it("the lease clock deploys a tenant at the end of the reservation its lease's pool launches into", () => {
    const stacks = [platform(), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z")];
    const events = leaseEvents(stacks, Date.parse("2027-01-14T00:00:00Z"), Date.parse("2027-01-16T00:00:00Z"));
    expect(events).toEqual([{ stack: "tenant-acme", lease: "acme-1", event: "reservation-end", at: "2027-01-15T11:30:00Z" }]);
    expect(
      leaseEvents(
        [platform(null), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z")],
        Date.parse("2027-01-14T00:00:00Z"),
        Date.parse("2027-01-16T00:00:00Z"),
      ),
    ).toEqual([]);
  });

  it("the report shows reserved against leased GPU-hours for each reservation", () => {
    // 2 nodes x 8 GPUs = 16 GPUs reserved for 14 days = 5,376 GPU-hours; 8 GPUs leased for 8 days = 1,536.
    const r = computeReport([platform(), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z")], {
      from: Date.parse("2027-01-01T00:00:00Z"),
      to: Date.parse("2027-02-01T00:00:00Z"),
    });
    expect(r.reservations).toEqual([
      {
        platform: "platform-aws",
        pool: "h100-cb",
        id: "cr-0123456789abcdef0",
        kind: "capacity-block",
        start: "2027-01-01T11:30:00Z",
        end: "2027-01-15T11:30:00Z",
        reservedGpuHours: 5376,
        leasedGpuHours: 1536,
        leasedShare: 0.2857,
      },
    ]);
    // The period cuts both: from January 5, the block holds 10 days 11.5 hours (4,024 GPU-hours), the lease 5 days (960).
    const cut = computeReport([platform(), tenant("2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z")], {
      from: Date.parse("2027-01-05T00:00:00Z"),
      to: Date.parse("2027-02-01T00:00:00Z"),
    });
    expect(cut.reservations[0]).toMatchObject({ reservedGpuHours: 4024, leasedGpuHours: 960 });
  });
});
