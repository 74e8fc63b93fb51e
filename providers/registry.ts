import { eks } from "./eks";
import { existing } from "./existing";
import type { ClusterBase, PlatformProvider } from "./types";

/**
 * Every platform provider, keyed by its `leasehold:cluster.provider` value. Adding one is its
 * folder and its line here: the cluster schema, the rules, the capacity arithmetic, the programs
 * and the policy checks all look providers up through this object (providers/index.ts), never
 * by name.
 */
export const PROVIDERS = registry({
  existing,
  eks,
});

/** The registry as given, each key checked against its provider's `provider` literal. */
function registry<T extends { [K in keyof T]: PlatformProvider<ClusterBase & { provider: K & string }> }>(providers: T): T {
  return providers;
}
