import * as path from "node:path";
import type { StackValidationPolicy } from "@pulumi/policy";
import { contractOf } from "../lease/contract";
import { loadStackFile, type PlatformStack, type TenantStack } from "../lease/load";
import { POLICIES } from "../policies/all";
import { createStackValidationArgs, type TestResource } from "../test/policies/util";

const STACKS = path.join(__dirname, "..", "stacks");

/**
 * A 10,000-resource stack for the stack policies: the objects of tenant acme's namespace (as its
 * program declares them), repeated across namespaces until the count is reached; returns a
 * function that runs every stack policy of the pack over it once.
 */
export async function stackPolicyWorkload(count: number): Promise<() => Promise<void>> {
  const load = <T>(n: string) => (loadStackFile(path.join(STACKS, `Pulumi.${n}.yaml`)) as unknown as { stack: T }).stack;
  const platform = load<PlatformStack>("platform-local");
  const acme = load<TenantStack>("tenant-acme");
  const { runMocked } = await import("../test/components/mocks");
  const { tenantProgram } = await import("../programs/tenant");
  const at = Date.parse("2026-12-20T00:00:00Z");
  const base = (await runMocked(() => tenantProgram(acme, { platform, at }), "tenant-acme")).filter((r) => r.custom);
  const resources: TestResource[] = [];
  for (let copy = 0; resources.length < count; copy++) {
    for (const r of base) {
      if (resources.length >= count) break;
      const props = structuredClone(r.inputs);
      // Copy 0 is acme itself; the others are namespaces of the same shape.
      if (copy > 0 && props.metadata) {
        if (props.metadata.namespace) props.metadata.namespace = `acme-${copy}`;
        else if (r.type === "kubernetes:core/v1:Namespace") props.metadata.name = `acme-${copy}`;
      }
      resources.push({ type: r.type, props, name: `${r.name}-${copy}` });
    }
  }
  const args = createStackValidationArgs(resources, { contract: contractOf(acme, platform, "2026-12-20T00:00:00Z") });
  const stackPolicies = POLICIES.filter((p): p is StackValidationPolicy => "validateStack" in p);
  // A policy that does not apply, or throws, would make a fast figure meaningless: refuse it.
  for (const p of stackPolicies) await p.validateStack(args, () => undefined);
  return async () => {
    for (const p of stackPolicies) await p.validateStack(args, () => undefined);
  };
}
