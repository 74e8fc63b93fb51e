import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseShard } from "../../cli/common";
import {
  pulumiCliMissing,
  engineError,
  fleetRun,
  LiveDisplay,
  recoveryFor,
  runFleet,
  summaryTable,
  waitingForLocks,
  type StackJob,
  type StackResult,
  type StackRunner,
} from "../../cli/fleet-run";
import { shardCount, shardOf } from "../../lease/changes";
import { generateFleet } from "../../bench/fleet-gen";
import { exampleStacks, ROOT } from "./helpers";

// The scheduling of `leasehold up | preview | refresh | destroy`, with a runner that records what
// it was asked (the Automation API runner itself runs in the e2e suite).

const JOBS: StackJob[] = [
  { stack: "platform-a", role: "platform" },
  { stack: "platform-b", role: "platform" },
  { stack: "tenant-1", role: "tenant", platform: "platform-a" },
  { stack: "tenant-2", role: "tenant", platform: "platform-a" },
  { stack: "tenant-3", role: "tenant", platform: "platform-b" },
  { stack: "tenant-4", role: "tenant", platform: "platform-b" },
];

/** A runner that takes `ms` per stack, fails the named ones, and records the order and the peak concurrency. */
function recorder(fail: string[] = [], ms = 5) {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const runner: StackRunner = async (job) => {
    running++;
    peak = Math.max(peak, running);
    log.push(`start ${job.stack}`);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    log.push(`end ${job.stack}`);
    return { stack: job.stack, result: fail.includes(job.stack) ? "failed" : "succeeded", seconds: ms / 1000, changes: { create: 1 } };
  };
  return { runner, log, peak: () => peak };
}

const byStack = (rs: StackResult[]) => Object.fromEntries(rs.map((r) => [r.stack, r.result]));

describe("runFleet", () => {
  it("starts a tenant only after its platform succeeded, and keeps to the parallelism", async () => {
    const r = recorder();
    const results = await runFleet("up", JOBS, r.runner, { parallel: 2 });
    expect(results.every((x) => x.result === "succeeded")).toBe(true);
    for (const t of JOBS.filter((j) => j.role === "tenant"))
      expect(r.log.indexOf(`start ${t.stack}`)).toBeGreaterThan(r.log.indexOf(`end ${t.platform}`));
    expect(r.peak()).toBe(2);
  });

  it("skips the tenants of a failed platform, and nothing else", async () => {
    const r = recorder(["platform-a"]);
    const results = await runFleet("up", JOBS, r.runner, { parallel: 3 });
    expect(byStack(results)).toEqual({
      "platform-a": "failed",
      "platform-b": "succeeded",
      "tenant-1": "skipped",
      "tenant-2": "skipped",
      "tenant-3": "succeeded",
      "tenant-4": "succeeded",
    });
    expect(results.find((x) => x.stack === "tenant-1")!.message).toBe("platform-a did not succeed (failed)");
    expect(r.log).not.toContain("start tenant-1");
  });

  it("lets one tenant's failure stop no other stack", async () => {
    const results = await runFleet("up", JOBS, recorder(["tenant-1"]).runner, { parallel: 2 });
    expect(byStack(results)).toEqual({
      "platform-a": "succeeded",
      "platform-b": "succeeded",
      "tenant-1": "failed",
      "tenant-2": "succeeded",
      "tenant-3": "succeeded",
      "tenant-4": "succeeded",
    });
  });

  it("destroys a platform only after all its tenants, and keeps it when one of them failed", async () => {
    const r = recorder(["tenant-3"]);
    const results = await runFleet("destroy", [...JOBS].reverse(), r.runner, { parallel: 4 });
    expect(r.log.indexOf("start platform-a")).toBeGreaterThan(Math.max(r.log.indexOf("end tenant-1"), r.log.indexOf("end tenant-2")));
    expect(byStack(results)["platform-b"]).toBe("skipped");
    expect(byStack(results)["platform-a"]).toBe("succeeded");
  });

  it("a tenant whose platform is not in the run starts at once", async () => {
    const r = recorder();
    await runFleet("up", [JOBS[2]!, JOBS[4]!], r.runner, { parallel: 2 });
    expect(r.log.slice(0, 2)).toEqual(["start tenant-1", "start tenant-3"]);
  });

  it("once cancelled, starts nothing new, lets the running stacks finish and reports the rest cancelled", async () => {
    let cancelled = false;
    const r = recorder([], 20);
    const results = await runFleet("up", JOBS, r.runner, {
      parallel: 2,
      cancelled: () => cancelled,
      progress: {
        started: () => {
          cancelled = true;
        },
        finished: () => undefined,
      },
    });
    expect(byStack(results)).toEqual({
      "platform-a": "succeeded",
      "platform-b": "cancelled",
      "tenant-1": "cancelled",
      "tenant-2": "cancelled",
      "tenant-3": "cancelled",
      "tenant-4": "cancelled",
    });
  });
});

