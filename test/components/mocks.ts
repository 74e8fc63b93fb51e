import * as pulumi from "@pulumi/pulumi";
import { runMocked as run, type Recorded } from "../../programs/mock-runtime";

export type { Recorded };

/**
 * Runs `build` under the strict mocks `leasehold render` uses (programs/mock-runtime.ts) and
 * returns every registration with its inputs and resource options.
 */
export async function runMocked(build: () => unknown, stack = "test", platformOutputs?: Record<string, unknown>): Promise<Recorded[]> {
  return (await run(build, { stack, platformOutputs })).recorded;
}

/** The value of an Output (or a plain value), awaited: never assert inside an apply. */
export function promiseOf<T>(v: pulumi.Input<T> | unknown): Promise<T> {
  return new Promise((resolve) => pulumi.output(v as pulumi.Input<T>).apply((x) => resolve(x as T)));
}

/** The recorded Kubernetes objects of one type token, e.g. `kubernetes:core/v1:ResourceQuota`. */
export function ofType(recorded: Recorded[], type: string): Recorded[] {
  return recorded.filter((r) => r.type === type);
}
