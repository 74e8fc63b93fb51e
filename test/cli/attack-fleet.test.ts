import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateFleet } from "../../bench/fleet-gen";
import { fleetRun } from "../../cli/fleet-run";
import { exampleStacks, ROOT, run } from "./helpers";

// Inputs a careless landlord or a hostile tenant gives `leasehold up | preview | affected | check`,
// each with the behaviour the CLI promises (README, --help): a user mistake is one line naming the
// option or file, exit 2 (usage) or 1 (rule), nothing run; an engine failure is a summary row
// with its reason. No test here runs a Pulumi engine: where the CLI would go on to run stacks,
// PATH holds git only (no `pulumi`), so a stack that does start fails at once and touches nothing.

const STACKS = path.join(ROOT, "stacks");
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `leasehold-attack-${prefix}-`));

/** Runs `fn` with a PATH that has git and nothing else: no Pulumi CLI can start. */
async function withoutPulumi<T>(fn: () => Promise<T>): Promise<T> {
  const bin = tmp("bin");
  const git = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim();
  if (git) fs.symlinkSync(git, path.join(bin, "git"));
  const saved = process.env.PATH;
  process.env.PATH = bin;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

/** A project of its own: Pulumi.yaml (stackConfigDir: stacks) and, when asked, a copy of the example stacks in `stacks/`. */
function project(withStacks = true): string {
  const dir = tmp("project");
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.mkdirSync(path.join(dir, "stacks"));
  if (withStacks) for (const f of fs.readdirSync(STACKS)) fs.copyFileSync(path.join(STACKS, f), path.join(dir, "stacks", f));
  return dir;
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.LEASEHOLD_AT;
});

