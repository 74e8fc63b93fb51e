import { createHash } from "node:crypto";
import { SYSTEM_NAMESPACE } from "./fields";
import { gpuResourceOf, gpusPerNode, nodesFor, type GpuCatalog } from "./catalog";
import { inForce } from "./lifecycle";
import { TENANT_TAINT_EFFECT, TENANT_TAINT_KEY } from "./node-ownership";
import type { Lease } from "./schema";
import { LABELS } from "./tenancy";

// A lease holds whole nodes: 12 GPUs of an 8-GPU type take 2 nodes, 16 GPUs. Without more, the
// tenant could run on all 16, and the GPU quota (one figure per accelerator resource, shared by
// every type advertised under it) would not stop it when another lease of the same resource fills
// the quota: 16 H100s on a 12-H100 lease beside an 8-GPU L40S lease (quota 20).
//
// A lease's reserve holds the GPUs its nodes have beyond its count: one pod of the landlord's, on
// the lease's last node, requesting the remainder (4 of gpu-002's 8). It runs at a PriorityClass
// above every tenant's, so the scheduler places it before a tenant pod, and preempts a tenant pod
// that took those GPUs first. With every lease's remainder so held, the GPUs a tenant can run on
// the nodes of one lease (and so of one type, and in all) are exactly what its leases grant, at
// every instant: the scheduler counts them, not a quota.

export { SYSTEM_NAMESPACE };

/**
 * The PriorityClass of lease reserves (the platform stack creates it): 1,000,000,000, the highest
 * value a class not prefixed `system-` may have, so that no tenant class outranks it.
 */
export const RESERVE_PRIORITY_CLASS = { name: "leasehold-lease-reserve", value: 1_000_000_000 } as const;

/** The container image of a reserve pod (it only holds its devices): Kubernetes' pause image. */
export const RESERVE_IMAGE = "registry.k8s.io/pause:3.10";

/** The reserve of one lease in force whose count leaves part of its nodes' GPUs over. */
export interface LeaseReserve {
  /** The lease. */
  lease: string;
  /** Its GPU type (a catalog key). */
  gpuType: string;
  /** The extended resource the type is advertised as (`nvidia.com/gpu`). */
  resource: string;
  /** Units the lease's nodes hold: nodes x GPUs per node. */
  nodeUnits: number;
  /** Units the lease grants (its `gpu.count`). */
  granted: number;
  /** Units the reserve holds: `nodeUnits - granted`, 1 to GPUs per node - 1. */
  units: number;
  /**
   * The node it runs on: the last of `placement.nodes` in name order (named nodes, existing
   * clusters); absent where the provider names no node (EKS node groups), and the reserve runs on
   * any of the lease's.
   */
  node?: string;
  /** The Deployment's name in {@link SYSTEM_NAMESPACE} (see {@link reserveName}). */
  name: string;
}

/**
 * The Deployment name of a reserve: `reserve-<tenant>-<node>` (or `-<lease>` where no node is
 * named), cut to 46 characters, then a hash of the tenant and the node (or lease) apart, so that
 * two tenants never share one (`team` on `a-gpu-001` and `team-a` on `gpu-001`), and a renewal on
 * the same nodes keeps it. At most 63 characters, a DNS label.
 */
export function reserveName(tenant: string, lease: Pick<LeaseReserve, "lease" | "node">): string {
  const where = lease.node ?? lease.lease;
  const hash = createHash("sha256")
    .update(`${tenant}\0${lease.node !== undefined ? "node" : "lease"}\0${where}`)
    .digest("hex")
    .slice(0, 10);
  const readable = `reserve-${tenant}-${where}`.replace(/\./g, "-").slice(0, 46).replace(/-+$/, "");
  return `${readable}-${hash}`;
}

/**
 * The reserves of a tenant's leases in force at `at`, in lease order: one per lease whose count
 * is not a whole number of its type's nodes. Leases with no catalog entry hold none (loading
 * refuses them).
 */
export function leaseReserves(tenant: string, leases: readonly Lease[], catalog: GpuCatalog, at: number): LeaseReserve[] {
  const out: LeaseReserve[] = [];
  for (const l of leases) {
    if (!inForce(l, at) || !catalog[l.gpu.type]) continue;
    const perNode = gpusPerNode(catalog, l.gpu.type);
    const nodeUnits = nodesFor(l.gpu.count, perNode) * perNode;
    const units = nodeUnits - l.gpu.count;
    if (units <= 0) continue;
    // The last of the lease's nodes in name order, whatever order the stack file writes them in,
    // so that a renewal on the same nodes keeps the reserve where it is.
    const named = [...(l.placement.nodes ?? [])].sort();
    const node = named.length > 0 ? named[named.length - 1] : undefined;
    const pin = { lease: l.id, ...(node !== undefined ? { node } : {}) };
    out.push({
      lease: l.id,
      gpuType: l.gpu.type,
      resource: gpuResourceOf(catalog[l.gpu.type]),
      nodeUnits,
      granted: l.gpu.count,
      units,
      ...(node !== undefined ? { node } : {}),
      name: reserveName(tenant, pin),
    });
  }
  return out;
}

/**
 * Labels of a reserve's Deployment, selector and pod: its name and tenant, never its lease (a
 * selector cannot change, and a renewal on the same nodes must keep the same pod).
 */
export function reserveLabels(tenant: string, r: LeaseReserve): Record<string, string> {
  return { "app.kubernetes.io/name": "lease-reserve", "leasehold.io/reserve": r.name, [LABELS.tenant]: tenant };
}

/**
 * The Deployment of a reserve, as the API server is sent it: one replica (re-created if deleted),
 * strategy Recreate (a changed reserve never holds twice its units), a pause container requesting
 * the remainder of the lease's resource, restricted, at {@link RESERVE_PRIORITY_CLASS}, on the
 * lease's last node while its tenant holds it (tolerating that tenant's taint only, so the node's
 * release evicts it), or with no named node on any node of the lease.
 */
export function reserveDeployment(tenant: string, r: LeaseReserve, image: string = RESERVE_IMAGE) {
  const labels = reserveLabels(tenant, r);
  const units = String(r.units);
  const nodeSelector: Record<string, string> =
    r.node !== undefined ? { [LABELS.tenant]: tenant } : { [LABELS.tenant]: tenant, [LABELS.lease]: r.lease };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: r.name, namespace: SYSTEM_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      strategy: { type: "Recreate" },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: RESERVE_PRIORITY_CLASS.name,
          nodeSelector,
          ...(r.node !== undefined
            ? {
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [r.node] }] }],
                    },
                  },
                },
              }
            : {}),
          tolerations: [
            { key: TENANT_TAINT_KEY, operator: "Equal", value: tenant, effect: TENANT_TAINT_EFFECT },
            { key: r.resource, operator: "Exists", effect: "NoSchedule" },
          ],
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 0,
          securityContext: { runAsNonRoot: true, runAsUser: 65535, runAsGroup: 65535, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "reserve",
              image,
              resources: {
                requests: { cpu: "1m", memory: "8Mi", [r.resource]: units },
                limits: { memory: "8Mi", [r.resource]: units },
              },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}
