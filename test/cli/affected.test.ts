import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers";

const STACKS = path.join(ROOT, "stacks");
const affected = (...args: string[]) => run("affected", "--stacks", STACKS, ...args);

describe("leasehold affected (the lease clock)", () => {
  it("lists the stacks whose leases start, end, get a notice or are reclaimed in (since, at]", async () => {
    const r = await affected("--since", "2026-11-27T00:00:00Z", "--at", "2026-12-01T00:00:00Z", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      since: "2026-11-27T00:00:00Z",
      at: "2026-12-01T00:00:00Z",
      stacks: [
        { stack: "tenant-acme", events: [{ lease: "acme-h100-2026q4", event: "start", at: "2026-12-01T00:00:00Z" }] },
        {
          stack: "tenant-corvid",
          events: [
            { lease: "corvid-l40s-2026q4", event: "notice", at: "2026-11-27T09:00:00Z" },
            { lease: "corvid-l40s-2026q4", event: "reclaim", at: "2026-11-30T09:00:00Z" },
          ],
        },
      ],
    });
  });

  it("excludes the instant --since and includes the instant --at, so back-to-back runs see each change once", async () => {
    const first = await affected("--since", "2026-11-30T00:00:00Z", "--at", "2026-12-01T00:00:00Z");
    const second = await affected("--since", "2026-12-01T00:00:00Z", "--at", "2026-12-02T00:00:00Z");
    expect(first.stdout.trim().split("\n")).toEqual(["tenant-acme", "tenant-corvid"]);
    expect(second.stdout.trim()).toBe("");
  });

  it("refuses --since after --at, missing bounds, and the git form (exit 2)", async () => {
    expect((await affected("--since", "2027-01-02T00:00:00Z", "--at", "2027-01-01T00:00:00Z")).code).toBe(2);
    expect((await affected("--at", "now")).code).toBe(2);
    expect((await affected("--base", "origin/main")).code).toBe(2);
  });
});
