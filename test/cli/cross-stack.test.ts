import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { loadStackFile, type TenantStack } from "../../lease/load";
import { run, ROOT } from "./helpers";

// A tenant whose lease names a pool its platform lacks: every command that reads the pair says
// what `check` says, in one line with exit code 1, and so does the program (no TypeError).

const CASE = path.join(ROOT, "test/fixtures/cases/agreement/cross-stack/missing-pool");
const LINE = `${path.join(CASE, "Pulumi.tenant-delta.yaml")}: leasehold:leases[0].placement.pool: expected a pool of platform-aws (h100-cb, l40s-od), got "h100-zz"`;

describe("a tenant that does not fit its platform", () => {
  it.each([
    ["check", []],
    ["validate", []],
    ["render", ["--stack", "tenant-delta"]],
    ["policy-config", ["--stack", "tenant-delta"]],
    ["admit", ["--stack", "tenant-delta", "-f", path.join(ROOT, "test/fixtures/cases/agreement/admit/job-completions.yaml")]],
  ])("%s refuses it with check's line and exit code 1", async (cmd, args) => {
    const r = await run(cmd, "--stacks", CASE, ...args);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr.split("\n")).toContain(LINE);
    expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
  });

  it("validate FILE judges a tenant's GPU type by the platform in its folder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-cross-"));
    for (const f of fs.readdirSync(path.join(ROOT, "stacks"))) fs.copyFileSync(path.join(ROOT, "stacks", f), path.join(dir, f));
    const file = path.join(dir, "Pulumi.tenant-acme.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("type: h100-80gb", "type: h100"));
    const r = await run("validate", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: leasehold:leases[0].gpu.type: expected h100-80gb, the GPU type of pool h100-a, got "h100"`);
  });

  it("the program stops with the same line as a RunError, before declaring anything", async () => {
    const { platformStack } = await import("../../programs/config");
    const r = loadStackFile(path.join(CASE, "Pulumi.tenant-delta.yaml"));
    if (!r.ok) throw new Error("the case is valid on its own");
    let err: unknown;
    try {
      platformStack(r.stack as TenantStack, CASE);
    } catch (e) {
      err = e;
    }
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message.split("\n")).toContain(LINE);
  });
});