describe("leasehold up | preview | refresh | destroy", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
  };

  it("run the selected stacks platforms first, print a summary table, and exit 1 when one failed", async () => {
    const dir = exampleStacks();
    const seen: string[] = [];
    const { io: o, out } = io();
    const code = await fleetRun("up", { stacks: dir, stack: ["tenant-acme", "platform-local"], parallel: 1 }, o, () => async (job) => {
      seen.push(job.stack);
      return {
        stack: job.stack,
        result: job.stack === "tenant-acme" ? "failed" : "succeeded",
        seconds: 1,
        message: "error: boom",
        recovery:
          job.stack === "tenant-acme"
            ? recoveryFor(job.stack, "the current deployment has 1 resource(s) with pending operations")
            : undefined,
      };
    });
    expect(seen).toEqual(["platform-local", "tenant-acme"]);
    expect(code).toBe(1);
    expect(out.join("\n")).toContain("STACK           RESULT     CHANGES  SECONDS");
    expect(out.join("\n")).toContain("tenant-acme: recover with: pulumi refresh --stack tenant-acme --clear-pending-creates --yes");
  });

  it("refuse, before running anything, a fleet that fails its check, with check's lines", async () => {
    const dir = exampleStacks();
    const file = path.join(dir, "Pulumi.tenant-acme.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("pool: h100-a", "pool: h100-zz"));
    const { io: o, err } = io();
    let ran = 0;
    const code = await fleetRun("up", { stacks: dir, all: true }, o, () => async (job) => {
      ran++;
      return { stack: job.stack, result: "succeeded", seconds: 0 };
    });
    expect(code).toBe(1);
    expect(ran).toBe(0);
    expect(err.join("\n")).toContain(
      'leasehold:leases[0].placement.pool: expected a pool of platform-local (h100-a, l40s-a), got "h100-zz"',
    );
  });

  it("refuse an unknown stack and a missing or doubled selection as usage errors", async () => {
    const dir = exampleStacks();
    const runner =
      () =>
      async (job: StackJob): Promise<StackResult> => ({ stack: job.stack, result: "succeeded", seconds: 0 });
    await expect(fleetRun("preview", { stacks: dir, stack: ["tenant-zed"] }, io().io, runner)).rejects.toThrow(
      "--stack: no stack file for tenant-zed",
    );
    await expect(fleetRun("preview", { stacks: dir }, io().io, runner)).rejects.toThrow("give one of --stack NAME...");
    await expect(fleetRun("preview", { stacks: dir, all: true, stack: ["tenant-acme"] }, io().io, runner)).rejects.toThrow("give one of");
    await expect(fleetRun("preview", { stacks: dir, affected: true }, io().io, runner)).rejects.toThrow("--affected needs --base REF");
  });

  it("with the lease clock, run only the stacks whose leases change state", async () => {
    const seen: string[] = [];
    const code = await fleetRun(
      "up",
      { stacks: path.join(ROOT, "stacks"), since: Date.parse("2026-12-31T23:00:00Z"), at: Date.parse("2027-01-01T00:00:00Z") },
      io().io,
      () => async (job) => {
        seen.push(job.stack);
        return { stack: job.stack, result: "succeeded", seconds: 0 };
      },
    );
    expect(code).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.startsWith("tenant-"))).toBe(true);
  });
});

