/**
 * The policies of the lease policy pack, by name. The pack builds exactly these, and
 * `leasehold policy-config` writes the lease contract under each, so the two never drift apart.
 */
export const POLICY_NAMES = [
  "lease-contract",
  "tenant-gpu-quota-within-leases",
  "node-pool-within-lease",
  "pool-capacity",
  "tenant-namespace-isolated",
  "tenant-rbac-namespaced",
  "no-public-services",
  "lease-labels",
  "reclaim-after-notice",
  "tenant-data-retained",
  "pod-security-restricted",
  "lease-pinning",
  "gpu-requests-within-quota",
  "lease-reserves-held",
] as const;

/** A policy of the pack. */
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The policy pack config (`--policy-pack-config`) that hands every policy the stack's lease contract. */
export function policyPackConfig(contract: unknown): Record<PolicyName, { contract: unknown }> {
  return Object.fromEntries(POLICY_NAMES.map((name) => [name, { contract }])) as Record<PolicyName, { contract: unknown }>;
}
