import { z } from "zod";
import { PROVIDERS } from "./registry";
import type { ClusterBase, PlatformProvider } from "./types";

export { PROVIDERS };
export type * from "./types";

/** A provider's name: a key of {@link PROVIDERS}. */
export type ProviderName = keyof typeof PROVIDERS;

/** The cluster config a provider reads. */
type ClusterOf<P> = P extends PlatformProvider<infer C> ? C : never;

/** `leasehold:cluster`: one of the providers' cluster configs, told apart by `provider`. */
export type ClusterConfig = { [K in ProviderName]: ClusterOf<(typeof PROVIDERS)[K]> }[ProviderName];

/** Every provider of the registry, in its order. */
export function allProviders(): PlatformProvider<ClusterBase>[] {
  return Object.values(PROVIDERS) as PlatformProvider<ClusterBase>[];
}

/** The provider of a cluster config (one that passed `clusterSchema`), typed for that config. */
export function providerOf<C extends ClusterConfig>(cluster: C): PlatformProvider<C> {
  // The registry is keyed by each provider's literal, so the lookup is the provider of exactly C.
  return (PROVIDERS as Record<string, unknown>)[cluster.provider] as PlatformProvider<C>;
}

/** The schema of `leasehold:cluster`: the providers' schemas, told apart by `provider`. */
export function clusterSchemaOf(): z.ZodType<ClusterConfig> {
  const providers = allProviders();
  const names = providers.map((p) => `provider: ${p.name}`);
  return z.discriminatedUnion(
    "provider",
    providers.map((p) => p.clusterSchema) as unknown as [z.ZodObject<{ provider: z.ZodLiteral<string> }>],
    { error: `expected ${names.slice(0, -1).join(", ")}${names.length > 1 ? " or " : ""}${names[names.length - 1]}` },
  ) as unknown as z.ZodType<ClusterConfig>;
}
