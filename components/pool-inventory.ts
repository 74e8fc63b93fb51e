import * as pulumi from "@pulumi/pulumi";
import { poolSchema, type Pool } from "../lease/schema";
import { PoolNodes } from "./node-set";
import { z } from "zod";
import { checkArguments } from "./arguments";

/** Arguments of {@link PoolInventory}. */
export interface PoolInventoryArgs {
  /** The pools of the platform (existing cluster: with their nodes). */
  pools: readonly Pool[];
  /**
   * A kubeconfig (contents, secret) that may list, get and patch the nodes, stored once in the
   * state. @default the cluster's ambient kubeconfig, read when the nodes are written
   */
  kubeconfig?: pulumi.Input<string>;
}

/** The field manager of the platform's inventory labels in earlier versions (a NodePatch per node). */
export const INVENTORY_FIELD_MANAGER = "leasehold-platform";

/**
 * The pools of an existing cluster on their nodes: one {@link PoolNodes} resource for every node
 * of every pool (`leasehold.io/pool` and `leasehold.io/gpu-type` labels, and the idle taint
 * `leasehold.io/tenant=:NoExecute` on each node no tenant holds: an unleased GPU node is closed to
 * every tenant). Tenants take the taint entry over while they hold a node and give it back idle;
 * the platform's destroy removes only idle entries.
 */
export class PoolInventory extends pulumi.ComponentResource {
  /** Node names per pool. */
  public readonly nodes: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: PoolInventoryArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("PoolInventory", name, [{ path: "pools", value: args.pools, schema: z.array(poolSchema) }]);
    super("leasehold:k8s:PoolInventory", name, {}, opts);
    new PoolNodes(
      `${name}-nodes`,
      { pools: args.pools, ...(args.kubeconfig === undefined ? {} : { kubeconfig: args.kubeconfig }) },
      { parent: this },
    );
    this.nodes = pulumi.output(Object.fromEntries(args.pools.map((p) => [p.name, [...(p.nodes ?? [])]])));
    this.registerOutputs({ nodes: this.nodes });
  }
}
