import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POD_SECURITY_VERSION, ANNOTATIONS } from "../lease/tenancy";
import { RESERVE_PRIORITY_CLASS, SYSTEM_NAMESPACE } from "../lease/reserve";

/** The field manager the platform's system objects are applied as (stable across deploys). */
export const SYSTEM_FIELD_MANAGER = "leasehold-system";

/**
 * What tenant stacks need of the platform outside tenant namespaces (platform stack): the
 * namespace `leasehold-system`, Pod Security `restricted`, where their leases' reserves run; and
 * the PriorityClass `leasehold-lease-reserve` (1,000,000,000, never a default) those reserves run
 * at. See lease/reserve.ts.
 */
export class LeaseholdSystem extends pulumi.ComponentResource {
  /** The namespace's name. */
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
    super("leasehold:k8s:LeaseholdSystem", name, args, opts);
    const labels = { "app.kubernetes.io/part-of": "leasehold" };
    const annotations = { [ANNOTATIONS.fieldManager]: SYSTEM_FIELD_MANAGER };
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: SYSTEM_NAMESPACE,
          labels: {
            ...labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": POD_SECURITY_VERSION,
          },
          annotations,
        },
      },
      { parent: this },
    );
    new k8s.scheduling.v1.PriorityClass(
      `${name}-reserve-priority`,
      {
        metadata: { name: RESERVE_PRIORITY_CLASS.name, labels, annotations },
        value: RESERVE_PRIORITY_CLASS.value,
        globalDefault: false,
        preemptionPolicy: "PreemptLowerPriority",
        description:
          "leasehold: a lease's reserve, holding the GPUs of its nodes beyond its count (placed before, and preempting, tenant pods)",
      },
      { parent: this },
    );
    this.namespace = ns.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
