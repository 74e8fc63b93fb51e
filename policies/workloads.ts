import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { admissionSettings } from "../lease/admission";
import { workloadViolations, type WorkloadPolicy } from "../lease/admit";
import { leaseReserves, SYSTEM_NAMESPACE } from "../lease/reserve";
import type { WorkloadKind } from "../lease/workloads";
import { resourcePolicy, tenantOrSkip } from "./contract";

/** A resource class, as `isType` takes it. */
type ResourceClass = Parameters<ResourceValidationArgs["isType"]>[0];

const KINDS: [WorkloadKind, ResourceClass][] = [
  ["Pod", k8s.core.v1.Pod],
  ["Deployment", k8s.apps.v1.Deployment],
  ["StatefulSet", k8s.apps.v1.StatefulSet],
  ["DaemonSet", k8s.apps.v1.DaemonSet],
  ["ReplicaSet", k8s.apps.v1.ReplicaSet],
  ["Job", k8s.batch.v1.Job],
  ["CronJob", k8s.batch.v1.CronJob],
];

function kindOf(args: ResourceValidationArgs): WorkloadKind | undefined {
  return KINDS.find(([, cls]) => args.isType(cls))?.[0];
}

/** A policy over tenant workloads, sharing its rules with `leasehold admit`. */
function workloadPolicy(name: WorkloadPolicy, description: string): ResourceValidationPolicy {
  return resourcePolicy({ name, description }, (args, reportViolation) => {
    const kind = kindOf(args);
    if (!kind) return;
    const c = tenantOrSkip(args);
    // A lease's reserve is the landlord's, not a tenant workload: lease-reserves-held judges it.
    const meta = (args.props as { metadata?: { namespace?: string; name?: string } }).metadata;
    if (
      kind === "Deployment" &&
      meta?.namespace === SYSTEM_NAMESPACE &&
      leaseReserves(c.tenant.config.tenant.name, c.tenant.config.leases, c.catalog, c.at).some((r) => r.name === meta.name)
    )
      return;
    for (const v of workloadViolations(
      kind,
      args.props,
      c.tenant.config,
      { catalog: c.catalog, settings: admissionSettings(c.catalog, c.platform.config.cluster, c.platform.config.pools) },
      c.at,
    )) {
      if (v.policy === name) reportViolation(v.message);
    }
  });
}

/** The Pod Security Standards restricted profile (latest version), on pods and pod templates. */
export const podSecurityRestrictedPolicy = workloadPolicy(
  "pod-security-restricted",
  "Pods and pod templates meet the Pod Security Standards restricted profile (latest version).",
);

/** Pods select one of the tenant's leases in force and tolerate no other lease's taint. */
export const leasePinning = workloadPolicy(
  "lease-pinning",
  "Pods select one of their tenant's leases in force (nodeSelector or required node affinity on leasehold.io/lease) and tolerate no other lease's taint and no catch-all toleration.",
);

/** One workload's GPU requests, replicas included, stay within the tenant's GPUs in force. */
export const gpuRequestsWithinQuota = workloadPolicy(
  "gpu-requests-within-quota",
  "One workload's nvidia.com/gpu requests, replicas included, never exceed its tenant's GPUs in force.",
);
