import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ReportViolation, StackValidationArgs } from "@pulumi/policy";
import type { z } from "zod";
import type { GpuCatalog } from "../lease/catalog";
import type { Contract } from "../lease/contract";
import type { PlatformStack, TenantStack } from "../lease/load";
import type { Problem } from "../lease/problems";
import type { IssueSink, Lease, Pool } from "../lease/schema";

// What a platform provider (`leasehold:cluster.provider`) supplies. Each provider is a folder of
// providers/ with three parts, so that adding one touches that folder and the registry line:
//   index.ts   the contract: config schema, capacity arithmetic, fleet rules (pure, no Pulumi)
//   program.ts its platform and tenant program parts (loaded on first use)
//   policy.ts  its policy checks (loaded on first use)

/** The keys every `leasehold:cluster` has, whatever its provider. */
export interface ClusterBase {
  /** The provider's name, the key of the registry. */
  provider: string;
  /** PriorityClasses tenant pods may name. @default [] */
  tenantPriorityClasses?: string[];
  /** Extended resources tenant pods may request beyond the catalog's accelerators. @default [] */
  tenantExtendedResources?: string[];
}

/** Reports a problem at a path of a tenant stack's config (`["leasehold:leases", 0, "placement"]`). */
export type ReportAt = (path: PropertyKey[], message: string) => void;

/** What {@link PlatformProvider.leaseRules} judges: one lease of a tenant, on its pool (already found, of the lease's GPU type). */
export interface LeaseOnPool {
  /** The tenant stack. */
  tenant: TenantStack;
  /** Its platform stack. */
  platform: PlatformStack;
  /** The lease's pool (the one `placement.pool` names). */
  pool: Pool;
  /** The lease's index in `leasehold:leases`. */
  index: number;
  /** The lease. */
  lease: Lease;
  /** GPUs per node of the pool's type (see `gpusPerNode`). */
  perNode: number;
  /** Where its problems go. */
  report: ReportAt;
}

/** The pure part of a platform provider: its config, arithmetic and rules. */
export interface PlatformProvider<C extends ClusterBase> {
  /** The `provider` value that selects it in `leasehold:cluster`. */
  readonly name: C["provider"];
  /** The schema of `leasehold:cluster` (a strict object whose `provider` is the literal {@link name}). */
  readonly clusterSchema: z.ZodType<C>;
  /** Rules across the keys of `leasehold:cluster`; paths are relative to `leasehold:`. */
  clusterRules(cluster: C, ctx: IssueSink): void;
  /** Rules on the pools under this cluster (holes: pools that failed their own schema); paths relative to `leasehold:`. */
  poolRules(cluster: C, pools: readonly (Pool | undefined)[], catalog: GpuCatalog, ctx: IssueSink): void;
  /**
   * How a pool's capacity is counted. `gpus`: a lease takes the GPUs it leases (its named nodes are
   * kept exclusive by the node sweep). `nodes`: a lease takes whole nodes (a node group of its own).
   */
  readonly capacityUnit: "gpus" | "nodes";
  /** The nodes a pool holds at most: its capacity is this times GPUs per node. */
  poolNodes(pool: Pool): number;
  /**
   * How a lease gets its nodes. `named`: the lease lists nodes of its pool (`placement.nodes`), and
   * `leasehold request` picks free ones. `provisioned`: the tenant stack makes them.
   */
  readonly leaseNodes: "named" | "provisioned";
  /** Rules between a lease and its pool on this platform; returns the nodes the lease holds exclusively, for the node sweep (none: []). */
  leaseRules(on: LeaseOnPool): readonly string[];
  /** Problems of a tenant stack on this platform beyond its leases' rules (names over a target's limits). */
  tenantProblems(tenant: TenantStack, platform: PlatformStack, cluster: C): Problem[];
  /** The platform stack's outputs a tenant stack reads, as placeholders for a run without cluster or cloud (render, unit tests). */
  offlineOutputs(cluster: C): Record<string, unknown>;
  /** Its program parts; loaded on first use (they pull in Pulumi and cloud SDKs). */
  program(): ProviderProgram<C>;
  /** Its policy checks; loaded on first use. */
  policy(): ProviderPolicy;
}

/** What a provider's platform part made: the cluster as a Kubernetes provider, and the stack's outputs besides `pools`. */
export interface PlatformPart {
  /** The Kubernetes provider of the cluster, for the cluster-wide lease admission policy. */
  provider: k8s.Provider;
  /** The stack outputs tenant stacks read; `kubeconfig` (a secret) always. */
  outputs: { kubeconfig: pulumi.Output<string>; [key: string]: unknown };
}

/** What a provider's tenant part receives: the tenant's namespace is made already. */
export interface TenantPartArgs<C extends ClusterBase> {
  /** The tenant stack. */
  stack: TenantStack;
  /** Its platform stack (pools, catalog). */
  platform: PlatformStack;
  /** The platform's `leasehold:cluster`, of this provider. */
  cluster: C;
  /** The deploy instant, epoch milliseconds. */
  at: number;
  /** The StackReference to the platform stack (its outputs: {@link PlatformPart.outputs}). */
  platformRef: pulumi.StackReference;
  /** The cluster's admin kubeconfig (a secret). */
  adminKubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider of the cluster. */
  k8sProvider: k8s.Provider;
  /** The tenant's namespace component: lease resources depend on it. */
  namespace: pulumi.Resource;
  /** The reserves of the tenant's leases (components/lease-reserves.ts): nodes open after them where the provider writes nodes. */
  reserves: pulumi.Resource;
}

/** The program parts of a provider. */
export interface ProviderProgram<C extends ClusterBase> {
  /** The platform stack's cluster (created or reached) and what else the provider needs of it. */
  platform(stack: PlatformStack, cluster: C, opts: { kubeconfig?: pulumi.Input<string> }): PlatformPart;
  /** A tenant stack's leases: their nodes (patched, or node groups made). Returns the stack's outputs besides the namespace's. */
  tenantLeases(args: TenantPartArgs<C>): Record<string, unknown>;
}

/** The policy checks of a provider. */
export interface ProviderPolicy {
  /**
   * The lease node resources this provider's tenant part declares (node patches and taints, node
   * groups) stay within the tenant's leases. Every provider's check runs on every tenant stack,
   * whatever its platform: a program may declare any provider's resources.
   */
  checkLeaseNodes(
    args: StackValidationArgs,
    contract: Contract & Required<Pick<Contract, "tenant">>,
    reportViolation: ReportViolation,
  ): void;
}
