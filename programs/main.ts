import * as path from "node:path";
import { deployInstant, platformStack, STACKS_DIR, stackFromRuntime } from "./config";
import { platformProgram } from "./platform";
import { tenantProgram } from "./tenant";

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
export function leaseholdProgram(opts: LeaseholdProgramOptions = {}): Record<string, unknown> {
  const stacksDir = path.resolve(opts.stacksDir ?? STACKS_DIR);
  const stack = stackFromRuntime(stacksDir);
  return stack.role === "platform" ? platformProgram(stack) : tenantProgram(stack, { platform: platformStack(stack, stacksDir), at: opts.at ?? deployInstant() });
}
