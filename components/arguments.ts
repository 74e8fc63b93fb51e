import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { formatPath, showValue, zodMessages } from "../lease/problems";

// How a component refuses its arguments: every problem at once, each with the property path
// under the component's args, as one error tied to the component (pulumi-eks collects its
// argument problems the same way). The error is a ResourceError that hides its stack, so the
// Node.js language host prints the message alone (cmd/run/run.js), never a stack trace; its
// `errors` are the InputPropertyErrorDetails a component provider would return.

/** One argument a component refuses. */
export type ArgumentProblem = pulumi.InputPropertyErrorDetails;

/** A component's arguments, refused: every problem, with its property path. */
export class ComponentArgumentsError extends pulumi.ResourceError {
  /** Each refused argument: `propertyPath` under the args (`lease.gpu.count`) and the reason. */
  public readonly errors: ArgumentProblem[];
  constructor(component: string, name: string, errors: ArgumentProblem[]) {
    const lines = errors.map((e) => `  ${e.propertyPath}: ${e.reason}`);
    super(`${component} ${name}: invalid arguments:\n${lines.join("\n")}`, undefined, true);
    this.errors = errors;
  }
}

/** One argument to check: a value against a schema (skipped while the value is an unresolved Output), or a problem found already. */
export type ArgumentCheck = { path: string; value: unknown; schema: z.ZodType } | { path: string; problem: string | undefined };

/** The check of a component's deploy instant (`at`): a finite number of epoch milliseconds. */
export function deployInstantCheck(at: number): ArgumentCheck {
  return { path: "at", problem: Number.isFinite(at) ? undefined : `expected the deploy instant in epoch milliseconds, got ${String(at)}` };
}

/** The problems of some arguments (an empty list when they all pass). */
export function argumentProblems(checks: readonly ArgumentCheck[]): ArgumentProblem[] {
  const out: ArgumentProblem[] = [];
  for (const c of checks) {
    if ("problem" in c) {
      if (c.problem) out.push({ propertyPath: c.path, reason: c.problem });
      continue;
    }
    if (pulumi.Output.isInstance(c.value)) continue;
    const r = c.schema.safeParse(c.value, { reportInput: true, error: zodMessages });
    if (r.success) continue;
    for (const iss of r.error.issues) {
      const at = formatPath(iss.path as PropertyKey[]);
      const got = "input" in iss && iss.message.startsWith("expected") ? `, got ${showValue(iss.input)}` : "";
      out.push({ propertyPath: at ? `${c.path}${at.startsWith("[") ? "" : "."}${at}` : c.path, reason: `${iss.message}${got}` });
    }
  }
  return out;
}

/** Throws a {@link ComponentArgumentsError} listing every problem of `checks`, if there is one. */
export function checkArguments(component: string, name: string, checks: readonly ArgumentCheck[]): void {
  const errors = argumentProblems(checks);
  if (errors.length > 0) throw new ComponentArgumentsError(component, name, errors);
}
