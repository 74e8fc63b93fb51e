import { z } from "zod";
import { mergeCatalog, type GpuCatalog } from "./catalog";
import { deployInstantFrom, instant, rfc3339 } from "./fields";
import { compressHostlist } from "./hostlist";
import type { PlatformStack, Stack, TenantStack } from "./load";
import { zodMessages, formatPath, showValue } from "./problems";
import {
  clusterSchema,
  gpuTypesSchema,
  leaseSchema,
  platformRules,
  poolSchema,
  purgeSchema,
  systemNamespacesSchema,
  tenantSchema,
} from "./schema";

// The lease contract as the policy pack receives it: everything a preview needs to judge a stack,
// with the same schemas as the stack files. `leasehold policy-config --stack NAME` writes it into
// the policy pack config, under every policy that reads it.

/** The contract of one stack. */
export const policyContractSchema = z.strictObject({
  /** The format of this object. */
  version: z.literal(1),
  /** The stack the contract is for. */
  stack: z.string().min(1),
  /** The instant to judge at; absent: the moment the policy runs (the deploy instant). */
  at: rfc3339.optional(),
  /** The platform the stack runs on (itself, for a platform stack). */
  platform: z.strictObject({
    name: z.string().min(1),
    cluster: clusterSchema,
    pools: z.array(poolSchema),
    gpuTypes: gpuTypesSchema.optional(),
    /** The landlord's namespaces no tenant may be named as; absent (contracts written before it): none. */
    systemNamespaces: systemNamespacesSchema,
  }),
  /** A tenant stack's tenant; absent for a platform stack. */
  tenant: tenantSchema.optional(),
  /** A tenant stack's leases. */
  leases: z.array(leaseSchema).default([]),
  /** A tenant stack's purge marker, when its data may be deleted. */
  purge: purgeSchema.optional(),
});

/** The contract of one stack, as the policy pack receives it. */
export type PolicyContract = z.infer<typeof policyContractSchema>;

/** The contract of one stack as it is written into the policy config (node sets may be hostlists). */
export type WrittenContract = z.input<typeof policyContractSchema>;

/** A contract made ready for the policies: typed stacks, the catalog and the instant. */
export interface Contract {
  /** The contract as the policy config carries it, parsed. */
  raw: PolicyContract;
  /** The platform stack, rebuilt from the contract (file `Pulumi.<name>.yaml`, no source positions). */
  platform: PlatformStack;
  /** For a tenant stack's contract: the tenant stack, rebuilt the same way. */
  tenant?: TenantStack;
  /** The platform's GPU catalog: the built-in one with its `gpuTypes` merged in. */
  catalog: GpuCatalog;
  /** The instant the policies judge at, epoch milliseconds: the contract's `at`, else the deploy instant. */
  at: number;
}

/**
 * A node set as the contract carries it: one hostlist expression (`gpu-[00001-10000]`), which
 * the contract's schema expands back to exactly the same names. Written out one name per entry, a
 * 10,000-node pool made each policy's copy of the contract about 280 KB, parsed again by every
 * policy of the pack at every deploy.
 */
function compactNodes<T extends { nodes?: string[] }>(x: T): Omit<T, "nodes"> & { nodes?: string[] | string } {
  if (!Array.isArray(x.nodes) || x.nodes.length === 0) return x;
  let written = compacted.get(x.nodes);
  if (written === undefined) {
    // Names with no common numbering (no two share a prefix and a counter) do not compress, and
    // expanding them again costs more than reading the list: they stay a list.
    const hostlist = compressHostlist(x.nodes);
    const listed = x.nodes.reduce((n, name) => n + name.length + 3, 2);
    written = hostlist.length * 2 <= listed ? hostlist : x.nodes;
    compacted.set(x.nodes, written);
  }
  return { ...x, nodes: written };
}

/**
 * Node sets compacted, by the loaded stack's list: a fleet run writes the platform's contract
 * into every tenant stack's, and compressing a 10,000-node pool again for each costs about 29 ms.
 */
