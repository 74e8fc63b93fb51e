import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { FIELD_OPTIONS, formFields, ISSUE_FORM, requestArgsFromIssue } from "../../cli/issue-form";
import { exampleStacks, ROOT, run } from "../cli/helpers";

// The CI files are part of the product: linted with a maintained workflow validator (the schema of
// GitHub workflows, in WebAssembly), and held to the rules platform engineers rely on.

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();
const text = (f: string) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string };
type Job = { steps: Step[]; environment?: string; concurrency?: { group: string; "cancel-in-progress"?: boolean }; needs?: string | string[]; strategy?: { matrix?: Record<string, unknown> } };
const workflow = (f: string) => load(text(f)) as { on: unknown; jobs: Record<string, Job> };
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
        expect(s.run, f).not.toMatch(/\$\{\{\s*matrix\./);
      }
    }
  });

  it("run Pulumi only through pulumi/actions, with the token and backend from secrets and the lease policy pack", () => {
    for (const f of ["preview.yml", "deploy.yml", "drift.yml", "lease-clock.yml"]) {
      const pulumi = steps(f).filter((s) => s.uses?.startsWith("pulumi/actions@"));
      expect(pulumi.length, f).toBeGreaterThan(0);
      for (const s of pulumi) {
        expect(s.with?.policyPacks, f).toBe("policies");
        expect(s.with?.policyPackConfigs, f).toBe("policy-config.json");
        expect(s.with?.["cloud-url"], f).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
        expect(s.env?.PULUMI_ACCESS_TOKEN, f).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
      }
      expect(steps(f).some((s) => s.run?.includes("leasehold policy-config")), f).toBe(true);
    }
  });

  it("take the affected stacks and their order from leasehold, not from shell", () => {
    const calls: Record<string, string> = {
      "preview.yml": "leasehold affected --base",
      "deploy.yml": "leasehold affected --base",
      "drift.yml": "leasehold affected --all",
      "lease-clock.yml": "leasehold affected --since",
    };
    for (const [f, call] of Object.entries(calls)) expect(steps(f).some((s) => s.run?.includes(call)), f).toBe(true);
  });

  it("deploy platforms before tenants, one environment and one concurrency group per stack", () => {
    const jobs = workflow("deploy.yml").jobs;
    expect(jobs.tenants!.needs).toEqual(["plan", "platforms"]);
    for (const name of ["platforms", "tenants"]) {
      const j = jobs[name]!;
      expect(j.environment, name).toBe("${{ matrix.stack }}");
      expect(j.concurrency, name).toEqual({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
    }
    // The lease clock and drift share the deploy group: they never overlap a deploy of the same stack.
    expect(workflow("lease-clock.yml").jobs.up!.concurrency?.group).toBe("deploy-${{ matrix.stack }}");
    expect(workflow("drift.yml").jobs.drift!.concurrency?.group).toBe("deploy-${{ matrix.stack }}");
  });

  it("preview comments on the pull request and diffs the rendered objects of affected tenants", () => {
    const preview = steps("preview.yml");
    expect(preview.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with).toMatchObject({ command: "preview", "comment-on-pr": true, diff: true });
    expect(preview.filter((s) => s.run?.includes("npx leasehold render")).length).toBe(2);
    const drift = steps("drift.yml").find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(drift.with).toMatchObject({ refresh: true, "expect-no-changes": true });
  });
});

describe("the lease request issue form", () => {
  const formText = fs.readFileSync(path.join(ROOT, ISSUE_FORM), "utf8");
  const fields = formFields(formText);
  /** The body GitHub writes for a submitted form. */
  const body = (values: Record<string, string | undefined>) => fields.map((f) => `### ${f.label}\n\n${values[f.id] ?? "_No response_"}`).join("\n\n");

  it("maps every field to exactly one option of leasehold request, and back", () => {
    expect(fields.map((f) => f.id).sort()).toEqual(Object.keys(FIELD_OPTIONS).sort());
    expect(new Set(fields.map((f) => f.label)).size).toBe(fields.length);
    expect(fields.filter((f) => f.required).map((f) => f.id)).toEqual(["tenant", "gpus", "gpu-type", "pool", "start", "end"]);
  });

  it("turns a filled form into the request's arguments, skipping empty optional fields", () => {
    const r = requestArgsFromIssue(body({ tenant: "echo", gpus: "8", "gpu-type": "h100-80gb", pool: "h100-a", start: "2027-04-01T00:00:00Z", end: "2027-07-01T00:00:00Z", platform: "platform-local", admins: "echo:admins, echo:ops" }), formText);
    expect(r).toEqual({
      args: ["--tenant", "echo", "--gpus", "8", "--gpu-type", "h100-80gb", "--pool", "h100-a", "--start", "2027-04-01T00:00:00Z", "--end", "2027-07-01T00:00:00Z", "--platform", "platform-local", "--admins", "echo:admins,echo:ops"],
    });
  });

  it("names each missing required field by its label", () => {
    expect(requestArgsFromIssue(body({ tenant: "echo", gpus: "8" }), formText)).toEqual({
      problems: ["GPU type: is required (--gpu-type)", "Pool: is required (--pool)", "Start: is required (--start)", "End: is required (--end)"],
    });
  });

  it("files the request through the CLI: a granted one writes the stack file, a refused one says why and writes nothing", async () => {
    const dir = exampleStacks();
    const issue = path.join(dir, "..", `issue-${path.basename(dir)}.md`);
    fs.writeFileSync(issue, body({ tenant: "echo", gpus: "8", "gpu-type": "h100-80gb", pool: "h100-a", start: "2027-04-01T00:00:00Z", end: "2027-07-01T00:00:00Z", platform: "platform-local" }));
    const ok = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "Pulumi.tenant-echo.yaml"), "utf8")).toContain("id: echo-h100-80gb-20270401");
    // 40 H100s in a 32-GPU pool: refused by the fleet check.
    fs.writeFileSync(issue, body({ tenant: "foxtrot", gpus: "40", "gpu-type": "h100-80gb", pool: "h100-a", start: "2027-04-01T00:00:00Z", end: "2027-07-01T00:00:00Z", platform: "platform-local" }));
    const refused = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no file was changed");
    expect(fs.existsSync(path.join(dir, "Pulumi.tenant-foxtrot.yaml"))).toBe(false);
    fs.writeFileSync(issue, body({ tenant: "foxtrot" }));
    const incomplete = await run("request-from-issue", "--body", issue, "--stacks", dir, "--form", path.join(ROOT, ISSUE_FORM));
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain(`${issue}: GPUs: is required (--gpus)`);
  });
});
