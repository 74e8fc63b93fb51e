import { z } from "zod";
import { EXTENDED_RESOURCE_NAME } from "../lease/catalog";
import { priorityClassName } from "../lease/fields";
import { RESERVE_PRIORITY_CLASS } from "../lease/reserve";

// The keys of `leasehold:cluster` every provider's schema has (see ClusterBase).

/**
 * PriorityClasses tenant pods may name (DNS subdomains); a pod naming any other is refused. A
 * cluster's `globalDefault` class is written into every pod that names none, so list it too.
 * @default []
 */
const tenantPriorityClasses = z
  .array(
    priorityClassName
      .refine((n) => !n.startsWith("system-"), {
        error: "the system- PriorityClasses are the cluster's own; tenants never get them",
      })
      .refine((n) => n !== RESERVE_PRIORITY_CLASS.name, {
        error: `${RESERVE_PRIORITY_CLASS.name} is the lease reserves' (which must preempt tenant pods); tenants never get it`,
      }),
    {
      error: "expected a list of PriorityClass names",
    },
  )
  .optional();

/**
 * Extended resources tenant pods may request beyond the catalog's accelerators (which have a quota
 * each) and EFA on EFA pools, e.g. a FUSE or RDMA device plugin's. Any other is refused. @default []
 */
const tenantExtendedResources = z
  .array(z.string().regex(EXTENDED_RESOURCE_NAME, { error: "expected an extended resource name such as smarter-devices/fuse" }), {
    error: "expected a list of extended resource names",
  })
  .optional();

/** Spread into every provider's cluster schema. */
export const clusterBaseFields = { tenantPriorityClasses, tenantExtendedResources };
