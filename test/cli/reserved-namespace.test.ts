import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers";

// ../shared/cases/round3/reserved-namespace: a tenant named as a namespace Kubernetes reserves
// (`default`, `kube-*`). A tenant's namespace is its name, and render put Pod Security
// `restricted`, default-deny NetworkPolicies and the tenant-admin Role into kube-system. Every
// way a tenant name enters refuses it: the stack file (validate, check, render, the program), the
// CLI's `request`, and, for the landlord's own namespaces, the platform's leasehold:systemNamespaces.

const CASE = path.join(ROOT, "test/fixtures/cases/round3/reserved-namespace");
const RESERVED = ["default", "kube-node-lease", "kube-public", "kube-system"];

/** A copy of the case's platform and one of its tenants, in a folder of their own. */
function folderWith(tenant: string, platformExtra = ""): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-reserved-"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.platform-local.yaml"),
    fs.readFileSync(path.join(CASE, "Pulumi.platform-local.yaml"), "utf8") + platformExtra,
  );
  fs.writeFileSync(
    path.join(dir, `Pulumi.tenant-${tenant}.yaml`),
    [
      "config:",
      "  leasehold:role: tenant",
      "  leasehold:platform: platform-local",
      "  leasehold:tenant:",
      `    name: ${tenant}`,
      "  leasehold:leases: []",
      "",
    ].join("\n"),
  );
  return dir;
}

describe("tenant names that are namespaces Kubernetes reserves (round3/reserved-namespace)", () => {
  it("validate refuses every one of the case's tenants, naming the file, the key path and the value", async () => {
    const r = await run("validate", "--stacks", CASE);
    expect(r.code).toBe(1);
    for (const name of RESERVED)
      expect(r.stderr).toContain(
        `/Pulumi.tenant-${name}.yaml: leasehold:tenant.name: expected a tenant name that is not a namespace Kubernetes reserves (default, kube-*): the tenant's namespace is its name, got "${name}"`,
      );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("check and render refuse them too, with exit 1 and nothing rendered", async () => {
    const check = await run("check", "--stacks", CASE);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("kube-system");
    const render = await run("render", "--stacks", CASE, "--stack", "tenant-kube-system");
    expect(render.code).toBe(1);
    expect(render.stdout).toBe("");
    expect(render.stderr).toContain("leasehold:tenant.name: expected a tenant name that is not a namespace Kubernetes reserves");
  });

  it("any kube- name is refused; names that only look alike are tenants like any other", async () => {
    for (const name of ["kube-flow", "kube-anything"]) {
      const r = await run("validate", "--stacks", folderWith(name));
      expect(r.code, name).toBe(1);
      expect(r.stderr).toContain(`got "${name}"`);
    }
    // leasehold's own namespace, where tenant stacks put their leases' reserves.
    const own = await run("validate", "--stacks", folderWith("leasehold-system"));
    expect(own.code).toBe(1);
    expect(own.stderr).toContain(
      `leasehold:tenant.name: expected a tenant name other than leasehold-system, leasehold's own namespace: the tenant's namespace is its name, got "leasehold-system"`,
    );
    for (const name of ["kubeflow", "defaults", "default-team", "my-kube-system", "leasehold", "leasehold-systems"]) {
      const r = await run("validate", "--stacks", folderWith(name));
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
  });

  it("a platform's leasehold:systemNamespaces keeps its tenants off the landlord's own namespaces", async () => {
    const dir = folderWith("monitoring", "  leasehold:systemNamespaces: [monitoring, gpu-operator]\n");
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${dir}/Pulumi.tenant-monitoring.yaml: leasehold:tenant.name: expected a tenant name that is none of platform platform-local's system namespaces (leasehold:systemNamespaces in ${dir}/Pulumi.platform-local.yaml): the tenant's namespace is its name, got "monitoring"`,
    );
    const acme = folderWith("acme", "  leasehold:systemNamespaces: [monitoring]\n");
    const ok = await run("check", "--stacks", acme);
    expect(ok.code, ok.stderr).toBe(0);
    // The policy pack's contract carries them, so the pack's fleet check at deploy holds the same rule.
    const config = await run("policy-config", "--stacks", acme, "--stack", "tenant-acme");
    expect(config.code, config.stderr).toBe(0);
    expect(JSON.parse(config.stdout)["lease-contract"].contract.platform.systemNamespaces).toEqual(["monitoring"]);
    const bad = await run("validate", "--stacks", folderWith("acme", "  leasehold:systemNamespaces: [Monitoring]\n"));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("leasehold:systemNamespaces[0]");
  });

  it("request refuses --tenant kube-system as a usage error (exit 2) before reading or writing any file", async () => {
    const dir = folderWith("acme");
    const before = fs.readdirSync(dir).sort();
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "kube-system",
      "--pool",
      "h100-a",
      "--gpu-type",
      "h100-80gb",
      "--gpus",
      "8",
      "--start",
      "2027-01-01T00:00:00Z",
      "--end",
      "2027-02-01T00:00:00Z",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--tenant: expected a tenant name that is not a namespace Kubernetes reserves (default, kube-*): the tenant\'s namespace is its name, got "kube-system"',
    );
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });
});
