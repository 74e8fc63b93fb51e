import { readContract } from "../lease/contract";
import { checkFleet } from "../lease/fleet";
import { stackPolicy, tenantOrSkip } from "./contract";

/**
 * The lease contract must reach the pack: without it every other lease policy would silently not
 * apply, so its absence is itself a mandatory violation.
 */
export const leaseContract = stackPolicy(
  {
    name: "lease-contract",
    description: "The policy config carries this stack's lease contract (leasehold policy-config), so that every lease policy applies.",
  },
  (args, reportViolation) => {
    const c = readContract(args.getConfig<{ contract?: unknown }>().contract);
    if (typeof c === "string") reportViolation(`${c.charAt(0).toUpperCase()}${c.slice(1)}.`);
  },
);

/**
 * This stack's leases never exceed the capacity of the pools they are placed on, at any instant:
 * the fleet check's sweep over window boundaries, on the stack and its platform.
 */
export const poolCapacity = stackPolicy(
  { name: "pool-capacity", description: "This stack's leases never exceed the capacity of the pools they are placed on, at any instant." },
  (args, reportViolation) => {
    const c = tenantOrSkip(args);
    for (const p of checkFleet([c.platform, c.tenant])) reportViolation(`${p.path}: ${p.message}.`.replace(/\.\.$/, "."));
  },
);
