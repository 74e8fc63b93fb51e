import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";

/**
 * Writes a valid fleet of `tenants` tenant stacks with `leasesPerTenant` leases each into `dir`:
 * one existing-cluster platform with 10 pools; every tenant has a node of its own on which its
 * leases follow each other month after month, and tenants on a pool overlap in time.
 */
export function generateFleet(dir: string, tenants: number, leasesPerTenant: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const POOLS = 10;
  const pools = Array.from({ length: POOLS }, (_, p) => ({
    name: `pool-${p}`,
    gpuType: "h100-80gb",
    nodes: Array.from({ length: Math.ceil(tenants / POOLS) }, (_, k) => `node-${k * POOLS + p}`),
  }));
  fs.writeFileSync(
    path.join(dir, "Pulumi.platform-bench.yaml"),
    stringify({ config: { "leasehold:role": "platform", "leasehold:cluster": { provider: "existing" }, "leasehold:pools": pools } }),
  );
  const month = (m: number) => new Date(Date.UTC(2027, m, 1)).toISOString().replace(".000Z", "Z");
  for (let t = 0; t < tenants; t++) {
    const name = `t${t}`;
    const leases = Array.from({ length: leasesPerTenant }, (_, j) => ({
      id: `${name}-l${j}`,
      gpu: { type: "h100-80gb", count: 1 + ((t + j) % 8) },
      window: { start: month(j + (t % 3)), end: month(j + 1 + (t % 3)) },
      placement: { pool: `pool-${t % POOLS}`, nodes: [`node-${t}`] },
      reclaim: { noticeHours: 72 },
    }));
    fs.writeFileSync(
      path.join(dir, `Pulumi.tenant-${name}.yaml`),
      stringify({
        config: {
          "leasehold:role": "tenant",
          "leasehold:platform": "platform-bench",
          "leasehold:tenant": { name, access: { admins: [`${name}:admins`], viewers: [] } },
          "leasehold:leases": leases,
        },
      }),
    );
  }
}

/** `n` Job manifests for tenant acme (restricted, pinned to its H100 lease), as one YAML stream. */
export function generateJobs(n: number): string {
  const docs = [];
  for (let i = 0; i < n; i++) {
    docs.push(
      stringify({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: `train-${i}`, namespace: "acme" },
        spec: {
          parallelism: 1 + (i % 2),
          template: {
            spec: {
              restartPolicy: "Never",
              securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
              nodeSelector: { "leasehold.io/lease": "acme-h100-2026q4" },
              tolerations: [{ key: "leasehold.io/lease", operator: "Equal", value: "acme-h100-2026q4", effect: "NoSchedule" }],
              containers: [
                {
                  name: "train",
                  image: "trainer:1",
                  resources: { limits: { "nvidia.com/gpu": "8" } },
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
              ],
            },
          },
        },
      }),
    );
  }
  return docs.join("---\n");
}
