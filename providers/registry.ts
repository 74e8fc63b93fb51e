import { z } from "zod";
import { eks } from "./eks";
import { existing } from "./existing";
import type { ClusterBase, PlatformProvider } from "./types";

/**
 * Every platform provider, keyed by its `leasehold:cluster.provider` value. Adding one is its
 * folder and its line here: the cluster schema, the rules, the capacity arithmetic, the programs
 * and the policy checks all look providers up here, never by name.
 */
export const PROVIDERS = registry({ existing, eks });

/** The registry as given, each key checked against its provider's `provider` literal. */
function registry<T extends { [K in keyof T]: PlatformProvider<ClusterBase & { provider: K & string }> }>(providers: T): T {
  return providers;
}

/** A provider's name: a key of {@link PROVIDERS}. */
export type ProviderName = keyof typeof PROVIDERS;

/** The cluster config a provider reads. */
type ClusterOf<P> = P extends PlatformProvider<infer C> ? C : never;

/** `leasehold:cluster`: one of the providers' cluster configs. */
export type ClusterConfig = { [K in ProviderName]: ClusterOf<(typeof PROVIDERS)[K]> }[ProviderName];

/** The provider of a cluster config, typed for that config. */
export function providerOf<C extends ClusterConfig>(cluster: C): PlatformProvider<C> {
  // The registry is keyed by each provider's literal, so the lookup is the provider of exactly C.
  return PROVIDERS[cluster.provider] as unknown as PlatformProvider<C>;
}

/** The schema of `leasehold:cluster`: the providers' schemas, told apart by `provider`. */
export function clusterSchemaOf(): z.ZodType<ClusterConfig> {
  const providers = Object.values(PROVIDERS) as PlatformProvider<ClusterBase>[];
  const names = providers.map((p) => `provider: ${p.name}`);
  return z.discriminatedUnion(
    "provider",
    providers.map((p) => p.clusterSchema) as unknown as [z.ZodObject<{ provider: z.ZodLiteral<string> }>],
    { error: `expected ${names.slice(0, -1).join(", ")}${names.length > 1 ? " or " : ""}${names[names.length - 1]}` },
  ) as unknown as z.ZodType<ClusterConfig>;
}
