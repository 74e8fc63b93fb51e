import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runMocked } from "./mocks";
import { loadStackFile, type PlatformStack, type TenantStack } from "../../lease/load";

const STACKS = path.resolve(__dirname, "../../stacks");
const load = <T>(name: string) => {
  const r = loadStackFile(path.join(STACKS, `Pulumi.${name}.yaml`));
  if (!r.ok) throw new Error("example stack invalid");
  return r.stack as T;
};

describe("programs", () => {
  it("give every Kubernetes object of a tenant stack the cluster's explicit provider, reached through the platform's StackReference", async () => {
    const { tenantProgram } = await import("../../programs/tenant");
    const r = await runMocked(() => tenantProgram(load<TenantStack>("tenant-acme"), { platform: load<PlatformStack>("platform-local"), at: Date.parse("2026-12-20T00:00:00Z") }), "tenant-acme");
    const ref = r.find((x) => x.type === "pulumi:pulumi:StackReference")!;
    expect(ref.inputs.name).toBe("organization/leasehold/platform-local");
    const provider = r.find((x) => x.type === "pulumi:providers:kubernetes")!;
    const objects = r.filter((x) => x.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(15);
    for (const o of objects) expect(o.provider, `${o.type} ${o.name}`).toMatch(new RegExp(`::${provider.name}::`));
  });

  it("give every Kubernetes object of the platform stack the explicit provider too", async () => {
    const { platformProgram } = await import("../../programs/platform");
    const r = await runMocked(() => platformProgram(load<PlatformStack>("platform-local"), { kubeconfig: "apiVersion: v1" }), "platform-local");
    const objects = r.filter((x) => x.type.startsWith("kubernetes:"));
    expect(objects.map((o) => o.type)).toContain("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    for (const o of objects) expect(o.provider, o.name).toMatch(/::cluster-provider::/);
  });

  it("stop on invalid stack config with the file, the key path and the value, as a RunError (no stack trace)", async () => {
    const { stackFromRuntime } = await import("../../programs/config");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "leasehold", "tenant-acme", false, "organization");
    pulumi.runtime.setAllConfig({ "leasehold:role": "tenant", "leasehold:platform": "platform-local", "leasehold:tenant": JSON.stringify({ name: "acme" }), "leasehold:leases": JSON.stringify([{ id: "x", gpu: { type: "h100-80gb", count: "sixty" } }]) });
    let err: unknown;
    try {
      stackFromRuntime(STACKS);
    } catch (e) {
      err = e;
    }
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain('Pulumi.tenant-acme.yaml: leasehold:leases[0].gpu.count: expected a positive integer, got "sixty"');
  });
});

describe("times as the Pulumi CLI writes them", () => {
  it("reads back unquoted YAML timestamps, which the CLI hands over in Go's time format, as RFC 3339", async () => {
    const { fromPulumiTimes } = await import("../../lease/fields");
    expect(fromPulumiTimes({ window: { start: "2026-12-01 00:00:00 +0000 UTC", end: "2027-06-01 09:30:00.5 +0900 JST" }, id: "x 1" })).toEqual({
      window: { start: "2026-12-01T00:00:00Z", end: "2027-06-01T09:30:00.5+09:00" },
      id: "x 1",
    });
  });
});
