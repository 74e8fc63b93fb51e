import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { exampleStacks, run, snapshot } from "./helpers";

// acme's leases: h100 2026-12-01 -> 2027-06-01, l40s 2026-11-01 -> 2027-03-01.
const AFTER_ALL = "2027-06-01T00:00:00Z";
afterEach(() => {
  delete process.env.LEASEHOLD_AT;
});

async function purge(dir: string, at: string, ...args: string[]) {
  process.env.LEASEHOLD_AT = at;
  return run("purge", "--stacks", dir, "--stack", "tenant-acme", ...args);
}
const file = (dir: string) => path.join(dir, "Pulumi.tenant-acme.yaml");
const markerOf = (dir: string) => parse(fs.readFileSync(file(dir), "utf8")).config["leasehold:purge"];

describe("leasehold purge", () => {
  it("marks the tenant once every lease has ended (the exact end instant counts as ended), keeping the file's comments", async () => {
    const dir = exampleStacks();
    const before = fs.readFileSync(file(dir), "utf8");
    const r = await purge(dir, AFTER_ALL, "--tenant", "acme", "--confirm", "acme");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("tenant acme marked for purge at 2027-06-01T00:00:00Z\n");
    expect(r.stderr).toContain("pulumi destroy --stack tenant-acme");
    // 2027-06-01 is ahead of this machine's clock: the marker says it only counts from then.
    if (Date.parse(AFTER_ALL) > Date.now()) expect(r.stderr).toContain("ahead of the clock");
    expect(markerOf(dir)).toEqual({ tenant: "acme", confirmedAt: AFTER_ALL });
    const after = fs.readFileSync(file(dir), "utf8");
    expect(after.split("\n").filter((l) => !before.includes(l))).toEqual([
      "  leasehold:purge:",
      "    tenant: acme",
      '    confirmedAt: "2027-06-01T00:00:00Z"',
    ]);
    expect(after).toContain("# Two HGX servers for six months.");
    expect((await run("check", "--stacks", dir)).code).toBe(0);
  });

  it("refuses while a lease is in force or still to come, naming each, and changes nothing", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const r = await purge(dir, "2026-11-15T00:00:00Z", "--tenant", "acme", "--confirm", "acme");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("leasehold:leases[0]: lease acme-h100-2026q4 starts at 2026-12-01T00:00:00Z");
    expect(r.stderr).toContain("leasehold:leases[1]: lease acme-l40s-2026q4 is in force until 2027-03-01T00:00:00Z");
    expect(r.stderr).toContain("purge refused");
    expect(snapshot(dir)).toEqual(before);
    // One millisecond before the last end: still refused.
    expect((await purge(dir, "2027-05-31T23:59:59.999Z", "--tenant", "acme", "--confirm", "acme")).code).toBe(1);
    expect(snapshot(dir)).toEqual(before);
  });

  it("accepts a tenant whose leases were reclaimed (notice effective) even before their windows end", async () => {
    const dir = exampleStacks();
    process.env.LEASEHOLD_AT = "2026-11-20T00:00:00Z";
    for (const lease of ["acme-h100-2026q4", "acme-l40s-2026q4"]) {
      const r = await run("reclaim", "--stacks", dir, "--stack", "tenant-acme", "--lease", lease, "--reason", "contract terminated");
      expect(r.code, r.stderr).toBe(0);
    }
    // The l40s notice (48 hours) takes effect at 2026-11-22T00:00:00Z; the h100 lease never started.
    expect((await purge(dir, "2026-11-21T23:59:59Z", "--tenant", "acme", "--confirm", "acme")).code).toBe(1);
    const r = await purge(dir, "2026-11-22T00:00:00Z", "--tenant", "acme", "--confirm", "acme");
    expect(r.code, r.stderr).toBe(0);
  });

  it("needs --confirm to repeat the tenant (usage error), and the right tenant for the stack", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const wrong = await purge(dir, AFTER_ALL, "--tenant", "acme", "--confirm", "acm");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      '--confirm: repeat the tenant\'s name exactly to confirm deleting its data (--tenant acme --confirm acme), got "acm"',
    );
    expect((await purge(dir, AFTER_ALL, "--tenant", "acme")).code).toBe(2);
    const other = await purge(dir, AFTER_ALL, "--tenant", "bluefin", "--confirm", "bluefin");
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('leasehold:tenant.name: stack tenant-acme holds tenant acme, got --tenant "bluefin"');
    const platform = await run("purge", "--stacks", dir, "--stack", "platform-local", "--tenant", "x", "--confirm", "x");
    expect(platform.code).toBe(1);
    expect(platform.stderr).toContain("expected a tenant stack");
    expect(snapshot(dir)).toEqual(before);
  });

  it("withdraws the marker with --cancel, and says when there is none", async () => {
    const dir = exampleStacks();
    const before = fs.readFileSync(file(dir), "utf8");
    expect((await purge(dir, AFTER_ALL, "--tenant", "acme", "--cancel")).stderr).toContain("tenant acme is not marked for purge");
    await purge(dir, AFTER_ALL, "--tenant", "acme", "--confirm", "acme");
    expect((await purge(dir, AFTER_ALL, "--tenant", "acme", "--confirm", "acme")).stderr).toContain("already marked for purge");
    const r = await purge(dir, AFTER_ALL, "--tenant", "acme", "--cancel");
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(file(dir), "utf8")).toBe(before);
  });

  it("makes a later lease for the marked tenant fail the fleet check", async () => {
    const dir = exampleStacks();
    await purge(dir, AFTER_ALL, "--tenant", "acme", "--confirm", "acme");
    const before = snapshot(dir);
    process.env.LEASEHOLD_AT = AFTER_ALL;
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "acme",
      "--gpus",
      "8",
      "--gpu-type",
      "h100-80gb",
      "--pool",
      "h100-a",
      "--start",
      "2027-07-01T00:00:00Z",
      "--end",
      "2027-08-01T00:00:00Z",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("after the tenant was marked for purge at 2027-06-01T00:00:00Z");
    expect(snapshot(dir)).toEqual(before);
  });
});