describe("shards and roles (the CI shard jobs)", () => {
  const quiet = { out: () => {}, err: () => {} };
  const collect = async (opts: Partial<Parameters<typeof fleetRun>[1]>, dir: string) => {
    const seen: string[] = [];
    const code = await fleetRun("up", { stacks: dir, ...opts }, quiet, () => async (job) => {
      seen.push(job.stack);
      return { stack: job.stack, result: "succeeded", seconds: 0 };
    });
    expect(code).toBe(0);
    return seen;
  };

  it("split a fleet into shards that cover every stack exactly once, whatever the shard count", async () => {
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "leasehold-shards-"));
    generateFleet(dir, 120, 1);
    const all = await collect({ all: true, role: "tenant" }, dir);
    expect(all.length).toBe(120);
    for (const n of [1, 3, 7]) {
      const parts = [];
      for (let k = 1; k <= n; k++) parts.push(await collect({ all: true, role: "tenant", shard: `${k}/${n}` }, dir));
      expect(parts.flat().sort()).toEqual([...all].sort());
      // Hashing spreads them: no shard empty, none with more than twice its share.
      for (const p of parts) expect(p.length, `${n} shards`).toBeGreaterThan(0);
      for (const p of parts) expect(p.length, `${n} shards`).toBeLessThanOrEqual((2 * 120) / n);
    }
    expect(await collect({ all: true, role: "platform" }, dir)).toEqual(["platform-bench"]);
  });

  it("put a stack in the shard its name hashes to, and size the matrix to one job per 50 stacks, at most the cap", () => {
    expect(shardOf("tenant-acme", 1)).toBe(1);
    expect(shardOf("tenant-acme", 8)).toBe(shardOf("tenant-acme", 8));
    expect(new Set(Array.from({ length: 200 }, (_, i) => shardOf(`tenant-${i}`, 4)))).toEqual(new Set([1, 2, 3, 4]));
    expect([0, 1, 50, 51, 300, 10_000].map((n) => shardCount(n))).toEqual([0, 1, 1, 2, 6, 16]);
    expect(shardCount(10_000, 40)).toBe(40);
  });

  it("refuse a malformed shard or role as usage errors", async () => {
    for (const bad of ["0/4", "5/4", "2", "a/b", "1/0", "-1/2"])
      expect(() => parseShard(bad), bad).toThrow("--shard: expected k/n with 1 <= k <= n");
    expect(parseShard(" 2/8 ")).toEqual({ index: 2, count: 8 });
    await expect(fleetRun("up", { stacks: exampleStacks(), all: true, role: "tenants" }, quiet)).rejects.toThrow(
      '--role: expected platform or tenant, got "tenants"',
    );
  });

  it("wait for a stack another run holds, up to --lock-wait, then report it failed with the recovery", async () => {
    let tries = 0;
    const locked = (stack: string): StackResult => ({
      stack,
      result: "failed",
      seconds: 0,
      message: "error: the stack is currently locked by 1 lock(s)",
    });
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    const freesOnThird = waitingForLocks(
      async (job) => (++tries < 3 ? locked(job.stack) : { stack: job.stack, result: "succeeded", seconds: 1 }),
      60_000,
      quiet,
      sleep,
    );
    expect((await freesOnThird({ stack: "tenant-acme", role: "tenant" })).result).toBe("succeeded");
    expect(tries).toBe(3);
    expect(slept).toEqual([5_000, 10_000]);
    // Not a lock: no second try.
    tries = 0;
    const other = waitingForLocks(
      async (job) => (tries++, { stack: job.stack, result: "failed", seconds: 0, message: "error: boom" }),
      60_000,
      quiet,
      sleep,
    );
    expect((await other({ stack: "tenant-acme", role: "tenant" })).result).toBe("failed");
    expect(tries).toBe(1);
    // Without --lock-wait the runner is used as it is.
    const bare: StackRunner = async (job) => locked(job.stack);
    expect(waitingForLocks(bare, 0, quiet)).toBe(bare);
  });
});

describe("the live display (a terminal)", () => {
  it("redraws the counts and one line per running stack in place, and lets finished stacks scroll by", () => {
    const frames: string[] = [];
    let now = 0;
    const d = new LiveDisplay(
      "up",
      (t) => void frames.push(t),
      () => now,
    );
    d.started({ stack: "platform-a", role: "platform" }, { done: 0, failed: 0, running: 1, queued: 2 });
    expect(frames[0]).toBe("  up: 0 done, 0 failed, 1 running, 2 queued\x1b[K\n    platform-a  0 s\x1b[K\n");
    now = 4200;
    d.finished(
      { stack: "platform-a", result: "succeeded", seconds: 4.2, changes: { create: 3 } },
      { done: 1, failed: 0, running: 0, queued: 2 },
    );
    // Up two lines, clear, the finished line (kept), then the counts again.
    expect(frames[1]).toBe(
      "\x1b[2A\x1b[J  platform-a: succeeded (3 created) in 4.2 s\n  up: 1 done, 0 failed, 0 running, 2 queued\x1b[K\n",
    );
    d.started({ stack: "tenant-1", role: "tenant", platform: "platform-a" }, { done: 1, failed: 0, running: 1, queued: 1 });
    now = 7200;
    d.finished(
      { stack: "tenant-1", result: "failed", seconds: 3, message: "error: boom\nmore" },
      { done: 1, failed: 1, running: 0, queued: 1 },
    );
    expect(frames[3]).toContain("  tenant-1: failed in 3.0 s: error: boom\n");
    d.stop();
    expect(frames[frames.length - 1]).toBe("\x1b[1A\x1b[J");
  });
});

