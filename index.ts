// The Pulumi program: reads leasehold:role and builds the platform stack or a tenant stack from
// the validated config. See programs/ for each.
import { deployInstant, platformStack, stackFromRuntime } from "./programs/config";
import { platformProgram } from "./programs/platform";
import { tenantProgram } from "./programs/tenant";

const stack = stackFromRuntime();
const outputs: Record<string, unknown> =
  stack.role === "platform"
    ? platformProgram(stack)
    : tenantProgram(stack, { platform: platformStack(stack), at: deployInstant() });

export = outputs;
