import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkArguments, deployInstantCheck } from "./arguments";
import { dnsLabel, isoInstant } from "../lease/fields";
import { compressHostlist } from "../lease/hostlist";
import { inForce } from "../lease/lifecycle";
import { tenantNodesFieldManager } from "../lease/names";
import { leaseSchema, poolSchema, type Lease, type Pool } from "../lease/schema";
import type { LeaseClaim, PoolNodeSet, PoolNodesInputs, PoolNodesState, TenantNodesInputs, TenantNodesState } from "./node-set-runtime";
import { NODE_SET_RUNTIME } from "./node-set-runtime";

export type { LeaseClaim, PoolNodeSet, PoolNodesInputs, PoolNodesState, TenantNodesInputs, TenantNodesState } from "./node-set-runtime";

/** {@link NODE_SET_RUNTIME}, as a string of this module: the loaders below are serialized with it by value. */
const RUNTIME_PATH: string = NODE_SET_RUNTIME;

/** Loads the node sets' CRUD from the project folder (the plugin's working directory). */
function loadNodeSetRuntime(): typeof import("./node-set-runtime") {
  // Serialized by value with RUNTIME_PATH: it requires what it needs in its body.
  const path = require("node:path") as typeof import("node:path");
  const file = path.resolve(RUNTIME_PATH);
  try {
    const tsx = require("tsx/cjs/api") as { require(id: string, fromFile: string): unknown };
    return tsx.require(file, path.resolve("package.json")) as typeof import("./node-set-runtime");
  } catch (e) {
    const err = new Error(
      `cannot load leasehold's node set provider ${file} (${(e as Error).message.split("\n")[0]}): run pulumi from the leasehold project folder, after npm ci`,
    );
    err.stack = err.message;
    throw err;
  }
}

/**
 * The provider serialized into each TenantNodes' state: a loader of about 3 KB that calls the
 * same method of {@link NODE_SET_RUNTIME}'s `tenantNodesProvider` in the plugin process.
 */
const tenantNodesLoader: pulumi.dynamic.ResourceProvider<TenantNodesInputs, TenantNodesState> = {
  async configure(req) {
    return loadNodeSetRuntime().tenantNodesProvider.configure!(req);
  },
  async create(inputs) {
    return loadNodeSetRuntime().tenantNodesProvider.create(inputs);
  },
  async diff(id, olds, news) {
    return loadNodeSetRuntime().tenantNodesProvider.diff!(id, olds, news);
  },
  async update(id, olds, news) {
    return loadNodeSetRuntime().tenantNodesProvider.update!(id, olds, news);
  },
  async delete(id, props) {
    return loadNodeSetRuntime().tenantNodesProvider.delete!(id, props);
  },
  async read(id, props) {
    return loadNodeSetRuntime().tenantNodesProvider.read!(id, props);
  },
};

/** The provider serialized into each PoolNodes' state (see {@link tenantNodesLoader}). */
const poolNodesLoader: pulumi.dynamic.ResourceProvider<PoolNodesInputs, PoolNodesState> = {
  async configure(req) {
    return loadNodeSetRuntime().poolNodesProvider.configure!(req);
  },
  async create(inputs) {
    return loadNodeSetRuntime().poolNodesProvider.create(inputs);
  },
  async diff(id, olds, news) {
    return loadNodeSetRuntime().poolNodesProvider.diff!(id, olds, news);
  },
  async update(id, olds, news) {
    return loadNodeSetRuntime().poolNodesProvider.update!(id, olds, news);
  },
  async delete(id, props) {
    return loadNodeSetRuntime().poolNodesProvider.delete!(id, props);
  },
  async read(id, props) {
    return loadNodeSetRuntime().poolNodesProvider.read!(id, props);
  },
};

export { tenantNodesFieldManager };

/** The field manager of the platform's pool node writes (pool labels and idle taint). */
export const POOL_NODES_FIELD_MANAGER = "leasehold-pools";

/** The claims of a tenant's leases at an instant: each lease in force with its nodes (existing clusters). */
export function leaseClaims(leases: readonly Lease[], at: number): (LeaseClaim & { nodes: string[] })[] {
  return leases
    .filter((l) => inForce(l, at) && (l.placement.nodes ?? []).length > 0)
    .map((l) => ({ lease: l.id, start: isoInstant(Date.parse(l.window.start)), nodes: [...(l.placement.nodes ?? [])] }));
}

/** Arguments of {@link TenantNodes}. */
export interface TenantNodesArgs {
  /** The tenant: the value of the taint and the label on its nodes (a DNS-1123 label). */
  tenant: string;
  /** The tenant's leases; those in force at `at` hold their placement's nodes. */
  leases: readonly Lease[];
  /** The deploy instant, epoch milliseconds. */
  at: number;
  /**
   * A kubeconfig (contents, secret) that may list, get and patch nodes, stored (once) in the state.
   * @default the cluster's ambient kubeconfig, read when the provider runs
   */
  kubeconfig?: pulumi.Input<string>;
}

