import { z } from "zod";
import { quantity, positiveInt } from "./fields";

/**
 * The GPU catalog: what one GPU type means for capacity, placement, quotas and reports.
 *
 * Figures come from the vendors' public spec sheets and AWS's instance pages, cited per entry.
 * Prices are list prices per GPU-hour used by `leasehold report`: the AWS on-demand price of the
 * catalog's first instance type in us-east-1 divided by its GPUs. A landlord overrides any of them
 * in the platform stack (`leasehold:gpuTypes`).
 */

/** Per-GPU resource defaults a tenant's quota derives from (resources are scaled by GPUs in force). */
export const perGpuSchema = z.strictObject({
  /** CPU cores per GPU (a Kubernetes quantity). */
  cpu: quantity,
  /** Memory per GPU (a Kubernetes quantity). */
  memory: quantity,
  /** Persistent volume storage per GPU (a Kubernetes quantity). */
  storage: quantity,
  /** Pods per GPU. */
  pods: positiveInt,
});

/** The extended resource whole NVIDIA GPUs are advertised and requested as (the NVIDIA device plugin's). */
export const DEFAULT_GPU_RESOURCE = "nvidia.com/gpu";

/**
 * An extended resource name as Kubernetes validates it: a DNS subdomain prefix, a slash and a
 * name (`nvidia.com/gpu`, `nvidia.com/mig-1g.10gb`, `nvidia.com/gpu.shared`, `amd.com/gpu`).
 */
export const EXTENDED_RESOURCE_NAME =
  /^(?=.{1,253}\/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** One GPU type of the catalog. */
export const gpuTypeSchema = z.strictObject({
  /** GPUs in one node (server or instance) of this type. */
  gpusPerNode: positiveInt,
  /**
   * The extended resource a node of this type advertises and a lease's pods request, counted in
   * `gpusPerNode` units per node: whole GPUs (`nvidia.com/gpu`), a MIG profile
   * (`nvidia.com/mig-1g.10gb`, 7 per A100/H100) or time-sliced shares (`nvidia.com/gpu.shared`).
   * @default "nvidia.com/gpu"
   */
  resource: z
    .string()
    .regex(EXTENDED_RESOURCE_NAME, "expected an extended resource name such as nvidia.com/gpu or nvidia.com/mig-1g.10gb")
    .optional(),
  /** AWS instance types that carry exactly `gpusPerNode` GPUs of this type; the first is the default. */
  instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, "expected an EC2 instance type such as p5.48xlarge")),
  /** Board power of one GPU, in watts (the spec sheet's maximum TDP). */
  boardPowerWatts: z.number().positive(),
  /** List price of one GPU-hour, in US dollars. */
  pricePerGpuHour: z.number().nonnegative(),
  /** What one leased GPU brings to the tenant's quota. */
  perGpu: perGpuSchema,
});

/** One GPU type of the catalog. */
export type GpuType = z.infer<typeof gpuTypeSchema>;
/** A catalog: GPU type name to its facts. */
export type GpuCatalog = Readonly<Record<string, GpuType>>;

/** Pods per GPU for every built-in type: room for sidecars, data loaders and jobs beside the GPU pods. */
const PODS_PER_GPU = 32;

/**
 * The built-in catalog.
 *
 * perGpu.cpu and perGpu.memory are the instance's vCPUs and memory divided by its GPUs, so a lease
 * of a whole node gets the whole node; perGpu.storage is the landlord's default persistent storage
 * allowance per GPU (datasets and checkpoints), sized to the node's local NVMe per GPU.
 */
