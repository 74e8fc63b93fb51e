import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { useMockRuntime } from "../../programs/mock-runtime";
import { runMocked } from "./mocks";
import { loadStackFile, type PlatformStack, type TenantStack } from "../../lease/load";
import { compressHostlist, expandHostlist } from "../../lease/hostlist";

const STACKS = path.resolve(__dirname, "../../stacks");
const load = <T>(name: string) => {
  const r = loadStackFile(path.join(STACKS, `Pulumi.${name}.yaml`));
  if (!r.ok) throw new Error("example stack invalid");
  return r.stack as T;
};

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("programs", () => {
  it("give every Kubernetes object of a tenant stack the cluster's explicit provider, reached through the platform's StackReference", async () => {
    const { tenantProgram } = await import("../../programs/tenant");
    const r = await runMocked(
      () =>
        tenantProgram(load<TenantStack>("tenant-acme"), {
          platform: load<PlatformStack>("platform-local"),
          at: Date.parse("2026-12-20T00:00:00Z"),
        }),
      "tenant-acme",
    );
    const ref = r.find((x) => x.type === "pulumi:pulumi:StackReference")!;
    expect(ref.inputs.name).toBe("organization/leasehold/platform-local");
    const provider = r.find((x) => x.type === "pulumi:providers:kubernetes")!;
    const objects = r.filter((x) => x.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(12);
    for (const o of objects) expect(o.provider, `${o.type} ${o.name}`).toMatch(new RegExp(`::${provider.name}::`));
  });

  it("give every Kubernetes object of the platform stack the explicit provider too", async () => {
    const { platformProgram } = await import("../../programs/platform");
    const r = await runMocked(
      () => platformProgram(load<PlatformStack>("platform-local"), { kubeconfig: "apiVersion: v1" }),
      "platform-local",
    );
    const objects = r.filter((x) => x.type.startsWith("kubernetes:"));
    expect(objects.map((o) => o.type)).toContain("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    for (const o of objects) expect(o.provider, o.name).toMatch(/::cluster-provider::/);
  });

  it("leave the kubeconfig out of the platform's PoolNodes unless the program was given one: it reads the stack's when it runs", async () => {
    const { platformProgram } = await import("../../programs/platform");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kc-")), "config");
    fs.writeFileSync(file, "apiVersion: v1\nkind: Config\n");
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = file;
    try {
      const platform = load<PlatformStack>("platform-local");
      const sets = (r: { type: string; inputs: Record<string, unknown> }[]) => r.filter((x) => x.type.endsWith(":PoolNodes"));
      const ambient = sets(await runMocked(() => platformProgram(platform, {}), "platform-local"));
      expect(ambient.length).toBe(1);
      // Each pool's nodes as one hostlist: a few bytes of state for thousands of contiguous nodes.
      const written = (ambient[0]!.inputs.pools as { nodes: string }[]).flatMap((p) => expandHostlist(p.nodes));
      expect(written).toEqual(platform.config.pools.flatMap((p) => p.nodes ?? []));
      expect((ambient[0]!.inputs.pools as { nodes: string }[]).map((p) => p.nodes)).toEqual(["gpu-[001-004]", "l40s-[001-002]"]);
      expect(Object.keys(ambient[0]!.inputs)).not.toContain("kubeconfig");
      const given = sets(await runMocked(() => platformProgram(platform, { kubeconfig: "apiVersion: v1" }), "platform-local"));
      expect(Object.keys(given[0]!.inputs)).toContain("kubeconfig");
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it("declare one TenantNodes resource per tenant stack, whatever its number of nodes: the leases in force with their nodes and starts", async () => {
    const { tenantProgram } = await import("../../programs/tenant");
    const at = Date.parse("2026-12-20T00:00:00Z");
    const tenant = load<TenantStack>("tenant-acme");
    const r = await runMocked(() => tenantProgram(tenant, { platform: load<PlatformStack>("platform-local"), at }), "tenant-acme");
    const sets = r.filter((x) => x.type.endsWith(":TenantNodes"));
    expect(sets.map((x) => x.name)).toEqual(["acme-nodes"]);
    expect(r.filter((x) => x.type.endsWith(":NodeTaint") || x.type.endsWith(":NodePatch"))).toEqual([]);
    expect(sets[0]!.inputs.tenant).toBe("acme");
    expect(sets[0]!.inputs.fieldManager).toBe("leasehold-nodes-acme");
    const inForce = tenant.config.leases.filter((l) => Date.parse(l.window.start) <= at && at < Date.parse(l.window.end));
    expect(sets[0]!.inputs.claims).toEqual(
      inForce.map((l) => ({
        lease: l.id,
        start: new Date(Date.parse(l.window.start)).toISOString().replace(".000Z", "Z"),
        nodes: compressHostlist(l.placement.nodes ?? []),
      })),
    );
  });

  it("stop on invalid stack config with the file, the key path and the value, as a RunError (no stack trace)", async () => {
    const { stackFromRuntime } = await import("../../programs/config");
    await useMockRuntime({
      stack: "tenant-acme",
      config: {
        "leasehold:role": "tenant",
        "leasehold:platform": "platform-local",
        "leasehold:tenant": JSON.stringify({ name: "acme" }),
        "leasehold:leases": JSON.stringify([{ id: "x", gpu: { type: "h100-80gb", count: "sixty" } }]),
      },
    });
    // No stack file: the CLI's values are all the program has (the Automation API's in-memory config).
    const err = thrown(() => stackFromRuntime(fs.mkdtempSync(path.join(os.tmpdir(), "no-stacks-"))));
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain(
      'Pulumi.tenant-acme.yaml: leasehold:leases[0].gpu.count: expected a positive integer, got "sixty"',
    );
  });

  it("read their stack file through the same loader as check and render: a scalar the Pulumi CLI reads otherwise stops the program", async () => {
    const { stackFromRuntime } = await import("../../programs/config");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    const text = fs.readFileSync(path.join(STACKS, "Pulumi.tenant-acme.yaml"), "utf8");
    const oct = text.replace(/noticeHours: (\d+)/, "noticeHours: 0$1");
    expect(oct).not.toBe(text);
    fs.writeFileSync(path.join(dir, "Pulumi.tenant-acme.yaml"), oct);
    await useMockRuntime({ stack: "tenant-acme" });
    const err = thrown(() => stackFromRuntime(dir));
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /leasehold:leases\[0\]\.reclaim\.noticeHours: the plain YAML scalar 0\d+ is \d+ in YAML 1\.2 \(leasehold\), but the Pulumi CLI, which hands the program its config, reads it as \d+/,
    );
  });

  it("refuse config the Pulumi CLI hands over that differs from the stack file, and accept the CLI's own writing of it", async () => {
    const { stackFromRuntime } = await import("../../programs/config");
    const { readStackYaml } = await import("../../lease/stack-yaml");
    await useMockRuntime({ stack: "tenant-acme" });
    const inFile = (
      readStackYaml(fs.readFileSync(path.join(STACKS, "Pulumi.tenant-acme.yaml"), "utf8")) as { config: Record<string, unknown> }
    ).config;
    // As the CLI hands it over: scalars as text, structures as JSON, unquoted times in Go's format.
    const asCli = Object.fromEntries(
      Object.entries(inFile).map(([k, v]) => [
        k,
        typeof v === "object" ? JSON.stringify(v).replace(/"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})Z"/g, '"$1 $2 +0000 UTC"') : String(v),
      ]),
    );
    pulumi.runtime.setAllConfig(asCli);
    expect(stackFromRuntime(STACKS).name).toBe("tenant-acme");
    const leases = JSON.parse(asCli["leasehold:leases"]!) as { gpu: { count: number } }[];
    leases[0]!.gpu.count += 8;
    pulumi.runtime.setAllConfig({ ...asCli, "leasehold:leases": JSON.stringify(leases) });
    const err = thrown(() => stackFromRuntime(STACKS));
    expect((err as Error).message).toMatch(/differs from the stack file .*Pulumi\.tenant-acme\.yaml in leasehold:leases:/);
  });
});

describe("times as the Pulumi CLI writes them", () => {
  it("reads back unquoted YAML timestamps, which the CLI hands over in Go's time format, as RFC 3339", async () => {
    const { fromPulumiTimes } = await import("../../lease/fields");
    expect(
      fromPulumiTimes({ window: { start: "2026-12-01 00:00:00 +0000 UTC", end: "2027-06-01 09:30:00.5 +0900 JST" }, id: "x 1" }),
    ).toEqual({
      window: { start: "2026-12-01T00:00:00Z", end: "2027-06-01T09:30:00.5+09:00" },
      id: "x 1",
    });
  });
});
