import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { inForce, leaseState, type LeaseState } from "../lease/lifecycle";
import { leaseFieldManager } from "../lease/names";
import { leaseSchema, type Lease } from "../lease/schema";
import { ANNOTATIONS, IDLE_TAINT_VALUE, LABELS, LEASE_TAINT_EFFECT, LEASE_TAINT_KEY } from "../lease/tenancy";
import { NodeTaint } from "./node-taint";
import { checkArguments, deployInstantCheck } from "./arguments";
import { dnsLabel } from "../lease/fields";

/** Arguments of {@link GpuNodePool}. */
export interface GpuNodePoolArgs {
  /** The tenant holding the lease. */
  tenant: string;
  /** The lease; on an existing cluster its placement names the nodes. */
  lease: Lease;
  /** The deploy instant, epoch milliseconds. */
  at: number;
  /** A kubeconfig (contents, secret) that may get and patch the nodes: the lease taint is written through it. */
  kubeconfig: pulumi.Input<string>;
}

export { leaseFieldManager };

/**
 * The nodes of one lease on an existing cluster. While the lease is in force, each node carries
 * the lease's labels (`leasehold.io/lease`, `leasehold.io/tenant`, server-side apply under a
 * field manager of the lease's own: labels are a map, so each owner keeps its own keys) and its
 * taint `leasehold.io/lease=<id>:NoExecute` (a {@link NodeTaint}: one entry of the node's taint
 * list, changed by read-modify-write, every other taint left as it is).
 *
 * When the lease stops being in force (its end, or a reclaim's `effectiveAt`), the next deploy
 * removes the labels and gives the taint back to the pool: its value becomes the empty idle
 * value, which no tenant may tolerate. The lease's pods tolerated only `leasehold.io/lease=<id>`,
 * so Kubernetes' taint-eviction controller evicts them from the node at once (within their
 * termination grace period, which the admission policy caps at 300 s); their data is
 * untouched. A lease that starts on a node takes the entry over from whatever holds it (the idle
 * value, or a lease that ended but was not yet deployed), and the pods of the lease before it go
 * the same way. The fleet check guarantees that two leases never hold a node at the same instant.
 */
export class GpuNodePool extends pulumi.ComponentResource {
  /** The nodes the lease holds at the deploy instant (empty once reclaimed or ended). */
  public readonly nodes: pulumi.Output<string[]>;
  /** The lease's state at the deploy instant. */
  public readonly state: pulumi.Output<LeaseState>;

  constructor(name: string, args: GpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("GpuNodePool", name, [
      { path: "tenant", value: args.tenant, schema: dnsLabel },
      { path: "lease", value: args.lease, schema: leaseSchema },
      deployInstantCheck(args.at),
    ]);
    super("leasehold:k8s:GpuNodePool", name, {}, opts);
    const { lease, tenant, at } = args;
    const state = leaseState(lease, at);
    const held = inForce(lease, at) ? (lease.placement.nodes ?? []) : [];
    for (const node of held) {
      const labels = new k8s.core.v1.NodePatch(
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
        },
        { parent: this },
      );
      // After the labels: a node never carries the lease's taint without its label.
      new NodeTaint(
        `${name}-${node}-taint`,
        {
          kubeconfig: args.kubeconfig,
          node,
          intent: { mode: "set", key: LEASE_TAINT_KEY, value: lease.id, effect: LEASE_TAINT_EFFECT },
          releaseTo: IDLE_TAINT_VALUE,
          fieldManager: leaseFieldManager(lease.id),
        },
        { parent: this, dependsOn: [labels] },
      );
    }
    this.nodes = pulumi.output(held);
    this.state = pulumi.output(state);
    this.registerOutputs({ nodes: this.nodes, state: this.state });
  }
}
