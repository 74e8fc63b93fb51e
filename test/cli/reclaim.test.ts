import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { exampleStacks, run, snapshot } from "./helpers";

const NOW = "2026-12-20T00:00:00Z";
afterEach(() => {
  delete process.env.LEASEHOLD_AT;
});

async function reclaim(dir: string, ...args: string[]) {
  process.env.LEASEHOLD_AT = NOW;
  return run("reclaim", "--stacks", dir, "--stack", "tenant-acme", "--lease", "acme-h100-2026q4", ...args);
}
const noticeOf = (dir: string) =>
  parse(fs.readFileSync(path.join(dir, "Pulumi.tenant-acme.yaml"), "utf8")).config["leasehold:leases"][0].reclaim.notice;

describe("leasehold reclaim", () => {
  it("writes a notice effective after the contract's notice, keeping the file's comments, and check still passes", async () => {
    const dir = exampleStacks();
    const before = fs.readFileSync(path.join(dir, "Pulumi.tenant-acme.yaml"), "utf8");
    const r = await reclaim(dir, "--reason", "Capacity moves to a new cluster.");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("effective at 2026-12-23T00:00:00Z (72 hours)");
    expect(noticeOf(dir)).toEqual({ issuedAt: NOW, effectiveAt: "2026-12-23T00:00:00Z", reason: "Capacity moves to a new cluster." });
    const after = fs.readFileSync(path.join(dir, "Pulumi.tenant-acme.yaml"), "utf8");
    expect(after).toContain("# Two HGX servers for six months.");
    expect(after.split("\n").filter((l) => !before.includes(l))).toEqual([
      "        notice:",
      '          issuedAt: "2026-12-20T00:00:00Z"',
      '          effectiveAt: "2026-12-23T00:00:00Z"',
      "          reason: Capacity moves to a new cluster.",
    ]);
    expect((await run("check", "--stacks", dir)).code).toBe(0);
  });

  it("gives more notice when asked, never less than the contract's without --emergency", async () => {
    const dir = exampleStacks();
    expect((await reclaim(dir, "--reason", "r", "--notice", "96")).code).toBe(0);
    expect(noticeOf(dir).effectiveAt).toBe("2026-12-24T00:00:00Z");
    const dir2 = exampleStacks();
    const before = snapshot(dir2);
    const short = await reclaim(dir2, "--reason", "r", "--notice", "4");
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("the contract requires 72 hours of notice, and 4 were asked; only --emergency may give less");
    expect(snapshot(dir2)).toEqual(before);
  });

  it("records an emergency with its reason, and refuses --emergency with the full notice", async () => {
    const dir = exampleStacks();
    const r = await reclaim(dir, "--reason", "Cooling failure in hall B.", "--notice", "4", "--emergency");
    expect(r.code, r.stderr).toBe(0);
    expect(noticeOf(dir)).toEqual({
      issuedAt: NOW,
      effectiveAt: "2026-12-20T04:00:00Z",
      reason: "Cooling failure in hall B.",
      emergency: true,
    });
    const dir2 = exampleStacks();
    expect((await reclaim(dir2, "--reason", "r", "--emergency")).stderr).toContain("so it is not an emergency");
  });

  it("withdraws a notice with --cancel before it takes effect, and refuses after", async () => {
    const dir = exampleStacks();
    await reclaim(dir, "--reason", "r");
    const cancel = await reclaim(dir, "--cancel");
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(noticeOf(dir)).toBeUndefined();
    // corvid's notice took effect on Nov 30.
    process.env.LEASEHOLD_AT = NOW;
    const late = await run("reclaim", "--stacks", dir, "--stack", "tenant-corvid", "--lease", "corvid-l40s-2026q4", "--cancel");
    expect(late.code).toBe(1);
    expect(late.stderr).toContain("its notice took effect at 2026-11-30T09:00:00Z");
  });

  it("refuses an unknown lease, a second notice, a lease already ended, and a missing reason", async () => {
    const dir = exampleStacks();
    expect((await run("reclaim", "--stacks", dir, "--stack", "tenant-acme", "--lease", "nope", "--reason", "r")).stderr).toContain(
      'expected a lease of tenant-acme (acme-h100-2026q4, acme-l40s-2026q4), got "nope"',
    );
    await reclaim(dir, "--reason", "r");
    expect((await reclaim(dir, "--reason", "again")).stderr).toContain("already has a reclaim notice");
    process.env.LEASEHOLD_AT = "2027-07-01T00:00:00Z";
    expect(
      (await run("reclaim", "--stacks", dir, "--stack", "tenant-acme", "--lease", "acme-l40s-2026q4", "--reason", "r")).stderr,
    ).toContain("is ended");
    expect((await reclaim(dir)).code).toBe(2);
  });
});

describe("leasehold reclaim near the window's end", () => {
  it("says so when the window ends before the notice would take effect", async () => {
    const dir = exampleStacks();
    process.env.LEASEHOLD_AT = "2027-05-31T00:00:00Z";
    const r = await run("reclaim", "--stacks", dir, "--stack", "tenant-acme", "--lease", "acme-h100-2026q4", "--reason", "r");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "effective at 2027-06-03T00:00:00Z (72 hours); the window ends first, at 2027-06-01T00:00:00Z, so the lease ends then as contracted",
    );
  });
});
