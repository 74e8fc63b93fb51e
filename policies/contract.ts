import type { PolicyConfigSchema, StackValidationArgs, ResourceValidationArgs } from "@pulumi/policy";
import { readContract, type Contract } from "../lease/contract";

/** Every policy of the pack takes the lease contract as its config (`leasehold policy-config`). */
export const contractConfigSchema: PolicyConfigSchema = {
  properties: {
    contract: { type: "object", description: "The lease contract of the stack, written by `leasehold policy-config --stack NAME`." },
  },
};

/**
 * The stack's lease contract from the policy config. When it is missing or invalid the policy
 * does not apply (the `lease-contract` policy reports why, as a mandatory violation).
 */
export function contractOrSkip(args: ResourceValidationArgs | StackValidationArgs): Contract {
  const c = readContract(args.getConfig<{ contract?: unknown }>().contract);
  if (typeof c === "string") return args.notApplicable(c);
  return c;
}

/** The tenant of a tenant stack's contract, or not applicable (platform stacks have no tenant). */
export function tenantOrSkip(args: ResourceValidationArgs | StackValidationArgs): Required<Pick<Contract, "tenant">> & Contract {
  const c = contractOrSkip(args);
  if (!c.tenant) return args.notApplicable(`stack ${c.raw.stack} is a platform stack: it has no tenant`);
  return c as Required<Pick<Contract, "tenant">> & Contract;
}
