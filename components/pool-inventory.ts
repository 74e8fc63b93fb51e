import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { poolSchema, type Pool } from "../lease/schema";
import { ANNOTATIONS, IDLE_TAINT_VALUE, LABELS, LEASE_TAINT_EFFECT, LEASE_TAINT_KEY } from "../lease/tenancy";
import { NodeTaint } from "./node-taint";
import { z } from "zod";
import { checkArguments } from "./arguments";

/** Arguments of {@link PoolInventory}. */
export interface PoolInventoryArgs {
  /** The pools of the platform (existing cluster: with their nodes). */
  pools: readonly Pool[];
  /**
   * A kubeconfig (contents, secret) that may get and patch the nodes: the idle taint is written
   * through it, and it is stored in each node's NodeTaint. @default the cluster's ambient
   * kubeconfig, read when the taints are written (see NodeTaintArgs.kubeconfig): nothing
   * stored per node
   */
  kubeconfig?: pulumi.Input<string>;
}

/** The field manager of the platform's inventory labels. */
export const INVENTORY_FIELD_MANAGER = "leasehold-platform";

/**
 * Inventory labels on the nodes of an existing cluster's pools (`leasehold.io/pool`,
 * `leasehold.io/gpu-type`), applied server-side under the platform's own field manager, and the
 * idle lease taint `leasehold.io/lease=:NoExecute` on every pool node no lease holds yet (a
 * {@link NodeTaint} that adds the entry only where the node has none): an unleased GPU node is
 * closed to every tenant. Leases own their label and take the taint entry over while they hold
 * the node, giving it back idle when they end; the platform's destroy removes only idle entries.
 */
export class PoolInventory extends pulumi.ComponentResource {
  /** Node names per pool. */
  public readonly nodes: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: PoolInventoryArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("PoolInventory", name, [{ path: "pools", value: args.pools, schema: z.array(poolSchema) }]);
    super("leasehold:k8s:PoolInventory", name, {}, opts);
    const nodes: Record<string, string[]> = {};
    for (const pool of args.pools) {
      nodes[pool.name] = [...(pool.nodes ?? [])];
      for (const node of pool.nodes ?? []) {
        new k8s.core.v1.NodePatch(
          `${name}-${pool.name}-${node}`,
          {
            metadata: {
              name: node,
              labels: { [LABELS.pool]: pool.name, [LABELS.gpuType]: pool.gpuType },
              annotations: { [ANNOTATIONS.fieldManager]: INVENTORY_FIELD_MANAGER },
            },
          },
          { parent: this },
        );
        new NodeTaint(
          `${name}-${pool.name}-${node}-idle`,
          {
            ...(args.kubeconfig === undefined ? {} : { kubeconfig: args.kubeconfig }),
            node,
            intent: { mode: "ensure", key: LEASE_TAINT_KEY, value: IDLE_TAINT_VALUE, effect: LEASE_TAINT_EFFECT },
            fieldManager: INVENTORY_FIELD_MANAGER,
          },
          { parent: this },
        );
      }
    }
    this.nodes = pulumi.output(nodes);
    this.registerOutputs({ nodes: this.nodes });
  }
}
