import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { FIELD_OPTIONS, formFields, ISSUE_FORM, requestArgsFromIssue } from "../../cli/issue-form";
import { SHARED_PATHS } from "../../lease/changes";
import { exampleStacks, ROOT, run, snapshot } from "../cli/helpers";

// The CI files are part of the product: linted with a maintained workflow validator (the schema of
// GitHub workflows, in WebAssembly), and held to the rules platform engineers rely on.

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const files = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith(".yml"))
  .sort();
const text = (f: string) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
type Step = {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
};
type Job = {
  steps: Step[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  needs?: string | string[];
  strategy?: { matrix?: Record<string, unknown> };
  defaults?: { run?: { shell?: string } };
};
type Workflow = {
  on: Record<string, { paths?: string[] } | null>;
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, Job>;
};
const workflow = (f: string) => load(text(f)) as Workflow;
const steps = (f: string) => Object.values(workflow(f).jobs).flatMap((j) => j.steps);

describe("the workflows", () => {
  it("are the five the platform runs", () => {
    expect(files).toEqual(["deploy.yml", "drift.yml", "lease-clock.yml", "lease-request.yml", "preview.yml"]);
  });

  for (const f of files) {
    it(`${f} is a valid workflow`, () => {
      expect(validateWorkflow(text(f)).errors, f).toEqual([]);
    });
  }

  it("the validator does refuse a broken workflow (so the checks above can fail)", () => {
    const broken = text("deploy.yml").replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest");
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it("pin every action by major version at least", () => {
    for (const f of files) for (const s of steps(f)) if (s.uses) expect(s.uses, f).toMatch(/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
  });

  it("never put a secret or event text into a shell script: they reach scripts through env", () => {
    for (const f of files) {
      for (const s of steps(f)) {
        if (!s.run) continue;
        expect(s.run, `${f}: ${s.run.slice(0, 60)}`).not.toMatch(/\$\{\{\s*(secrets\.|github\.event\.|github\.head_ref)/);
        expect(s.run, f).not.toMatch(/\$\{\{\s*(matrix|needs)\./);
      }
    }
  });

  it("run Pulumi only through leasehold up/preview (the pack and each stack's contract always on), on the CLI pulumi/actions installs, with the token and backend from secrets", () => {
    for (const f of ["preview.yml", "deploy.yml", "drift.yml", "lease-clock.yml"]) {
      const jobs = Object.entries(workflow(f).jobs).filter(([, j]) => j.steps.some((s) => s.uses?.startsWith("pulumi/actions@")));
      expect(jobs.length, f).toBeGreaterThan(0);
      for (const [name, j] of jobs) {
        const install = j.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        // No command: the action only installs the CLI, at the version the e2e suite runs.
        expect(install.with, `${f} ${name}`).toEqual({ "pulumi-version": "3.274.1" });
        const runs = j.steps.filter((s) => /npx leasehold (up|preview) /.test(s.run ?? ""));
        expect(runs.length, `${f} ${name}`).toBe(1);
        const run = runs[0]!;
        expect(j.steps.indexOf(install), `${f} ${name}: the CLI first`).toBeLessThan(j.steps.indexOf(run));
        expect(run.env?.PULUMI_BACKEND_URL, f).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
        expect(run.env?.PULUMI_ACCESS_TOKEN, f).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        expect(run.env?.PULUMI_CONFIG_PASSPHRASE, f).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
      }
      // Nothing runs the pulumi CLI by itself, where the pack could be forgotten.
      for (const s of steps(f)) expect(s.run ?? "", f).not.toMatch(/(^|[\s;&|(])pulumi\s+(up|preview|refresh|destroy)\b/m);
    }
  });

  it("split stacks into a bounded number of shard jobs, never a job per stack (a run holds at most 256 jobs)", () => {
    for (const f of ["preview.yml", "deploy.yml", "drift.yml", "lease-clock.yml"]) {
      for (const [name, j] of Object.entries(workflow(f).jobs)) {
        const matrix = j.strategy?.matrix;
        if (!matrix) continue;
        expect(Object.keys(matrix), `${f} ${name}`).toEqual(["shard"]);
        expect(matrix.shard, `${f} ${name}`).toBe("${{ fromJSON(needs.plan.outputs.shards) }}");
        const env = (j as { env?: Record<string, string> }).env ?? {};
        expect(env.SHARD, `${f} ${name}`).toBe("${{ matrix.shard }}");
        expect(env.SHARDS, `${f} ${name}`).toBe("${{ strategy.job-total }}");
        const run = j.steps.find((s) => /npx leasehold (up|preview) /.test(s.run ?? ""))!;
        expect(run.run, `${f} ${name}`).toContain('--shard "$SHARD/$SHARDS"');
      }
      const plan = steps(f).find((s) => s.run?.includes("npx leasehold affected"))!;
      expect(plan.run, f).toContain('--max-shards "$MAX_SHARDS"');
      expect(plan.env?.MAX_SHARDS, f).toBe("${{ vars.LEASEHOLD_MAX_SHARDS || 16 }}");
    }
  });

  it("take the affected stacks and their order from leasehold, not from shell", () => {
    const calls: Record<string, string> = {
      "preview.yml": "leasehold affected --base",
      "deploy.yml": "leasehold affected --base",
      "drift.yml": "leasehold affected --all",
      "lease-clock.yml": "leasehold affected --since",
    };
    for (const [f, call] of Object.entries(calls))
      expect(
        steps(f).some((s) => s.run?.includes(call)),
        f,
      ).toBe(true);
  });

  it("deploy platforms before tenants in the fleet environment, one deploy and one lease clock at a time, from what changed since the last successful deploy", () => {
    const jobs = workflow("deploy.yml").jobs;
    expect(jobs.tenants!.needs).toEqual(["plan", "platforms"]);
    for (const name of ["platforms", "tenants"]) expect(jobs[name]!.environment, name).toBe("fleet");
    expect(workflow("lease-clock.yml").jobs.up!.environment).toBe("fleet");
    expect(jobs.platforms!.steps.find((s) => s.run?.includes("leasehold up"))!.run).toContain("--role platform");
    expect(jobs.tenants!.steps.find((s) => s.run?.includes("leasehold up"))!.run).toContain("--role tenant");
    const groups = (f: string) => (load(text(f)) as { concurrency?: { group: string; "cancel-in-progress": boolean } }).concurrency;
    expect(groups("deploy.yml")).toEqual({ group: "deploy", "cancel-in-progress": false });
    expect(groups("lease-clock.yml")).toEqual({ group: "lease-clock", "cancel-in-progress": false });
    // A deploy and the lease clock on the same stack: the second waits for Pulumi's lock.
    for (const f of ["deploy.yml", "lease-clock.yml"])
      for (const s of steps(f).filter((x) => x.run?.includes("leasehold up"))) expect(s.run, f).toMatch(/--lock-wait \d+/);
    const plan = steps("deploy.yml").find((s) => s.run?.includes("leasehold affected"))!.run!;
    expect(plan).toMatch(/gh run list --workflow deploy\.yml --branch main --status success --limit 1 --json headSha/);
    expect(workflow("deploy.yml").permissions).toEqual({ contents: "read", actions: "read" });
  });

  it("give drift a group of its own: GitHub keeps one pending run per group, so a queued drift check would cancel a queued deploy", () => {
    const group = (f: string) => (load(text(f)) as { concurrency?: { group: string; "cancel-in-progress": boolean } }).concurrency;
    expect(group("drift.yml")).toEqual({ group: "drift", "cancel-in-progress": false });
    expect(new Set(["deploy.yml", "lease-clock.yml", "drift.yml"].map((f) => group(f)!.group)).size).toBe(3);
    // Only the pull request's preview is cancelled by a newer run; nothing that runs leasehold up is.
    expect(text("preview.yml")).toMatch(
      /concurrency:\n {2}group: preview-\$\{\{ github\.event\.pull_request\.number \}\}\n {2}cancel-in-progress: true/,
    );
    for (const f of ["deploy.yml", "drift.yml", "lease-clock.yml"]) {
      for (const [name, j] of Object.entries(workflow(f).jobs))
        expect(j.concurrency, `${f} ${name}: the workflow's group covers it`).toBeUndefined();
    }
  });

  it("deploy tenants only after a successful plan, and after platforms that succeeded or were not needed", () => {
    const cond = workflow("deploy.yml").jobs.tenants!.if!;
    expect(cond).toContain("!cancelled()");
    expect(cond).toContain("needs.plan.result == 'success'");
    expect(cond).toContain("(needs.platforms.result == 'success' || needs.platforms.result == 'skipped')");
    expect(cond).toContain("needs.plan.outputs.tenants != '[]'");
    // Every other job runs under the implicit success(): only a status function in its if would lift it.
    for (const f of files) {
      for (const [name, j] of Object.entries(workflow(f).jobs)) {
        if ((f === "deploy.yml" && name === "tenants") || (f === "preview.yml" && name === "comment")) continue;
        expect(j.if ?? "", `${f} ${name}`).not.toMatch(/always\(\)|cancelled\(\)|failure\(\)/);
      }
    }
  });

  it("run every shell step with bash, which GitHub starts with -eo pipefail (its default shell is bash -e alone)", () => {
    for (const f of files) {
      const w = workflow(f);
      expect(w.defaults?.run?.shell, f).toBe("bash");
      for (const [name, j] of Object.entries(w.jobs)) {
        expect(j.defaults?.run?.shell ?? "bash", `${f} ${name}`).toBe("bash");
        for (const s of j.steps) if (s.run) expect(s.shell ?? "bash", `${f} ${name}`).toBe("bash");
      }
    }
  });

  it("never hide a command's failure inside echo's arguments, where even pipefail does not see it", () => {
    for (const f of files) {
      for (const s of steps(f)) {
        for (const line of (s.run ?? "").split("\n")) expect(line, f).not.toMatch(/^\s*(echo|printf)\b.*\$\(/);
      }
    }
  });

  it("deploy and judge drift from main only, and count the lease clock from main's last successful run", () => {
    for (const [f, job] of [
      ["lease-clock.yml", "plan"],
      ["drift.yml", "plan"],
    ] as const) {
      expect(workflow(f).jobs[job]!.if, f).toBe("github.ref == 'refs/heads/main'");
    }
    expect(Object.keys(workflow("deploy.yml").on)).toEqual(["push"]);
    expect(text("deploy.yml")).toContain("branches: [main]");
    const clock = steps("lease-clock.yml").find((s) => s.run?.includes("gh run list"))!.run!;
    expect(clock).toMatch(/gh run list --workflow lease-clock\.yml --branch main --status success/);
    // Every few minutes: the README's bound between a lease boundary and the cluster counts on it.
    expect(text("lease-clock.yml")).toContain('- cron: "*/5 * * * *"');
    expect(steps("lease-clock.yml").find((s) => s.run?.includes("leasehold up"))!.run).toContain('--since "$SINCE" --at "$AT"');
  });

  it("preview every pull request that touches a stack file or a path leasehold counts as shared code (SHARED_PATHS)", () => {
    const paths = workflow("preview.yml").on.pull_request!.paths!;
    const shared = SHARED_PATHS.map((p) => (p.endsWith("/") ? `${p}**` : p));
    expect([...paths].sort()).toEqual(["stacks/**", ...shared].sort());
    for (const p of ["cli/", "bin/"]) expect(SHARED_PATHS, p).toContain(p);
  });

  it("assume an AWS role through OIDC before every pulumi step, only when the repository names one", () => {
    for (const f of files) {
      const w = workflow(f);
      expect(w.permissions?.["id-token"], `${f}: id-token only for the jobs that need it`).toBeUndefined();
      for (const [name, j] of Object.entries(w.jobs)) {
        const pulumi = j.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
        const aws = j.steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        if (pulumi < 0) {
          expect(aws, `${f} ${name}`).toBe(-1);
          expect(j.permissions?.["id-token"], `${f} ${name}`).toBeUndefined();
          continue;
        }
        expect(aws, `${f} ${name}`).toBeGreaterThanOrEqual(0);
        expect(aws, `${f} ${name}: credentials before pulumi`).toBeLessThan(pulumi);
        const step = j.steps[aws]!;
        expect(step.uses).toBe("aws-actions/configure-aws-credentials@v4");
        expect(step.if).toBe("vars.AWS_ROLE_ARN != ''");
        expect(step.with).toEqual({ "role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" });
        // A job's permissions replace the workflow's: the token, and no more than the workflow grants.
        expect(j.permissions, `${f} ${name}`).toMatchObject({ contents: "read", "id-token": "write" });
        for (const [scope, level] of Object.entries(j.permissions!))
          if (scope !== "id-token") expect(w.permissions?.[scope], `${f} ${name} ${scope}`).toBe(level);
      }
    }
  });

  it("keep, in the jobs that set their own permissions, what their steps need: the drift issue, the preview comment", () => {
    expect(workflow("drift.yml").jobs.drift!.permissions?.issues).toBe("write");
    const comment = workflow("preview.yml").jobs.comment!;
    expect(comment.permissions?.["pull-requests"] ?? workflow("preview.yml").permissions?.["pull-requests"]).toBe("write");
  });

  it("open lease request pull requests with LEASE_REQUEST_TOKEN when set, so preview runs on them", () => {
    const pr = steps("lease-request.yml").find((s) => s.uses?.startsWith("peter-evans/create-pull-request@"))!;
    expect(pr.with?.token).toBe("${{ secrets.LEASE_REQUEST_TOKEN || github.token }}");
  });

  it("preview comments one summary on the pull request and diffs the rendered objects of affected tenants", () => {
    const preview = steps("preview.yml");
    expect(preview.find((s) => s.run?.includes("npx leasehold preview"))!.run).toContain('--affected --base "$BASE"');
    expect(preview.filter((s) => s.run?.includes("npx leasehold render")).length).toBe(1);
    expect((preview.find((s) => s.run?.includes("npx leasehold render"))!.run!.match(/npx leasehold render/g) ?? []).length).toBe(2);
    const comment = workflow("preview.yml").jobs.comment!;
    expect(comment.needs).toEqual(["plan", "preview"]);
    expect(comment.steps.filter((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@")).map((s) => s.with?.header)).toEqual([
      "leasehold-preview",
      "leasehold-render",
    ]);
    const drift = steps("drift.yml").find((s) => s.run?.includes("npx leasehold preview"))!;
    expect(drift.run).toContain("--all --refresh --expect-no-changes");
  });
});

// The steps that ask leasehold for the affected stacks, run as GitHub runs them (shell: bash is
// `bash --noprofile --norc -eo pipefail {0}`), with npx and gh replaced by stand-ins.
describe("the affected-stacks steps, run in bash", () => {
  const affectedSteps = files.flatMap((f) =>
    steps(f)
      .filter((s) => s.run?.includes("npx leasehold affected") && s.run.includes("GITHUB_OUTPUT"))
      .map((s) => ({ f, s })),
  );
  const hasJq = spawnSync("jq", ["--version"]).status === 0;

  function runStep(script: string, npx: string): { code: number; output: string; stderr: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-step-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "npx"), `#!/usr/bin/env bash\n${npx}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "gh"), "#!/usr/bin/env bash\necho 2026-12-01T00:00:00Z\n", { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "step.sh"), script);
    const output = path.join(dir, "output");
    fs.writeFileSync(output, "");
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", path.join(dir, "step.sh")], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: output, BASE: "origin/main", BEFORE: "0".repeat(40) },
    });
    return { code: r.status ?? -1, output: fs.readFileSync(output, "utf8"), stderr: r.stderr };
  }

  it("are the four workflows that plan", () => {
    expect(affectedSteps.map(({ f }) => f).sort()).toEqual(["deploy.yml", "drift.yml", "lease-clock.yml", "preview.yml"]);
  });

  for (const { f, s } of affectedSteps) {
    it(`${f}: a failing leasehold affected fails the step and sets no output`, () => {
      const r = runStep(s.run!, 'echo "leasehold: --base: unknown revision" >&2; exit 2');
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.output).toBe("");
    });

    it.skipIf(!hasJq)(`${f}: the stacks leasehold names become the step's outputs`, () => {
      const json = JSON.stringify({
        stacks: [{ stack: "platform-local" }, { stack: "tenant-acme" }],
        platforms: ["platform-local"],
        tenants: ["tenant-acme"],
        removed: [],
        shards: [1],
      });
      const r = runStep(s.run!, `cat <<'EOF'\n${json}\nEOF`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.output).toMatch(/^(stacks|platforms|tenants)=\[/m);
      for (const line of r.output.trim().split("\n"))
        expect(line, f).toMatch(
          /^(stacks=\["platform-local","tenant-acme"\]|platforms=\["platform-local"\]|tenants=\["tenant-acme"\]|shards=\[1\]|base=\S+|since=\S+|at=\S+)$/,
        );
    });
  }
});

describe("the lease request issue form", () => {
  const formText = fs.readFileSync(path.join(ROOT, ISSUE_FORM), "utf8");
  const fields = formFields(formText);
  /** The body GitHub writes for a submitted form. */
  const body = (values: Record<string, string | undefined>) =>
    fields.map((f) => `### ${f.label}\n\n${values[f.id] ?? "_No response_"}`).join("\n\n");

  it("maps every field to exactly one option of leasehold request, and back", () => {
    expect(fields.map((f) => f.id).sort()).toEqual(Object.keys(FIELD_OPTIONS).sort());
    expect(new Set(fields.map((f) => f.label)).size).toBe(fields.length);
    expect(fields.filter((f) => f.required).map((f) => f.id)).toEqual(["tenant", "gpus", "gpu-type", "pool", "start", "end"]);
  });

  it("turns a filled form into the request's arguments, skipping empty optional fields", () => {
    const r = requestArgsFromIssue(
      body({
        tenant: "echo",
        gpus: "8",
        "gpu-type": "h100-80gb",
        pool: "h100-a",
        start: "2027-04-01T00:00:00Z",
        end: "2027-07-01T00:00:00Z",
        platform: "platform-local",
        admins: "echo:admins, echo:ops",
      }),
      formText,
    );
    expect(r).toEqual({
      args: [
        "--tenant",
        "echo",
        "--gpus",
        "8",
        "--gpu-type",
        "h100-80gb",
        "--pool",
        "h100-a",
        "--start",
        "2027-04-01T00:00:00Z",
        "--end",
        "2027-07-01T00:00:00Z",
        "--platform",
        "platform-local",
        "--admins",
        "echo:admins,echo:ops",
      ],
    });
  });

  it("names each missing required field by its label", () => {
    expect(requestArgsFromIssue(body({ tenant: "echo", gpus: "8" }), formText)).toEqual({
      problems: [
        "GPU type: is required (--gpu-type)",
        "Pool: is required (--pool)",
        "Start: is required (--start)",
        "End: is required (--end)",
      ],
    });
  });

  it("files the request through the CLI: a granted one writes the stack file, a refused one says why and writes nothing", async () => {
    const dir = exampleStacks();
    const issue = path.join(dir, "..", `issue-${path.basename(dir)}.md`);
    fs.writeFileSync(
      issue,
      body({
        tenant: "echo",
        gpus: "8",
        "gpu-type": "h100-80gb",
        pool: "h100-a",
        start: "2027-04-01T00:00:00Z",
        end: "2027-07-01T00:00:00Z",
        platform: "platform-local",
      }),
    );
    const ok = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "Pulumi.tenant-echo.yaml"), "utf8")).toContain("id: echo-h100-80gb-20270401");
    // 40 H100s in a 32-GPU pool: refused by the fleet check.
    fs.writeFileSync(
      issue,
      body({
        tenant: "foxtrot",
        gpus: "40",
        "gpu-type": "h100-80gb",
        pool: "h100-a",
        start: "2027-04-01T00:00:00Z",
        end: "2027-07-01T00:00:00Z",
        platform: "platform-local",
      }),
    );
    const refused = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no file was changed");
    expect(fs.existsSync(path.join(dir, "Pulumi.tenant-foxtrot.yaml"))).toBe(false);
    fs.writeFileSync(issue, body({ tenant: "foxtrot" }));
    const incomplete = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain(`${issue}: GPUs: is required (--gpus)`);
  });

  it("refuses admin groups for an existing tenant: an issue may ask for a lease, never for access to another's namespace", async () => {
    const dir = exampleStacks();
    const issue = path.join(dir, "..", `issue-admins-${path.basename(dir)}.md`);
    const before = snapshot(dir);
    fs.writeFileSync(
      issue,
      body({
        tenant: "acme",
        gpus: "8",
        "gpu-type": "h100-80gb",
        pool: "h100-a",
        start: "2027-07-01T00:00:00Z",
        end: "2027-08-01T00:00:00Z",
        admins: "mallory:admins",
      }),
    );
    const r = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Admin groups: tenant acme exists already");
    expect(snapshot(dir)).toEqual(before);
    // The same request without admin groups is an ordinary lease request.
    fs.writeFileSync(
      issue,
      body({
        tenant: "acme",
        gpus: "8",
        "gpu-type": "h100-80gb",
        pool: "h100-a",
        start: "2027-07-01T00:00:00Z",
        end: "2027-08-01T00:00:00Z",
      }),
    );
    const ok = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "Pulumi.tenant-acme.yaml"), "utf8")).not.toContain("mallory");
  });
});