describe("up | preview: the stacks folder", () => {
  it("refuses --stacks that is not the folder the Pulumi CLI reads stack config from (stackConfigDir), before running anything", async () => {
    // Found: every stack ran and failed with "the config the Pulumi CLI hands the program differs
    // from the stack file ... (not in an environment, --config-file or as secrets)", and `pulumi
    // stack init` wrote a stray stacks/Pulumi.tenant-zzz.yaml (encryptionsalt only) into the
    // project's real stacks folder, after which `leasehold check` fails there.
    const dir = project();
    const other = path.join(dir, "fleet-copy");
    fs.cpSync(path.join(dir, "stacks"), other, { recursive: true });
    const r = await withoutPulumi(() => run("preview", "--stacks", other, "--stack", "platform-local"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--stacks/);
    expect(r.stderr).toMatch(/stackConfigDir|[/\\]stacks\b/);
    expect(r.stdout).not.toContain("STACK");
    noStackTrace(r.stderr);
  });

  it("refuses a stacks folder with no stack file (as check does) instead of reporting 0 of 0 stacks succeeded", async () => {
    // Found: `up --all --stacks EMPTY` printed "up: 0 of 0 stack(s) succeeded", exit 0 ({"ok": true}
    // with --json), while `check --stacks EMPTY` says "no stack files (Pulumi.<stack>.yaml) in ...", exit 1.
    const dir = project(false);
    for (const args of [
      ["up", "--all"],
      ["preview", "--all", "--expect-no-changes", "--json"],
    ]) {
      const r = await withoutPulumi(() => run(...args, "--stacks", path.join(dir, "stacks")));
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toContain("no stack files");
    }
  });

  it("refuses --stacks pointing at the project root (Pulumi.yaml, no stack file) rather than deploying nothing with exit 0", async () => {
    const dir = project();
    const r = await withoutPulumi(() => run("preview", "--all", "--stacks", dir));
    expect(r.code).not.toBe(0);
    // Refused before anything runs: the folder is not the one Pulumi reads stack files from.
    expect(r.stderr).toMatch(/no stack files|--stacks: .* is not the folder the Pulumi CLI reads/);
  });

  it("says that a missing --stacks folder is missing (not that no Pulumi.yaml is above it)", async () => {
    // Found: "leasehold: no Pulumi.yaml at or above /nonexistent...: run from the project", exit 2.
    const missing = path.join(tmp("gone"), "no-such-folder");
    const r = await withoutPulumi(() => run("up", "--all", "--stacks", missing));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--stacks: no such folder: ${missing}`);
  });

  it("refuses --stacks that is a file, exit 2, one line (already right)", async () => {
    const r = await run("up", "--all", "--stacks", path.join(STACKS, "Pulumi.tenant-acme.yaml"));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([`leasehold: --stacks: not a folder: ${path.join(STACKS, "Pulumi.tenant-acme.yaml")}`]);
  });

  it("refuses a fleet that fails its check with check's lines, exit 1, nothing run (already right)", async () => {
    const dir = project();
    const file = path.join(dir, "stacks", "Pulumi.tenant-acme.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("pool: h100-a", "pool: h100-zz"));
    const r = await withoutPulumi(() => run("up", "--stack", "tenant-bluefin", "--stacks", path.join(dir, "stacks")));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("leasehold:leases[0].placement.pool: expected a pool of platform-local");
    expect(r.stdout).toBe("");
  });
});

describe("up | preview: options that are silently ignored or mis-described", () => {
  it("refuses --base without --affected (with --all it ran every stack, comparing nothing)", async () => {
    // Found: `up --base main --all` ran all 6 stacks; `affected --base main --all` is refused
    // ("give one of ..."), and so is `up --head HEAD --all`.
    const r = await withoutPulumi(() => run("preview", "--base", "HEAD", "--stack", "platform-local"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--base/);
    expect(r.stdout).not.toContain("STACK");
  });

  it("refuses --head with --stack (it is ignored: nothing is compared)", async () => {
    const r = await withoutPulumi(() => run("preview", "--head", "HEAD", "--stack", "platform-local"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--head/);
    expect(r.stdout).not.toContain("STACK");
  });

  it("--lock-wait's error speaks of seconds, the option's unit, not hours", async () => {
    // Found: "option '--lock-wait <seconds>' argument '-1' is invalid. expected hours, zero or more, got \"-1\"".
    const r = await run("up", "--all", "--lock-wait", "-1");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--lock-wait");
    expect(r.stderr).not.toContain("hours");
    expect(r.stderr).toMatch(/seconds/);
  });

  it("refuses --role that leaves none of the stacks named by --stack (it ran 0 stacks, exit 0)", async () => {
    // Found: `up --stack platform-local --role tenant` printed "up: 0 of 0 stack(s) succeeded", exit 0.
    const r = await withoutPulumi(() => run("up", "--stack", "platform-local", "--role", "tenant"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--role/);
  });

  it("ends the lease clock's interval at LEASEHOLD_AT when --since is given without --at (as --help says --at defaults)", async () => {
    // Found: LEASEHOLD_AT=2027-01-01T00:00:00Z leasehold preview --since 2026-12-31T23:00:00Z ->
    // "leasehold: --since (2026-12-31T23:00:00Z) must not be after --at (<now>)", exit 2: the
    // interval ends at the wall clock, while the deploy instant is LEASEHOLD_AT.
    const want = await run("affected", "--stacks", STACKS, "--since", "2026-12-31T23:00:00Z", "--at", "2027-01-01T00:00:00Z", "--json");
    const expected = (JSON.parse(want.stdout) as { stacks: { stack: string }[] }).stacks.map((s) => s.stack);
    expect(expected.length).toBeGreaterThan(0);
    process.env.LEASEHOLD_AT = "2027-01-01T00:00:00Z";
    // The selection, with a runner that records it (no engine here).
    const seen: string[] = [];
    const quiet = { out: () => {}, err: (t: string) => expect(t).not.toContain("must not be after --at") };
    const code = await fleetRun("preview", { stacks: STACKS, since: Date.parse("2026-12-31T23:00:00Z") }, quiet, () => async (job) => {
      seen.push(job.stack);
      return { stack: job.stack, result: "succeeded", seconds: 0 };
    });
    expect(code).toBe(0);
    expect(seen).toEqual(expected);
  });

  it("names the stack files the diff removed when --affected runs (affected does; up said nothing, exit 0)", async () => {
    const dir = project();
    const git = (...args: string[]) => {
      const r = spawnSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "-c", "init.defaultBranch=main", ...args], {
        cwd: dir,
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    };
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    git("rm", "-q", "stacks/Pulumi.tenant-bluefin.yaml");
    git("commit", "-q", "-m", "bluefin leaves");
    const a = await run("affected", "--stacks", path.join(dir, "stacks"), "--base", "HEAD~1");
    expect(a.stderr).toContain("tenant-bluefin: its stack file was removed");
    const r = await withoutPulumi(() => run("up", "--stacks", path.join(dir, "stacks"), "--affected", "--base", "HEAD~1"));
    expect(r.stderr + r.stdout).toMatch(/tenant-bluefin[^\n]*removed/);
  });
});

describe("--shard K/N and affected --json shards", () => {
  it("refuses a shard whose numbers are past exact integers (k > n read as k = n)", async () => {
    // Found: --shard 9007199254740993/9007199254740992 (k > n) accepted: both parse to 2^53.
    const r = await run("affected", "--all", "--stacks", STACKS, "--shard", "9007199254740993/9007199254740992");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--shard");
  });

  it("refuses the same shard for up before anything runs", async () => {
    const r = await withoutPulumi(() => run("up", "--all", "--shard", "9007199254740993/9007199254740992"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--shard");
  });

  it("partitions a fleet exactly for every K of N (already right)", async () => {
    const dir = tmp("fleet");
    generateFleet(dir, 130, 1);
    const all = JSON.parse((await run("affected", "--all", "--json", "--stacks", dir)).stdout) as { stacks: { stack: string }[] };
    for (const n of [1, 2, 5, 7]) {
      const parts: string[] = [];
      for (let k = 1; k <= n; k++)
        parts.push(
          ...(
            JSON.parse((await run("affected", "--all", "--json", "--stacks", dir, "--shard", `${k}/${n}`)).stdout) as {
              stacks: { stack: string }[];
            }
          ).stacks.map((s) => s.stack),
        );
      expect(parts.sort(), `${n} shards`).toEqual(all.stacks.map((s) => s.stack).sort());
    }
  });

  it("keeps `shards` the CI matrix of the whole set under --shard (it was the matrix of the shard's own subset)", async () => {
    // Found: 131 stacks, `affected --all --json` -> shards [1, 2, 3]; with `--shard 1/3` -> shards [1].
    const dir = tmp("fleet");
    generateFleet(dir, 130, 1);
    const whole = JSON.parse((await run("affected", "--all", "--json", "--stacks", dir)).stdout) as { shards: number[] };
    expect(whole.shards).toEqual([1, 2, 3]);
    const one = JSON.parse((await run("affected", "--all", "--json", "--stacks", dir, "--shard", "1/3")).stdout) as { shards: number[] };
    expect(one.shards).toEqual(whole.shards);
  });
});

describe("affected --since now --at now", () => {
  it("is an empty interval, never refused because the clock ticked between reading --at and --since", async () => {
    // Found (about 1 run in 3000): "leasehold: --since (2026-12-01T01:27:12.227Z) must not be
    // after --at (2026-12-01T01:27:12.226Z)", exit 2: `now` is read once per option.
    let t = Date.parse("2026-12-01T00:00:00Z");
    vi.spyOn(Date, "now").mockImplementation(() => t++);
    const r = await run("affected", "--stacks", STACKS, "--since", "now", "--at", "now");
    expect(r.stderr).not.toContain("must not be after");
    expect(r.code).toBe(0);
  });
});

describe("engine failures: the reason in the summary", () => {
  it("says the Pulumi CLI is missing, not `code: -2`", async () => {
    // Found: without `pulumi` on PATH, `preview --stack platform-local` reported
    // "platform-local: failed in 0.0 s: code: -2" and {"message": "code: -2"}.
    const r = await withoutPulumi(() => run("preview", "--stacks", STACKS, "--stack", "platform-local", "--json"));
    expect(r.code).not.toBe(0);
    noStackTrace(r.stderr);
    const text = r.stdout.trim().startsWith("{")
      ? String((JSON.parse(r.stdout) as { stacks?: { message?: string }[] }).stacks?.[0]?.message ?? "")
      : r.stderr;
    expect(text).not.toMatch(/^code: -2$/m);
    expect(text).toMatch(/pulumi/i);
  });
});

describe("check: names the engine refuses", () => {
  it("refuses a stack name over Pulumi's 100 characters (pulumi: 'a stack name cannot exceed 100 characters')", async () => {
    const dir = exampleStacks();
    const name = `platform-${"x".repeat(95)}`;
    expect(name.length).toBe(104);
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.copyFileSync(path.join(dir, "Pulumi.platform-local.yaml"), file);
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/100/);
    const v = await run("validate", file);
    expect(v.code).toBe(1);
  });

  it("refuses two leases of one tenant whose node patches get the same Pulumi name (lease-node = lease-node: a duplicate URN)", async () => {
    // acme-h100-2026q4 on node gpu-001 and acme-h100-2026q4-gpu on node 001 both register a
    // NodePatch named "acme-h100-2026q4-gpu-001" under leasehold:k8s:GpuNodePool: the engine
    // refuses the duplicate URN; check and render accepted the fleet.
    const dir = exampleStacks();
    const platform = path.join(dir, "Pulumi.platform-local.yaml");
    fs.writeFileSync(platform, fs.readFileSync(platform, "utf8").replace("nodes: [l40s-001, l40s-002]", 'nodes: ["001", l40s-002]'));
    const tenant = path.join(dir, "Pulumi.tenant-acme.yaml");
    const text = fs.readFileSync(tenant, "utf8");
    expect(text).toContain("- id: acme-l40s-2026q4");
    fs.writeFileSync(
      tenant,
      text.replace("- id: acme-l40s-2026q4", "- id: acme-h100-2026q4-gpu").replace("nodes: [l40s-001]", 'nodes: ["001"]'),
    );
    const r = await run("check", "--stacks", dir, "--at", "2027-01-01T00:00:00Z");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("acme-h100-2026q4-gpu-001");
  });

  it("refuses a tenant name starting with sg- on EKS: its security group name would (already right)", async () => {
    const dir = exampleStacks();
    const from = path.join(dir, "Pulumi.tenant-delta.yaml");
    const to = path.join(dir, "Pulumi.tenant-sg-delta.yaml");
    fs.writeFileSync(to, fs.readFileSync(from, "utf8").replace("name: delta\n", "name: sg-delta\n"));
    fs.rmSync(from);
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${to}: leasehold:tenant.name: on EKS (platform platform-aws) the tenant's node security group name would be "sg-delta-nodes-xxxxxxx"`,
    );
  });
});
