import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Pool } from "../lease/schema";
import { ANNOTATIONS, LABELS } from "../lease/tenancy";

/** Arguments of {@link PoolInventory}. */
export interface PoolInventoryArgs {
  /** The pools of the platform (existing cluster: with their nodes). */
  pools: readonly Pool[];
}

/** The field manager of the platform's inventory labels. */
export const INVENTORY_FIELD_MANAGER = "leasehold-platform";

/**
 * Inventory labels on the nodes of an existing cluster's pools (`leasehold.io/pool`,
 * `leasehold.io/gpu-type`), applied server-side under the platform's own field manager. It owns
 * labels only: leases own their label and the taints, so neither ever conflicts with the other.
 */
export class PoolInventory extends pulumi.ComponentResource {
  /** Node names per pool. */
  public readonly nodes: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: PoolInventoryArgs, opts?: pulumi.ComponentResourceOptions) {
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
      }
    }
    this.nodes = pulumi.output(nodes);
    this.registerOutputs({ nodes: this.nodes });
  }
}