describe("recovery and the summary", () => {
  it("keeps an engine failure's errors and drops warnings, the progress echo's repeats and 'update failed'", () => {
    const text = [
      "code: 255",
      "stdout: Destroying (tenant-bluefin):",
      "    pulumi:pulumi:Stack leasehold-tenant-bluefin  warning: using pulumi-resource-kubernetes from $PATH",
      ' -  kubernetes:core/v1:Namespace bluefin-namespace deleting (0s)[retain] error: resource "urn:x" cannot be deleted',
      ' -  kubernetes:core/v1:Namespace bluefin-namespace **deleting failed**[retain] error: resource "urn:x" cannot be deleted',
      "    pulumi:pulumi:Stack leasehold-tenant-bluefin  error: update failed",
      "Diagnostics:",
      "  kubernetes:core/v1:Namespace (bluefin-namespace):",
      '    error: resource "urn:x" cannot be deleted',
      "    because it is protected. To unprotect the resource, either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`, or use the command:",
      "    `pulumi state unprotect 'urn:x'`",
      "",
      "  pulumi:pulumi:Stack (leasehold-tenant-bluefin):",
      "    error: update failed",
    ].join("\n");
    expect(engineError(text)).toBe(
      "error: resource \"urn:x\" cannot be deleted because it is protected. To unprotect the resource, either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`, or use the command: `pulumi state unprotect 'urn:x'`",
    );
    const policy = [
      "Policies:",
      "    ❌ leasehold@v0.1.0 (local: policies)",
      "        - [mandatory]  tenant-gpu-quota-within-leases  (kubernetes:core/v1:ResourceQuota: eve-quota)",
      "          Tenant eve would hold 32 GPUs but its leases in force grant 8.",
      "",
    ].join("\n");
    expect(engineError(policy)).toBe(
      "[mandatory]  tenant-gpu-quota-within-leases  (kubernetes:core/v1:ResourceQuota: eve-quota) Tenant eve would hold 32 GPUs but its leases in force grant 8.",
    );
  });

  it("names the command that recovers a stack left locked or with pending operations", () => {
    expect(recoveryFor("tenant-acme", "error: the stack is currently locked by 1 lock(s)")).toBe(
      "pulumi cancel --stack tenant-acme --yes   (only when no other run is using the stack)",
    );
    expect(recoveryFor("tenant-acme", "error: resource failed")).toBeUndefined();
  });

  it("lists each stack with its result, changes and seconds", () => {
    expect(
      summaryTable([
        { stack: "tenant-acme", result: "succeeded", seconds: 4.2, changes: { create: 3, same: 10 } },
        { stack: "tenant-b", result: "skipped", seconds: 0 },
      ]).split("\n"),
    ).toEqual([
      "STACK        RESULT     CHANGES                  SECONDS",
      "tenant-acme  succeeded  3 created, 10 unchanged  4.2",
      "tenant-b     skipped    -                        -",
    ]);
  });
});

describe("the Pulumi CLI on PATH", () => {
  it("is found as the shell finds it: an executable file named pulumi in a PATH folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-path-"));
    try {
      const [empty, plain, bin] = ["empty", "plain", "bin"].map((d) => path.join(dir, d)) as [string, string, string];
      for (const d of [empty, plain, bin]) fs.mkdirSync(d);
      fs.mkdirSync(path.join(empty, "pulumi")); // a folder named pulumi is not the CLI
      fs.writeFileSync(path.join(plain, "pulumi"), "#!/bin/sh\n", { mode: 0o644 });
      fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
      const PATH = (...ds: string[]) => ({ PATH: ds.join(path.delimiter) });
      expect(pulumiCliMissing(PATH(empty))).toMatch(/^the Pulumi CLI \(pulumi\) is not on PATH: install it/);
      expect(pulumiCliMissing({})).toMatch(/is not on PATH/);
      expect(pulumiCliMissing(PATH(empty, plain))).toBe(
        `the Pulumi CLI (pulumi) could not be started: ${path.join(plain, "pulumi")} is not executable`,
      );
      expect(pulumiCliMissing(PATH(empty, plain, bin))).toBeUndefined();
      expect(pulumiCliMissing(PATH("", bin))).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
