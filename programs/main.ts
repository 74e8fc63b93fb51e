import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { deployInstant, platformStack, STACKS_DIR, stackFromRuntime } from "./config";
import { platformProgram } from "./platform";
import { platformReference, tenantProgram } from "./tenant";

/** Options of {@link leaseholdProgram}. */
export interface LeaseholdProgramOptions {
  /** The folder of stack files. @default the project's stacks/ */
  stacksDir?: string;
  /** The deploy instant, epoch milliseconds. @default LEASEHOLD_AT when set, else now */
  at?: number;
}

/**
 * The Pulumi program of every leasehold stack: reads `leasehold:role` and builds the platform
 * stack or a tenant stack from the validated config (see programs/platform.ts and tenant.ts).
 * `index.ts` runs it for the Pulumi CLI; `leasehold up` runs it in process as an Automation API
 * inline program, one Node.js process for all the stacks of a run.
 */
export async function leaseholdProgram(opts: LeaseholdProgramOptions = {}): Promise<Record<string, unknown>> {
  const stacksDir = path.resolve(opts.stacksDir ?? STACKS_DIR);
  const stack = stackFromRuntime(stacksDir);
  if (stack.role === "platform") return platformProgram(stack);
  const platform = platformStack(stack, stacksDir);
  // A platform never deployed (or whose deploy failed) has no kubeconfig output: say so before
  // anything is declared, rather than fail deep inside the cluster's provider.
  const platformRef = platformReference(platform.name);
  let kubeconfig: unknown;
  try {
    const details = await platformRef.getOutputDetails("kubeconfig");
    kubeconfig = details.value ?? details.secretValue;
  } catch (e) {
    throw new pulumi.RunError(
      `cannot read the platform stack ${platform.name}: ${(e as Error).message}; deploy it first (leasehold up --stack ${platform.name})`,
    );
  }
  if (kubeconfig === undefined)
    throw new pulumi.RunError(
      `the platform stack ${platform.name} has no kubeconfig output: deploy it first (leasehold up --stack ${platform.name}), then this tenant`,
    );
  return tenantProgram(stack, { platform, at: opts.at ?? deployInstant(), platformRef });
}
