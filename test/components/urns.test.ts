import * as fs from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadWithPlatform } from "../../lease/load";
import { runMocked } from "../../programs/mock-runtime";
import { OFFLINE_KUBECONFIG, offlinePlatformOutputs } from "../../programs/offline";

// Every resource's URN (type chain and name) of every example stack, pinned. A URN is the
// resource's identity to the engine: a component or child renamed, or moved to another parent,
// is deleted and created again on the next `pulumi up` (for a tenant namespace: every workload
// and volume in it; pulumi-kubernetes#2948). A change here must be deliberate, with an alias.
// Regenerate with UPDATE_GOLDEN=1 npx vitest run test/components/urns.test.ts and review the diff.

const ROOT = path.resolve(__dirname, "../..");
const STACKS = path.join(ROOT, "stacks");
const GOLDEN = path.join(ROOT, "test/golden/urns");
// In force for every example lease kind (active, pending, in notice), as the golden renders.
const AT = Date.parse("2026-12-20T00:00:00Z");

async function urnsOf(name: string): Promise<string[]> {
  const found = loadWithPlatform(STACKS, name);
  if (Array.isArray(found)) throw new Error(JSON.stringify(found));
  const { stack, platform } = found;
  const { platformProgram } = await import("../../programs/platform");
  const { tenantProgram } = await import("../../programs/tenant");
  const { recorded } = await runMocked(
    () =>
      stack.role === "platform" ? platformProgram(stack, { kubeconfig: OFFLINE_KUBECONFIG }) : tenantProgram(stack, { platform, at: AT }),
    { stack: name, platformOutputs: offlinePlatformOutputs(platform), secretOutputNames: ["kubeconfig"] },
  );
  return recorded.map((r) => r.urn.replace(`urn:pulumi:${name}::leasehold::`, "")).sort();
}

describe("resource URNs of the example stacks", () => {
  for (const name of ["platform-local", "tenant-acme", "tenant-bluefin", "tenant-corvid", "platform-aws", "tenant-delta"]) {
    it(`are the pinned ones for ${name}`, async () => {
      const urns = await urnsOf(name);
      expect(new Set(urns).size, "every URN is unique in its stack").toBe(urns.length);
      const golden = path.join(GOLDEN, `${name}.txt`);
      const text = `${urns.join("\n")}\n`;
      if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, text);
      expect(text).toBe(fs.readFileSync(golden, "utf8"));
    });
  }

  it("qualify a child by its parent's whole type chain, as the engine does (the mock monitor uses the last type only)", async () => {
    class Inner extends pulumi.ComponentResource {
      constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:index:Inner", name, {}, opts);
        new k8s.core.v1.Namespace(`${name}-ns`, {}, { parent: this });
      }
    }
    class Outer extends pulumi.ComponentResource {
      constructor(name: string) {
        super("test:index:Outer", name, {});
        new Inner(`${name}-inner`, { parent: this });
      }
    }
    const { recorded } = await runMocked(
      () => {
        new Outer("o");
        return {};
      },
      { stack: "s" },
    );
    expect(recorded.map((r) => r.urn).sort()).toEqual([
      "urn:pulumi:s::leasehold::test:index:Outer$test:index:Inner$kubernetes:core/v1:Namespace::o-inner-ns",
      "urn:pulumi:s::leasehold::test:index:Outer$test:index:Inner::o-inner",
      "urn:pulumi:s::leasehold::test:index:Outer::o",
    ]);
  });
});
