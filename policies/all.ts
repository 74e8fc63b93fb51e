import type { Policies } from "@pulumi/policy";
import { leaseContract, poolCapacity } from "./capacity";
import { tenantDataRetained } from "./data";
import { noPublicServices, tenantNamespaceIsolated, tenantRbacNamespaced } from "./isolation";
import { leaseLabels } from "./labels";
import { nodePoolWithinLease } from "./nodes";
import { leaseReservesHeld, reclaimAfterNotice, tenantGpuQuotaWithinLeases } from "./quota";
import { gpuRequestsWithinQuota, leasePinning, podSecurityRestrictedPolicy } from "./workloads";

/** Every policy of the pack, in the order of POLICY_NAMES. */
export const POLICIES: Policies = [
  leaseContract,
  tenantGpuQuotaWithinLeases,
  nodePoolWithinLease,
  poolCapacity,
  tenantNamespaceIsolated,
  tenantRbacNamespaced,
  noPublicServices,
  leaseLabels,
  reclaimAfterNotice,
  tenantDataRetained,
  podSecurityRestrictedPolicy,
  leasePinning,
  gpuRequestsWithinQuota,
  leaseReservesHeld,
];
