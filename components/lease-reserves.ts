import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { gpuTypeSchema, type GpuCatalog } from "../lease/catalog";
import { leaseReserves, reserveDeployment, type LeaseReserve } from "../lease/reserve";
import { leaseSchema, type Lease } from "../lease/schema";
import { ANNOTATIONS, tenantFieldManager } from "../lease/tenancy";
import { tenantName } from "../lease/fields";
import { checkArguments, deployInstantCheck } from "./arguments";

/** Arguments of {@link LeaseReserves}. */
export interface LeaseReservesArgs {
  /** The tenant's name. */
  tenant: string;
  /** All the tenant's leases; those in force at `at` whose count leaves GPUs of their nodes over get a reserve. */
  leases: readonly Lease[];
  /** The platform's GPU catalog (built-in plus its overrides). */
  catalog: GpuCatalog;
  /** The deploy instant, epoch milliseconds. */
  at: number;
}

/**
 * The reserves of a tenant's leases in force (lease/reserve.ts): per lease whose GPU count is not
 * a whole number of nodes, a Deployment in `leasehold-system` whose one pod holds the GPUs of the
 * lease's nodes beyond its count, so the tenant runs on exactly what it leased. The platform stack
 * creates the namespace and the PriorityClass ({@link LeaseholdSystem}). The deploy does not wait
 * for the pods: they run once the scheduler places them (preempting a tenant pod that holds the
 * GPUs, for at most its grace period).
 */
export class LeaseReserves extends pulumi.ComponentResource {
  /** The reserves declared at the deploy instant. */
  public readonly reserves: LeaseReserve[];

  constructor(name: string, args: LeaseReservesArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("LeaseReserves", name, [
      { path: "tenant", value: args.tenant, schema: tenantName },
      { path: "leases", value: args.leases, schema: z.array(leaseSchema) },
      { path: "catalog", value: args.catalog, schema: z.record(z.string(), gpuTypeSchema) },
      deployInstantCheck(args.at),
    ]);
    super("leasehold:k8s:LeaseReserves", name, {}, opts);
    this.reserves = leaseReserves(args.tenant, args.leases, args.catalog, args.at);
    const annotations = { [ANNOTATIONS.fieldManager]: tenantFieldManager(args.tenant), "pulumi.com/skipAwait": "true" };
    for (const r of this.reserves) {
      const d = reserveDeployment(args.tenant, r);
      new k8s.apps.v1.Deployment(
        `${name}-${r.name}`,
        { metadata: { ...d.metadata, annotations }, spec: d.spec },
        { parent: this, deleteBeforeReplace: true },
      );
    }
    this.registerOutputs({});
  }
}
