import { describe, expect, it } from "vitest";
import { instant } from "../../lease/fields";
import {
  forceInterval,
  gpusInForce,
  inForce,
  leasesBlockingPurge,
  leaseState,
  purgeBlocker,
  totalGpusInForce,
} from "../../lease/lifecycle";
import type { Lease } from "../../lease/schema";

// Every transition of the lease lifecycle at its exact boundary instant, and one millisecond
// before it: pending -> active -> notice -> reclaimed, or -> ended.

const lease = (notice?: Lease["reclaim"]["notice"], over: Partial<Lease> = {}): Lease => ({
  id: "l",
  gpu: { type: "h100-80gb", count: 8 },
  window: { start: "2027-01-01T00:00:00Z", end: "2027-03-01T00:00:00Z" },
  placement: { pool: "h100-a", nodes: ["n1"] },
  reclaim: notice ? { noticeHours: 72, notice } : { noticeHours: 72 },
  ...over,
});
const t = (iso: string) => instant(iso);
const before = (iso: string) => instant(iso) - 1;

describe("the lease lifecycle at its boundaries", () => {
  it("is pending before the start and active from the exact start instant", () => {
    const l = lease();
    expect(leaseState(l, before("2027-01-01T00:00:00Z"))).toBe("pending");
    expect(inForce(l, before("2027-01-01T00:00:00Z"))).toBe(false);
    expect(leaseState(l, t("2027-01-01T00:00:00Z"))).toBe("active");
    expect(inForce(l, t("2027-01-01T00:00:00Z"))).toBe(true);
  });

  it("ends at the exact end instant ([start, end) is half-open), whatever the offset", () => {
    const l = lease(undefined, { window: { start: "2027-01-01T00:00:00Z", end: "2027-03-01T01:00:00+01:00" } });
    expect(leaseState(l, before("2027-03-01T00:00:00Z"))).toBe("active");
    expect(leaseState(l, t("2027-03-01T00:00:00Z"))).toBe("ended");
    expect(inForce(l, t("2027-03-01T00:00:00Z"))).toBe(false);
  });

  it("is in notice from issuedAt, still in force, and reclaimed from the exact effectiveAt", () => {
    const l = lease({ issuedAt: "2027-02-01T00:00:00Z", effectiveAt: "2027-02-04T00:00:00Z", reason: "r" });
    expect(leaseState(l, before("2027-02-01T00:00:00Z"))).toBe("active");
    expect(leaseState(l, t("2027-02-01T00:00:00Z"))).toBe("notice");
    expect(inForce(l, before("2027-02-04T00:00:00Z"))).toBe(true);
    expect(totalGpusInForce([l], before("2027-02-04T00:00:00Z"))).toBe(8);
    expect(leaseState(l, t("2027-02-04T00:00:00Z"))).toBe("reclaimed");
    expect(inForce(l, t("2027-02-04T00:00:00Z"))).toBe(false);
    expect(gpusInForce([l], t("2027-02-04T00:00:00Z")).size).toBe(0);
    expect(forceInterval(l)).toEqual({ from: t("2027-01-01T00:00:00Z"), to: t("2027-02-04T00:00:00Z") });
  });

  it("ends as contracted when a notice is issued within its own noticeHours of the window end", () => {
    // Issued 24 h before the end with 72 h of notice: effective 48 h after the window is over.
    const l = lease({ issuedAt: "2027-02-28T00:00:00Z", effectiveAt: "2027-03-03T00:00:00Z", reason: "r" });
    expect(leaseState(l, t("2027-02-28T00:00:00Z"))).toBe("notice");
    expect(inForce(l, before("2027-03-01T00:00:00Z"))).toBe(true);
    expect(leaseState(l, t("2027-03-01T00:00:00Z"))).toBe("ended");
    expect(forceInterval(l).to).toBe(t("2027-03-01T00:00:00Z"));
  });

  it("never comes into force when reclaimed before its start", () => {
    const l = lease({ issuedAt: "2026-12-01T00:00:00Z", effectiveAt: "2026-12-04T00:00:00Z", reason: "r" });
    expect(leaseState(l, t("2027-01-01T00:00:00Z"))).toBe("reclaimed");
    expect(inForce(l, t("2027-01-01T00:00:00Z"))).toBe(false);
    const f = forceInterval(l);
    expect(f.to - f.from).toBe(0);
  });

  it("blocks a purge while in force or to come, and not from the instant it is over", () => {
    const l = lease();
    expect(leasesBlockingPurge([l], t("2026-06-01T00:00:00Z")).map((x) => purgeBlocker(x, t("2026-06-01T00:00:00Z")))).toEqual([
      "lease l starts at 2027-01-01T00:00:00Z",
    ]);
    expect(purgeBlocker(l, t("2027-02-01T00:00:00Z"))).toBe("lease l is in force until 2027-03-01T00:00:00Z");
    expect(leasesBlockingPurge([l], before("2027-03-01T00:00:00Z"))).toHaveLength(1);
    expect(leasesBlockingPurge([l], t("2027-03-01T00:00:00Z"))).toEqual([]);
    const reclaimed = lease({ issuedAt: "2027-02-01T00:00:00Z", effectiveAt: "2027-02-04T00:00:00Z", reason: "r" });
    expect(leasesBlockingPurge([reclaimed], t("2027-02-04T00:00:00Z"))).toEqual([]);
    expect(
      leasesBlockingPurge(
        [lease({ issuedAt: "2026-12-01T00:00:00Z", effectiveAt: "2026-12-04T00:00:00Z", reason: "r" })],
        t("2026-06-01T00:00:00Z"),
      ),
    ).toEqual([]);
  });
});
