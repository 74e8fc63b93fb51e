import type * as pulumi from "@pulumi/pulumi";
import { LeaseAdmission } from "../components/lease-admission";
import { admissionSettings } from "../lease/admission";
import { poolCapacity } from "../lease/fleet";
import type { PlatformStack } from "../lease/load";
import { providerOf } from "../providers";

/** Options of {@link platformProgram}. */
export interface PlatformProgramOptions {
  /** The cluster's kubeconfig (providers that reach an existing cluster). @default kubernetes:kubeconfig or the ambient kubeconfig */
  kubeconfig?: pulumi.Input<string>;
}

/**
 * The platform stack: the cluster (made or reached by its provider's platform part, as an
 * explicit Kubernetes provider) and the cluster-wide lease admission policy in it. Its outputs
 * are what tenant stacks read: `kubeconfig`, `clusterProvider`, the provider's own, and `pools`
 * (name, GPU type, listed nodes, capacity in GPUs).
 */
export function platformProgram(stack: PlatformStack, opts: PlatformProgramOptions = {}) {
  const cfg = stack.config;
  const pools = cfg.pools.map((p) => ({ name: p.name, gpuType: p.gpuType, nodes: p.nodes ?? [], capacity: poolCapacity(stack, p) }));
  const part = providerOf(cfg.cluster).program().platform(stack, cfg.cluster, opts);
  new LeaseAdmission(
    "lease-admission",
    { settings: admissionSettings(stack.catalog, cfg.cluster, cfg.pools) },
    { provider: part.provider },
  );
  const { kubeconfig, ...rest } = part.outputs;
  return { kubeconfig, clusterProvider: cfg.cluster.provider, ...rest, pools };
}
