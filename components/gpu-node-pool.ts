import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { leaseState, type LeaseState } from "../lease/lifecycle";
import type { Lease } from "../lease/schema";
import { ANNOTATIONS, LABELS, LEASE_TAINT_EFFECT, LEASE_TAINT_KEY } from "../lease/tenancy";

/** Arguments of {@link GpuNodePool}. */
export interface GpuNodePoolArgs {
  /** The tenant holding the lease. */
  tenant: string;
  /** The lease; on an existing cluster its placement names the nodes. */
  lease: Lease;
  /** The deploy instant, epoch milliseconds. */
  at: number;
}

/** The server-side-apply field manager of a lease's node patches: one per lease. */
export function leaseFieldManager(leaseId: string): string {
  return `leasehold-lease-${leaseId}`;
}

/**
 * The nodes of one lease on an existing cluster. While the lease is in force, each node carries
 * the lease's labels (`leasehold.io/lease`, `leasehold.io/tenant`) and its taint
 * (`leasehold.io/lease=<id>:NoExecute`), applied server-side under a field manager of the
 * lease's own. When the lease is reclaimed or ends, the patches are removed, which releases
 * exactly the fields this lease owns: the node keeps no trace of the lease and the admission
 * policy refuses tenant pods that still ask for it.
 *
 * Back-to-back leases on a node never fight: each applies with force, so the lease that starts
 * takes over the label and the (atomic) taint list whatever order the two stacks deploy in, and
 * the lease that ends relinquishes only what it still owns. The fleet check guarantees that two
 * leases never hold a node at the same instant, which is what makes forcing safe.
 */
export class GpuNodePool extends pulumi.ComponentResource {
  /** The nodes the lease holds at the deploy instant (empty once reclaimed or ended). */
  public readonly nodes: pulumi.Output<string[]>;
  /** The lease's state at the deploy instant. */
  public readonly state: pulumi.Output<LeaseState>;

  constructor(name: string, args: GpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("leasehold:k8s:GpuNodePool", name, {}, opts);
    const { lease, tenant, at } = args;
    const state = leaseState(lease, at);
    const held = state === "active" || state === "notice" ? (lease.placement.nodes ?? []) : [];
    for (const node of held) {
      new k8s.core.v1.NodePatch(
        `${name}-${node}`,
        {
          metadata: {
            name: node,
            labels: { [LABELS.lease]: lease.id, [LABELS.tenant]: tenant },
            annotations: {
              [ANNOTATIONS.fieldManager]: leaseFieldManager(lease.id),
              "pulumi.com/patchForce": "true",
            },
          },
          spec: { taints: [{ key: LEASE_TAINT_KEY, value: lease.id, effect: LEASE_TAINT_EFFECT }] },
        },
        { parent: this },
      );
    }
    this.nodes = pulumi.output(held);
    this.state = pulumi.output(state);
    this.registerOutputs({ nodes: this.nodes, state: this.state });
  }
}