const compacted = new WeakMap<readonly string[], string[] | string>();

/** The contract for a stack of the fleet (a tenant stack needs its platform); node sets as hostlists. */
export function contractOf(stack: Stack, platform: PlatformStack, at?: string): WrittenContract {
  return {
    version: 1,
    stack: stack.name,
    ...(at ? { at } : {}),
    platform: {
      name: platform.name,
      cluster: platform.config.cluster,
      pools: platform.config.pools.map(compactNodes),
      ...(platform.config.gpuTypes ? { gpuTypes: platform.config.gpuTypes } : {}),
      ...(platform.config.systemNamespaces.length > 0 ? { systemNamespaces: platform.config.systemNamespaces } : {}),
    },
    ...(stack.role === "tenant"
      ? {
          tenant: stack.config.tenant,
          leases: stack.config.leases.map((l) => ({ ...l, placement: compactNodes(l.placement) })),
          ...(stack.config.purge ? { purge: stack.config.purge } : {}),
        }
      : { leases: [] }),
  };
}

/**
 * Reads a contract from policy config; a string explains why it cannot be used. Without a
 * pinned `at`, the contract is judged at the deploy instant, as the program builds it
 * (LEASEHOLD_AT when set, else now).
 */
export function readContract(value: unknown, now: number | string = deployInstantFrom()): Contract | string {
  if (typeof now === "string") return now;
  if (value === undefined)
    return "the policy config carries no lease contract; generate it with `leasehold policy-config --stack NAME` and pass it with --policy-pack-config";
  const parsed = policyContractSchema.safeParse(value, { reportInput: true, error: zodMessages });
  if (!parsed.success) {
    const iss = parsed.error.issues[0]!;
    return `the lease contract in the policy config is invalid: contract${iss.path.length ? "." : ""}${formatPath(iss.path as PropertyKey[])}: ${iss.message}${"input" in iss && iss.message.startsWith("expected") ? `, got ${showValue(iss.input)}` : ""}`;
  }
  const raw = parsed.data;
  // The platform's own rules too (its provider's: a capacity block's window, one pool per
  // reservation), so that a contract edited by hand is held to what a stack file is.
  const ruled: { path: (string | number)[]; message: string; input: unknown }[] = [];
  platformRules(
    {
      cluster: raw.platform.cluster,
      pools: raw.platform.pools,
      gpuTypes: raw.platform.gpuTypes,
      systemNamespaces: raw.platform.systemNamespaces,
    },
    { add: (path, message, input) => ruled.push({ path, message, input }) },
  );
  if (ruled.length > 0) {
    const { path, message, input } = ruled[0]!;
    return `the lease contract in the policy config is invalid: contract.platform.${formatPath(path)}: ${message}${message.startsWith("expected") ? `, got ${showValue(input)}` : ""}`;
  }
  const file = (name: string) => `Pulumi.${name}.yaml`;
  const platform: PlatformStack = {
    role: "platform",
    name: raw.platform.name,
    file: file(raw.platform.name),
    config: {
      role: "platform",
      cluster: raw.platform.cluster,
      pools: raw.platform.pools,
      gpuTypes: raw.platform.gpuTypes,
      systemNamespaces: raw.platform.systemNamespaces,
    },
    catalog: mergeCatalog(raw.platform.gpuTypes),
    locate: () => undefined,
  };
  const tenant: TenantStack | undefined = raw.tenant
    ? {
        role: "tenant",
        name: raw.stack,
        file: file(raw.stack),
        config: {
          role: "tenant",
          platform: raw.platform.name,
          tenant: raw.tenant,
          leases: raw.leases,
          ...(raw.purge ? { purge: raw.purge } : {}),
        },
        locate: () => undefined,
      }
    : undefined;
  return { raw, platform, tenant, catalog: platform.catalog, at: raw.at ? instant(raw.at) : now };
}
