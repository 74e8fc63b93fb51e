import type * as pulumi from "@pulumi/pulumi";
import { LeaseAdmission } from "../components/lease-admission";
import { LeaseholdSystem } from "../components/leasehold-system";
import { admissionSettings } from "../lease/admission";
import { poolCapacity } from "../lease/fleet";
import { compressHostlist } from "../lease/hostlist";
import type { PlatformStack } from "../lease/load";
import { providerOf } from "../providers";

/** Options of {@link platformProgram}. */
export interface PlatformProgramOptions {
  /** The cluster's kubeconfig (providers that reach an existing cluster). @default kubernetes:kubeconfig or the ambient kubeconfig */
  kubeconfig?: pulumi.Input<string>;
}

/**
 * The platform stack: the cluster (made or reached by its provider's platform part, as an
 * explicit Kubernetes provider), the cluster-wide lease admission policy in it, and the
 * `leasehold-system` namespace and PriorityClass of lease reserves. Its outputs
 * are what tenant stacks read: `kubeconfig`, `clusterProvider`, the provider's own, and `pools`
 * (name, GPU type, listed nodes as one hostlist, capacity in GPUs).
 */
export function platformProgram(stack: PlatformStack, opts: PlatformProgramOptions = {}) {
  const cfg = stack.config;
  // Nodes as one hostlist: every tenant's StackReference copies these outputs into its own state,
  // so a pool of 10,000 names as a list put about 490 KB into each tenant's checkpoint.
  const pools = cfg.pools.map((p) => ({
    name: p.name,
    gpuType: p.gpuType,
    nodes: compressHostlist(p.nodes ?? []),
    capacity: poolCapacity(stack, p),
  }));
  const part = providerOf(cfg.cluster).program().platform(stack, cfg.cluster, opts);
  new LeaseAdmission(
    "lease-admission",
    { settings: admissionSettings(stack.catalog, cfg.cluster, cfg.pools) },
    { provider: part.provider },
  );
  new LeaseholdSystem("leasehold-system", {}, { provider: part.provider });
  const { kubeconfig, ...rest } = part.outputs;
  return { kubeconfig, clusterProvider: cfg.cluster.provider, ...rest, pools };
}
