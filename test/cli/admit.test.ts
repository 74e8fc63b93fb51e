import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT, run, runBin } from "./helpers";

const STACKS = path.join(ROOT, "stacks");
const AT = "2026-12-20T00:00:00Z";

function manifest(name: string, ...docs: unknown[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-admit-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, docs.map((d) => (typeof d === "string" ? d : stringify(d))).join("---\n"));
  return file;
}

const podSpec = (lease = "acme-h100-2026q4", gpus = "8") => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{ name: "train", image: "trainer:1", resources: { limits: { "nvidia.com/gpu": gpus } }, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
  nodeSelector: { "leasehold.io/lease": lease },
  tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: lease, effect: "NoSchedule" }],
});
const job = (name: string, parallelism: number, spec = podSpec()) => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name }, spec: { parallelism, template: { spec: { ...spec, restartPolicy: "Never" } } } });

describe("leasehold admit", () => {
  it("admits a restricted, pinned job within the tenant's GPUs in force (exit 0)", async () => {
    const r = await run("admit", "--stacks", STACKS, "--stack", "tenant-acme", "--at", AT, "-f", manifest("job.yaml", job("train", 2)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("admitted: 1 object(s) under tenant acme's leases at 2026-12-20T00:00:00Z");
  });

  it("reports every violation of every file and object at once as JSON (exit 1)", async () => {
    const a = manifest("a.yaml", job("too-big", 4), { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { type: "NodePort" } });
    const b = manifest("b.yaml", { apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "root", namespace: "acme" }, spec: { ...podSpec("bluefin-h100-burst"), securityContext: {} } }] });
    const r = await run("admit", "--stacks", STACKS, "--stack", "tenant-acme", "--at", AT, "--json", "-f", a, b);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.allowed).toBe(false);
    const by = (policy: string) => out.violations.filter((v: { policy: string }) => v.policy === policy);
    expect(by("gpu-requests-within-quota")).toEqual([
      { policy: "gpu-requests-within-quota", message: "Job requests 8 nvidia.com/gpu per pod x 4 pod(s) = 32 GPUs, but tenant acme's leases in force at 2026-12-20T00:00:00Z grant 24.", file: a, object: "Job/acme/too-big" },
    ]);
    expect(by("no-public-services")[0].object).toBe("Service/acme/web");
    expect(by("lease-pinning").map((v: { object: string }) => v.object)).toContain("Pod/acme/root");
    expect(by("pod-security-restricted").length).toBeGreaterThan(0);
    expect(by("pod-security-restricted").every((v: { file: string }) => v.file === b)).toBe(true);
  });

  it("reports invalid YAML and non-objects as such, without a stack trace (exit 1)", () => {
    const bad = manifest("bad.yaml", "kind: Pod\nmetadata: {name: [\n", "just a string\n");
    const r = runBin(ROOT, "admit", "--stack", "tenant-acme", "-f", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[manifest] not valid YAML");
    expect(r.stderr).toContain("[manifest] not a Kubernetes object");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a workload outside the tenant's namespace and a platform stack (exit 1), an unknown stack (exit 2)", async () => {
    const other = manifest("o.yaml", { ...job("x", 1), metadata: { name: "x", namespace: "bluefin" } });
    const r = await run("admit", "--stacks", STACKS, "--stack", "tenant-acme", "--at", AT, "-f", other);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[tenant-namespace] The object is in namespace bluefin, but tenant acme may create objects only in its own namespace acme.");
    expect((await run("admit", "--stacks", STACKS, "--stack", "platform-local", "-f", other)).code).toBe(1);
    expect((await run("admit", "--stacks", STACKS, "--stack", "tenant-nobody", "-f", other)).code).toBe(2);
  });
});

describe("leasehold policy-config", () => {
  it("writes the stack's lease contract under every policy of the pack", async () => {
    const r = await run("policy-config", "--stacks", STACKS, "--stack", "tenant-acme");
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout);
    const { POLICY_NAMES } = await import("../../lease/policy-names");
    expect(Object.keys(cfg)).toEqual([...POLICY_NAMES]);
    expect(cfg["lease-pinning"].contract).toMatchObject({ version: 1, stack: "tenant-acme", platform: { name: "platform-local" }, tenant: { name: "acme" } });
    expect(cfg["lease-pinning"].contract.at).toBeUndefined();
    const pinned = JSON.parse((await run("policy-config", "--stacks", STACKS, "--stack", "tenant-acme", "--at", AT)).stdout);
    expect(pinned["pool-capacity"].contract.at).toBe(AT);
  });
});
