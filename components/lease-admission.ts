import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ADMISSION_VALIDATIONS, ADMISSION_VARIABLES } from "../lease/admission";
import { ANNOTATIONS, LABELS } from "../lease/tenancy";

/** The cluster-wide objects' names. */
export const ADMISSION_POLICY_NAME = "leasehold-lease-pinning";
/** The field manager the admission objects are applied as (stable across deploys). */
export const ADMISSION_FIELD_MANAGER = "leasehold-admission";

/**
 * Lease pinning at runtime, cluster-wide (platform stack): a ValidatingAdmissionPolicy, bound to
 * every tenant namespace, refusing pods that do not select one of their tenant's leases in force,
 * that tolerate another lease's taint or everything, that bypass the scheduler, or that request
 * GPUs while the tenant has no lease in force.
 */
export class LeaseAdmission extends pulumi.ComponentResource {
  /** The policy's name. */
  public readonly policyName: pulumi.Output<string>;

  constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
    super("leasehold:k8s:LeaseAdmission", name, args, opts);
    const labels = { "app.kubernetes.io/part-of": "leasehold" };
    const annotations = { [ANNOTATIONS.fieldManager]: ADMISSION_FIELD_MANAGER };
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-policy`,
      {
        metadata: { name: ADMISSION_POLICY_NAME, labels, annotations },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
          },
          variables: ADMISSION_VARIABLES,
          validations: ADMISSION_VALIDATIONS,
        },
      },
      { parent: this },
    );
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-binding`,
      {
        metadata: { name: ADMISSION_POLICY_NAME, labels, annotations },
        spec: {
          policyName: ADMISSION_POLICY_NAME,
          validationActions: ["Deny"],
          matchResources: { namespaceSelector: { matchExpressions: [{ key: LABELS.tenant, operator: "Exists" }] } },
        },
      },
      { parent: this, dependsOn: [policy] },
    );
    this.policyName = policy.metadata.name;
    this.registerOutputs({ policyName: this.policyName });
  }
}
