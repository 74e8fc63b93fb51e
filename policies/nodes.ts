import { allProviders } from "../providers";
import { stackPolicy, tenantOrSkip } from "./contract";

/**
 * Nodes given to a lease stay within it: each provider's lease node resources (patched nodes, node
 * groups) are checked by that provider's policy part (providers/<name>/policy.ts).
 */
export const nodePoolWithinLease = stackPolicy(
  {
    name: "node-pool-within-lease",
    description:
      "Nodes given to a lease (patched nodes, or an EKS node group) are the lease's own, only while it is in force, no more than its GPUs need, and of an instance type that carries its GPU type.",
  },
  (args, reportViolation) => {
    const c = tenantOrSkip(args);
    // Every provider's check, whatever the platform's: a program may declare any provider's resources.
    for (const provider of allProviders()) provider.policy().checkLeaseNodes(args, c, reportViolation);
  },
);