/**
 * Every node a tenant holds at the deploy instant, as one resource whatever their number: each
 * carries the taint `leasehold.io/tenant=<tenant>:NoExecute`, the labels `leasehold.io/tenant` and
 * `leasehold.io/lease` and the annotation `leasehold.io/lease-start`; a node that leaves the tenant
 * gets the idle taint back and loses the labels. Tenant pods select and tolerate the tenant, so a
 * renewal, an extension or a lease split on the same nodes evicts nothing. A node a lease that
 * starts later holds is never taken (a stale deploy instant), and a release never touches a node
 * another lease took over since (lease/node-ownership.ts). The state holds the lease ids, their
 * starts and the node names: its size grows with the node names only.
 *
 * Writes go to the nodes 16 at a time (LEASEHOLD_NODE_PARALLELISM); a node that cannot be written
 * fails the deploy, naming it, after the others were written; the next deploy finishes the job. A
 * deploy with nothing to change reads the nodes (one LIST) and writes none.
 *
 * A dynamic resource: its type is `pulumi-nodejs:dynamic/leasehold:TenantNodes`, and the engine
 * needs the `pulumi-resource-pulumi-nodejs` plugin (on PATH or next to the `pulumi` binary).
 */
export class TenantNodes extends pulumi.dynamic.Resource {
  /** The tenant. */
  declare public readonly tenant: pulumi.Output<string>;
  /** The leases in force with their nodes, as written. */
  declare public readonly claims: pulumi.Output<LeaseClaim[]>;
  /** Nodes a later lease holds, which this deploy left to it (a stale instant), each with its holder. */
  declare public readonly yielded: pulumi.Output<string[]>;
  /** Whether the nodes were as the claims want at the last write or refresh (false: drift, the next up writes them). */
  declare public readonly conforming: pulumi.Output<boolean>;

  constructor(name: string, args: TenantNodesArgs, opts?: pulumi.CustomResourceOptions) {
    checkArguments("TenantNodes", name, [
      { path: "tenant", value: args.tenant, schema: dnsLabel },
      { path: "leases", value: args.leases, schema: z.array(leaseSchema) },
      deployInstantCheck(args.at),
    ]);
    const props: Record<string, unknown> = {
      tenant: args.tenant,
      fieldManager: tenantNodesFieldManager(args.tenant),
      // Each lease's nodes as one hostlist: a few bytes in the state for thousands of contiguous nodes.
      claims: leaseClaims(args.leases, args.at).map((c) => ({ ...c, nodes: compressHostlist(c.nodes) })),
      yielded: undefined,
      conforming: undefined,
    };
    if (args.kubeconfig !== undefined) props.kubeconfig = pulumi.secret(args.kubeconfig);
    super(
      tenantNodesLoader,
      name,
      props,
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["kubeconfig"] }),
      "leasehold",
      "TenantNodes",
    );
  }
}

/** Arguments of {@link PoolNodes}. */
export interface PoolNodesArgs {
  /** The platform's pools (existing cluster: with their nodes). */
  pools: readonly Pool[];
  /**
   * A kubeconfig (contents, secret) that may list, get and patch nodes. @default the cluster's
   * ambient kubeconfig, read when the provider runs
   */
  kubeconfig?: pulumi.Input<string>;
}

/**
 * Every pool node of an existing cluster, as one resource: the labels `leasehold.io/pool` and
 * `leasehold.io/gpu-type`, and the idle taint `leasehold.io/tenant=:NoExecute` on each node no
 * tenant holds, so an unleased GPU node is closed to every tenant. A node that registers again
 * (and comes back without them) is found by the next deploy, or `preview`, which read the nodes.
 * Destroy removes the pool labels and idle entries only; a tenant's entry stays with its tenant.
 */
export class PoolNodes extends pulumi.dynamic.Resource {
  /** The pools with their nodes, as written. */
  declare public readonly pools: pulumi.Output<PoolNodeSet[]>;
  /** Whether the nodes were as the pools want at the last write or refresh. */
  declare public readonly conforming: pulumi.Output<boolean>;

  constructor(name: string, args: PoolNodesArgs, opts?: pulumi.CustomResourceOptions) {
    checkArguments("PoolNodes", name, [{ path: "pools", value: args.pools, schema: z.array(poolSchema) }]);
    const props: Record<string, unknown> = {
      fieldManager: POOL_NODES_FIELD_MANAGER,
      pools: args.pools
        .filter((p) => (p.nodes ?? []).length > 0)
        .map((p) => ({ pool: p.name, gpuType: p.gpuType, nodes: compressHostlist(p.nodes ?? []) })),
      conforming: undefined,
    };
    if (args.kubeconfig !== undefined) props.kubeconfig = pulumi.secret(args.kubeconfig);
    super(poolNodesLoader, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["kubeconfig"] }), "leasehold", "PoolNodes");
  }
}
