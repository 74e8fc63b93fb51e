import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidation,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { readContract, type Contract } from "../lease/contract";
import type { PolicyName } from "../lease/policy-names";

/** Every policy of the pack takes the lease contract as its config (`leasehold policy-config`). */
export const contractConfigSchema: PolicyConfigSchema = {
  properties: {
    contract: { type: "object", description: "The lease contract of the stack, written by `leasehold policy-config --stack NAME`." },
  },
};

/** Contracts read, by the config object a policy gets at every call, then by LEASEHOLD_AT. */
const read = new WeakMap<object, Map<string | undefined, Contract | string>>();

/**
 * A contract read once per policy and deploy: the engine hands each policy the same config object
 * for every resource, and a contract with its own instant (`at`, as `leasehold up` and `preview`
 * write it) reads the same each time. Without `at` the instant is the moment of each call: read
 * every time.
 */
function contractFrom(value: unknown): Contract | string {
  if (typeof value !== "object" || value === null || typeof (value as { at?: unknown }).at !== "string") return readContract(value);
  let byAt = read.get(value);
  if (!byAt) read.set(value, (byAt = new Map()));
  const key = process.env.LEASEHOLD_AT;
  let c = byAt.get(key);
  if (c === undefined) byAt.set(key, (c = readContract(value)));
  return c;
}

/**
 * The stack's lease contract from the policy config. When it is missing or invalid the policy
 * does not apply (the `lease-contract` policy reports why, as a mandatory violation).
 */
export function contractOrSkip(args: ResourceValidationArgs | StackValidationArgs): Contract {
  const c = contractFrom(args.getConfig<{ contract?: unknown }>().contract);
  if (typeof c === "string") return args.notApplicable(c);
  return c;
}

/** The tenant of a tenant stack's contract, or not applicable (platform stacks have no tenant). */
export function tenantOrSkip(args: ResourceValidationArgs | StackValidationArgs): Required<Pick<Contract, "tenant">> & Contract {
  const c = contractOrSkip(args);
  if (!c.tenant) return args.notApplicable(`stack ${c.raw.stack} is a platform stack: it has no tenant`);
  return c as Required<Pick<Contract, "tenant">> & Contract;
}

/** What a lease policy declares of itself: the rest of its header is the same for every policy. */
interface LeasePolicyHeader {
  /** One of the pack's names (`POLICY_NAMES`), which `leasehold policy-config` writes the contract under. */
  name: PolicyName;
  /** One sentence: what holds when the policy passes. */
  description: string;
  /** @default "mandatory" (a violation stops the preview or update) */
  enforcementLevel?: EnforcementLevel;
}

/** A lease policy over the whole stack, with the contract as its config. */
export function stackPolicy(header: LeasePolicyHeader, validateStack: StackValidation): StackValidationPolicy {
  return { enforcementLevel: "mandatory", ...header, configSchema: contractConfigSchema, validateStack };
}

/** A lease policy over each resource, with the contract as its config. */
export function resourcePolicy(header: LeasePolicyHeader, validateResource: ResourceValidation): ResourceValidationPolicy {
  return { enforcementLevel: "mandatory", ...header, configSchema: contractConfigSchema, validateResource };
}