export const BUILTIN_CATALOG: GpuCatalog = Object.freeze({
  // NVIDIA H100 SXM5 80GB: up to 700 W (NVIDIA H100 Tensor Core GPU datasheet, "Max thermal design power").
  // p5.48xlarge: 8x H100 80GB, 192 vCPU, 2048 GiB, 8x 3.84 TB NVMe (aws.amazon.com/ec2/instance-types/p5/).
  // $55.04/h on demand in us-east-1 after AWS's June 2025 P5 price cut (aws.amazon.com/ec2/pricing/on-demand/).
  "h100-80gb": {
    gpusPerNode: 8,
    instanceTypes: ["p5.48xlarge"],
    boardPowerWatts: 700,
    pricePerGpuHour: 6.88,
    perGpu: { cpu: "24", memory: "256Gi", storage: "3576Gi", pods: PODS_PER_GPU },
  },
  // NVIDIA H200 SXM 141GB: up to 700 W (NVIDIA H200 Tensor Core GPU datasheet, "Max thermal design power").
  // p5en.48xlarge / p5e.48xlarge: 8x H200 141GB, 192 vCPU, 2048 GiB, 8x 3.84 TB NVMe (aws.amazon.com/ec2/instance-types/p5/).
  // p5en: $63.296/h on demand in us-east-1 (aws.amazon.com/ec2/pricing/on-demand/); p5e is sold only as Capacity Blocks.
  "h200-141gb": {
    gpusPerNode: 8,
    instanceTypes: ["p5en.48xlarge", "p5e.48xlarge"],
    boardPowerWatts: 700,
    pricePerGpuHour: 7.91,
    perGpu: { cpu: "24", memory: "256Gi", storage: "3576Gi", pods: PODS_PER_GPU },
  },
  // NVIDIA B200 (HGX B200): up to 1,000 W per GPU (NVIDIA HGX B200 / Blackwell datasheet, "Max thermal design power").
  // p6-b200.48xlarge: 8x B200, 192 vCPU, 2048 GiB, 8x 3.84 TB NVMe (aws.amazon.com/ec2/instance-types/p6/).
  // $113.9328/h on demand in us-east-1 (aws.amazon.com/ec2/pricing/on-demand/).
  b200: {
    gpusPerNode: 8,
    instanceTypes: ["p6-b200.48xlarge"],
    boardPowerWatts: 1000,
    pricePerGpuHour: 14.24,
    perGpu: { cpu: "24", memory: "256Gi", storage: "3576Gi", pods: PODS_PER_GPU },
  },
  // NVIDIA A100 SXM4 80GB: 400 W (NVIDIA A100 Tensor Core GPU datasheet, "Max thermal design power").
  // p4de.24xlarge: 8x A100 80GB, 96 vCPU, 1152 GiB, 8x 1 TB NVMe (aws.amazon.com/ec2/instance-types/p4/).
  // $27.44705/h on demand in us-east-1 after AWS's June 2025 P4 price cut (aws.amazon.com/ec2/pricing/on-demand/).
  "a100-80gb": {
    gpusPerNode: 8,
    instanceTypes: ["p4de.24xlarge"],
    boardPowerWatts: 400,
    pricePerGpuHour: 3.43,
    perGpu: { cpu: "12", memory: "144Gi", storage: "931Gi", pods: PODS_PER_GPU },
  },
  // NVIDIA A100 SXM4 40GB: 400 W (NVIDIA A100 Tensor Core GPU datasheet, "Max thermal design power").
  // p4d.24xlarge: 8x A100 40GB, 96 vCPU, 1152 GiB, 8x 1 TB NVMe (aws.amazon.com/ec2/instance-types/p4/).
  // $21.957642/h on demand in us-east-1 after AWS's June 2025 P4 price cut (aws.amazon.com/ec2/pricing/on-demand/).
  "a100-40gb": {
    gpusPerNode: 8,
    instanceTypes: ["p4d.24xlarge"],
    boardPowerWatts: 400,
    pricePerGpuHour: 2.74,
    perGpu: { cpu: "12", memory: "144Gi", storage: "931Gi", pods: PODS_PER_GPU },
  },
  // NVIDIA L40S: 350 W (NVIDIA L40S datasheet, "Max power consumption").
  // g6e.48xlarge: 8x L40S 48GB, 192 vCPU, 1536 GiB, 7.6 TB NVMe (4x 1.9 TB) (aws.amazon.com/ec2/instance-types/g6e/).
  // $30.13118/h on demand in us-east-1 (aws.amazon.com/ec2/pricing/on-demand/).
  l40s: {
    gpusPerNode: 8,
    instanceTypes: ["g6e.48xlarge"],
    boardPowerWatts: 350,
    pricePerGpuHour: 3.77,
    perGpu: { cpu: "24", memory: "192Gi", storage: "884Gi", pods: PODS_PER_GPU },
  },
  // NVIDIA A10G (AWS-only A10 variant): neither AWS nor NVIDIA publishes its power; 150 W is the A10 datasheet figure.
  // g5.48xlarge: 8x A10G 24GB, 192 vCPU, 768 GiB, 7.6 TB NVMe (2x 3.8 TB) (aws.amazon.com/ec2/instance-types/g5/).
  // $16.288/h on demand in us-east-1 (aws.amazon.com/ec2/pricing/on-demand/).
  a10g: {
    gpusPerNode: 8,
    instanceTypes: ["g5.48xlarge"],
    boardPowerWatts: 150,
    pricePerGpuHour: 2.04,
    perGpu: { cpu: "24", memory: "96Gi", storage: "884Gi", pods: PODS_PER_GPU },
  },
});

