// One measured process of the program-evaluation benchmark: `tsx bench/program-eval.ts DIR N`
// evaluates the tenant program of the first N tenant stacks of DIR, each under a fresh mock
// runtime (as each tenant's own `pulumi up` would run it), and prints
// {"tenants", "resources", "seconds", "peakBytes"} as JSON. One warm-up tenant runs first.
import { loadFolderStacks } from "./stacks";
import { runMocked } from "../test/components/mocks";
import { tenantProgram } from "../programs/tenant";
import type { PlatformStack, TenantStack } from "../lease/load";

async function main(): Promise<void> {
  const [dir, n] = [process.argv[2]!, Number(process.argv[3])];
  const stacks = loadFolderStacks(dir);
  const platform = stacks.find((s): s is PlatformStack => s.role === "platform")!;
  const tenants = stacks.filter((s): s is TenantStack => s.role === "tenant").slice(0, n);
  if (tenants.length !== n) throw new Error(`${dir} holds ${tenants.length} tenant stacks, not ${n}`);
  const at = Date.parse("2027-01-15T00:00:00Z");
  const evaluate = async (t: TenantStack) =>
    (await runMocked(() => tenantProgram(t, { platform, at }), t.name)).filter((r) => r.custom).length;
  await evaluate(tenants[0]!);
  let resources = 0;
  const t0 = process.hrtime.bigint();
  for (const t of tenants) resources += await evaluate(t);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${JSON.stringify({ tenants: n, resources, seconds, peakBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
