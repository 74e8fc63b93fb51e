import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { exampleStacks, ROOT, run, runBin, snapshot } from "./helpers";

const H100 = ["--gpu-type", "h100-80gb", "--pool", "h100-a", "--platform", "platform-local"];

describe("leasehold validate", () => {
  it("passes the example stacks with exit code 0", async () => {
    const r = await run("validate", "--stacks", path.join(ROOT, "stacks"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 6 stack file(s) valid");
  });

  it("reports every problem of a malformed file with file, key path and value, exit 1, file untouched", async () => {
    const dir = exampleStacks();
    const file = path.join(dir, "Pulumi.tenant-acme.yaml");
    const text = fs
      .readFileSync(file, "utf8")
      .replace("count: 16", "count: sixty")
      .replace('end: "2027-06-01T00:00:00Z"', 'end: "2026-06-01T00:00:00Z"')
      .replace("storage: 200Ti", "storage: 200TB");
    fs.writeFileSync(file, text);
    const before = snapshot(dir);
    const r = await run("validate", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: leasehold:leases[0].gpu.count: expected a positive integer, got "sixty"`);
    expect(r.stderr).toContain(
      `${file}: leasehold:leases[0].window.end: must be after start (2026-06-01T00:00:00Z <= 2026-12-01T00:00:00Z)`,
    );
    expect(r.stderr).toContain(
      `${file}: leasehold:tenant.resources.storage: expected a Kubernetes quantity such as 1024, 500m, 8Ti or 1.5Gi, got "200TB"`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(dir)).toEqual(before);
  });

  it("reports invalid YAML with its line, and a missing file, without a stack trace", async () => {
    const dir = exampleStacks();
    const bad = path.join(dir, "Pulumi.tenant-zed.yaml");
    fs.writeFileSync(bad, "config:\n  leasehold:role: tenant\n  leasehold:tenant: {name: zed\n");
    const r = runBin(dir, "validate", bad, path.join(dir, "Pulumi.tenant-nope.yaml"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Pulumi\.tenant-zed\.yaml: invalid YAML at line \d+, column \d+/);
    expect(r.stderr).toContain("Pulumi.tenant-nope.yaml: cannot read the file: no such file");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("prints machine-readable results with --json", async () => {
    const r = await run("validate", "--stacks", path.join(ROOT, "stacks"), "--json");
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.files.map((f: { stack: string }) => f.stack)).toEqual([
      "platform-aws",
      "platform-local",
      "tenant-acme",
      "tenant-bluefin",
      "tenant-corvid",
      "tenant-delta",
    ]);
  });
});

describe("leasehold check", () => {
  it("passes the example fleet and summarises it at --at", async () => {
    const r = await run("check", "--stacks", path.join(ROOT, "stacks"), "--at", "2026-12-20T00:00:00Z", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.problems).toEqual([]);
    // acme 16 + bluefin 8 + bluefin burst 8: the h100 pool is exactly full on Dec 20.
    expect(out.pools).toContainEqual({ platform: "platform-local", pool: "h100-a", gpuType: "h100-80gb", capacity: 32, leased: 32 });
    expect(out.leasesAt.find((l: { id: string }) => l.id === "corvid-l40s-2026q4").state).toBe("reclaimed");
  });

  it("shows the GPUs an active lease's reserve holds: its nodes' beyond its count (RESERVED, and reserved in --json)", async () => {
    const dir = exampleStacks();
    // corvid's 4-GPU L40S lease on l40s-002 (8 GPUs) is active on Nov 20; acme's leases fill their nodes.
    const at = ["--at", "2026-11-20T00:00:00Z"];
    const r = await run("check", "--stacks", dir, ...at, "--json");
    expect(r.code, r.stderr).toBe(0);
    const leases = JSON.parse(r.stdout).leasesAt as { id: string; reserved?: object }[];
    expect(leases.find((l) => l.id === "corvid-l40s-2026q4")!.reserved).toEqual({ units: 4, node: "l40s-002" });
    expect(leases.find((l) => l.id === "acme-h100-2026q4")!).not.toHaveProperty("reserved");
    const text = await run("check", "--stacks", dir, ...at);
    expect(text.stdout).toMatch(/^LEASE +TENANT +POOL +GPUS +STATE +RESERVED$/m);
    expect(text.stdout).toMatch(/^corvid-l40s-2026q4 +corvid +l40s-a +4 x l40s +active +4 on l40s-002$/m);
  });

  it("fails with exit 1 when a cross-stack rule breaks, naming file and path", async () => {
    const dir = exampleStacks();
    const file = path.join(dir, "Pulumi.tenant-corvid.yaml");
    // corvid's lease on gpu-004 now starts a day before bluefin's ends.
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('start: "2027-01-01T00:00:00Z"', 'start: "2026-12-31T00:00:00Z"'));
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${file}: leasehold:leases[0].placement.nodes[0]: node gpu-004 is leased to bluefin-h100-2026h2 (${path.join(dir, "Pulumi.tenant-bluefin.yaml")}) until 2027-01-01T00:00:00Z`,
    );
  });

  it("refuses usage mistakes with exit 2: a bad --at, a missing folder, an unknown command or option", async () => {
    expect((await run("check", "--at", "tomorrow")).code).toBe(2);
    expect((await run("check", "--stacks", "/no/such/dir")).stderr).toContain("--stacks: no such folder: /no/such/dir");
    expect((await run("check", "--stacks", "/no/such/dir")).code).toBe(2);
    expect((await run("frobnicate")).code).toBe(2);
    expect((await run("check", "--frob")).code).toBe(2);
    expect((await run("--help")).code).toBe(0);
  });

  it("defaults --stacks to the project's stackConfigDir when run from the project or below it", () => {
    const r = runBin(path.join(ROOT, "lease"), "check");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 6 stacks (2 platform, 4 tenant), 8 leases");
  });
});

describe("leasehold request", () => {
  const window = ["--start", "2027-04-01T00:00:00Z", "--end", "2027-07-01T00:00:00Z"];

  it("creates a new tenant stack that passes validate and check, picking free nodes", async () => {
    const dir = exampleStacks();
    const r = await run("request", "--stacks", dir, "--tenant", "echo", "--gpus", "16", ...H100, ...window, "--admins", "echo:ops");
    expect(r.code).toBe(0);
    const file = path.join(dir, "Pulumi.tenant-echo.yaml");
    const cfg = parse(fs.readFileSync(file, "utf8")).config;
    expect(cfg["leasehold:platform"]).toBe("platform-local");
    expect(cfg["leasehold:tenant"]).toEqual({ name: "echo", access: { admins: ["echo:ops"], viewers: ["echo:viewers"] } });
    // acme holds gpu-001/002 until June; gpu-003 and gpu-004 are free from April.
    expect(cfg["leasehold:leases"]).toEqual([
      {
        id: "echo-h100-80gb-20270401",
        gpu: { type: "h100-80gb", count: 16 },
        window: { start: "2027-04-01T00:00:00Z", end: "2027-07-01T00:00:00Z" },
        // The nodes it picks, written as one Slurm hostlist.
        placement: { pool: "h100-a", nodes: "gpu-[003-004]" },
        reclaim: { noticeHours: 72 },
      },
    ]);
    expect((await run("check", "--stacks", dir)).code).toBe(0);
  });

  it("appends to an existing tenant file keeping its comments and key order", async () => {
    const dir = exampleStacks();
    const file = path.join(dir, "Pulumi.tenant-acme.yaml");
    const before = fs.readFileSync(file, "utf8");
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "acme",
      "--gpus",
      "8",
      "--gpu-type",
      "l40s",
      "--pool",
      "l40s-a",
      "--start",
      "2027-03-01T00:00:00Z",
      "--end",
      "2027-04-01T00:00:00Z",
    );
    expect(r.code).toBe(0);
    const after = fs.readFileSync(file, "utf8");
    // Everything before the new lease is byte for byte what it was.
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toBe(
      [
        "    - id: acme-l40s-20270301",
        "      gpu: {type: l40s, count: 8}",
        '      window: {start: "2027-03-01T00:00:00Z", end: "2027-04-01T00:00:00Z"}',
        "      placement:",
        "        pool: l40s-a",
        "        nodes: l40s-001",
        "      reclaim:",
        "        noticeHours: 72",
        "",
      ].join("\n"),
    );
  });

  it("refuses an oversubscribing request with exit 1 and leaves every file untouched", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    // gpu-001 is acme's from December: leasing it in January is refused by the fleet check.
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "eve",
      "--gpus",
      "8",
      ...H100,
      "--nodes",
      "gpu-001",
      "--start",
      "2027-01-01T00:00:00Z",
      "--end",
      "2027-02-01T00:00:00Z",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("node gpu-001 is leased to acme-h100-2026q4");
    expect(r.stderr).toContain("request refused");
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses when the pool has too few free nodes for the window, naming the free ones", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "eve",
      "--gpus",
      "24",
      ...H100,
      "--start",
      "2027-02-01T00:00:00Z",
      "--end",
      "2027-03-01T00:00:00Z",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "pool h100-a has 1 node(s) free from 2027-02-01T00:00:00Z to 2027-03-01T00:00:00Z (gpu-003), but 24 h100-80gb GPUs need 3 (8 per node)",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("writes nothing with --dry-run and prints the would-be file", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const r = await run("request", "--stacks", dir, "--tenant", "eve", "--gpus", "8", ...H100, ...window, "--dry-run");
    expect(r.code).toBe(0);
    expect(parse(r.stdout).config["leasehold:tenant"].name).toBe("eve");
    expect(snapshot(dir)).toEqual(before);
  });

  it("treats malformed option values as usage errors (exit 2) naming the option", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const bad = [
      ["--tenant", "Eve", "--gpus", "8"],
      ["--tenant", "eve", "--gpus", "eight"],
      ["--tenant", "eve", "--gpus", "0"],
    ];
    for (const args of bad) {
      const r = await run("request", "--stacks", dir, ...args, ...H100, ...window);
      expect(r.code).toBe(2);
    }
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "eve",
      "--gpus",
      "8",
      ...H100,
      "--start",
      "2027-04-01",
      "--end",
      "2027-07-01T00:00:00Z",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'--start <time>' argument '2027-04-01' is invalid");
    expect((await run("request", "--stacks", dir, "--tenant", "eve")).code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a window that ends before it starts with exit 1, via the lease schema", async () => {
    const dir = exampleStacks();
    const before = snapshot(dir);
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "eve",
      "--gpus",
      "8",
      ...H100,
      "--nodes",
      "gpu-003",
      "--start",
      "2027-07-01T00:00:00Z",
      "--end",
      "2027-04-01T00:00:00Z",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("leasehold:leases[0].window.end: must be after start (2027-04-01T00:00:00Z <= 2027-07-01T00:00:00Z)");
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses to add to a fleet that already fails its check", async () => {
    const dir = exampleStacks();
    const file = path.join(dir, "Pulumi.tenant-bluefin.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("count: 8", "count: 9"));
    const before = snapshot(dir);
    const r = await run("request", "--stacks", dir, "--tenant", "eve", "--gpus", "8", ...H100, ...window);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the fleet check fails already");
    expect(snapshot(dir)).toEqual(before);
  });
});