/** The built-in catalog with a platform's additions and overrides (an override may give only some fields). */
export function mergeCatalog(overrides: Record<string, PartialGpuType> | undefined): GpuCatalog {
  if (!overrides) return BUILTIN_CATALOG;
  const out: Record<string, GpuType> = { ...BUILTIN_CATALOG };
  for (const [name, o] of Object.entries(overrides)) {
    const base = BUILTIN_CATALOG[name];
    out[name] = base ? { ...base, ...o, perGpu: { ...base.perGpu, ...o.perGpu } } : (o as GpuType);
  }
  return Object.freeze(out);
}

/** The extended resource a GPU type is requested as (its `resource`, else `nvidia.com/gpu`). */
export function gpuResourceOf(t: Pick<GpuType, "resource"> | undefined): string {
  return t?.resource ?? DEFAULT_GPU_RESOURCE;
}

/**
 * Every accelerator resource a platform's pools may advertise: the resources of its catalog's
 * types, `nvidia.com/gpu` always first (sorted after it). Each gets a quota in every tenant
 * namespace; any other accelerator-like resource is refused.
 */
export function acceleratorResources(catalog: GpuCatalog): string[] {
  const names = new Set(Object.values(catalog).map((t) => gpuResourceOf(t)));
  names.delete(DEFAULT_GPU_RESOURCE);
  return [DEFAULT_GPU_RESOURCE, ...[...names].sort()];
}

/** An override of a built-in type: any subset of its fields. */
export const partialGpuTypeSchema = gpuTypeSchema.extend({ perGpu: perGpuSchema.partial() }).partial();
/** An override of a built-in type: any subset of its fields. */
export type PartialGpuType = z.infer<typeof partialGpuTypeSchema>;

/**
 * GPUs per node of a catalog type. A type the catalog lacks counts as one GPU per node: loading
 * refuses pools and leases of such a type, so only a hand-written policy contract can reach this.
 */
export function gpusPerNode(catalog: GpuCatalog, type: string): number {
  return catalog[type]?.gpusPerNode ?? 1;
}

/** The whole nodes that hold `gpus` GPUs at `perNode` GPUs per node: ⌈gpus / perNode⌉ (12 GPUs on 8-GPU nodes: 2). */
export function nodesFor(gpus: number, perNode: number): number {
  return Math.ceil(gpus / perNode);
}

/** The whole nodes a lease of `gpus` GPUs of `type` needs ({@link nodesFor} with {@link gpusPerNode}). */
export function leaseNodesNeeded(catalog: GpuCatalog, type: string, gpus: number): number {
  return nodesFor(gpus, gpusPerNode(catalog, type));
}
