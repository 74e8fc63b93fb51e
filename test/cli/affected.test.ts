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
        {
          stack: "tenant-acme",
          role: "tenant",
          reasons: ["2026-12-01T00:00:00Z acme-h100-2026q4 start"],
          events: [{ lease: "acme-h100-2026q4", event: "start", at: "2026-12-01T00:00:00Z" }],
        },
        {
          stack: "tenant-corvid",
          role: "tenant",
          reasons: ["2026-11-27T09:00:00Z corvid-l40s-2026q4 notice", "2026-11-30T09:00:00Z corvid-l40s-2026q4 reclaim"],
          events: [
            { lease: "corvid-l40s-2026q4", event: "notice", at: "2026-11-27T09:00:00Z" },
            { lease: "corvid-l40s-2026q4", event: "reclaim", at: "2026-11-30T09:00:00Z" },
          ],
        },
      ],
      platforms: [],
      tenants: ["tenant-acme", "tenant-corvid"],
      removed: [],
      shards: [1],
    });
  });

  it("lists one shard's stacks with --shard, and the shards of the whole set with --max-shards", async () => {
    const all = JSON.parse((await affected("--all", "--json")).stdout) as { stacks: { stack: string }[]; shards: number[] };
    expect(all.shards).toEqual([1]);
    const parts = await Promise.all(
      [1, 2, 3].map(
        async (k) =>
          JSON.parse((await affected("--all", "--json", "--shard", `${k}/3`)).stdout) as { stacks: { stack: string }[]; shard: string },
      ),
    );
    expect(parts.map((p) => p.shard)).toEqual(["1/3", "2/3", "3/3"]);
    expect(parts.flatMap((p) => p.stacks.map((s) => s.stack)).sort()).toEqual(all.stacks.map((s) => s.stack).sort());
    const bad = await affected("--all", "--shard", "4/3");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--shard: expected k/n with 1 <= k <= n");
  });

  it("excludes the instant --since and includes the instant --at, so back-to-back runs see each change once", async () => {
    const first = await affected("--since", "2026-11-30T00:00:00Z", "--at", "2026-12-01T00:00:00Z");
    const second = await affected("--since", "2026-12-01T00:00:00Z", "--at", "2026-12-02T00:00:00Z");
    expect(first.stdout.trim().split("\n")).toEqual(["tenant-acme", "tenant-corvid"]);
    expect(second.stdout.trim()).toBe("");
  });

  it("refuses --since after --at, missing bounds, and mixed modes (exit 2)", async () => {
    expect((await affected("--since", "2027-01-02T00:00:00Z", "--at", "2027-01-01T00:00:00Z")).code).toBe(2);
    expect((await affected("--at", "now")).code).toBe(2);
    const mixed = await affected("--base", "HEAD", "--at", "now", "--since", "2026-01-01T00:00:00Z");
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("give one of --base REF (a git diff), --at TIME --since TIME (the lease clock) or --all");
  });

  it("lists every stack with --all, platforms first", async () => {
    const r = await affected("--all");
    expect(r.stdout.trim().split("\n")).toEqual([
      "platform-aws",
      "platform-local",
      "tenant-acme",
      "tenant-bluefin",
      "tenant-corvid",
      "tenant-delta",
    ]);
  });
});
