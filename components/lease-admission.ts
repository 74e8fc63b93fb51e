import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  configAdmission,
  DEFAULT_ADMISSION_SETTINGS,
  podAdmission,
  podDeletionAdmission,
  serviceAdmission,
  type AdmissionCel,
  type AdmissionSettings,
} from "../lease/admission";
import { ANNOTATIONS, LABELS } from "../lease/tenancy";

/** The pod policy's name (and its binding's). */
export const ADMISSION_POLICY_NAME = "leasehold-lease-pinning";
/** The service policy's name (and its binding's). */
export const SERVICE_POLICY_NAME = "leasehold-tenant-services";
/** The config policy's name (and its binding's): ConfigMap and Secret keys. */
export const CONFIG_POLICY_NAME = "leasehold-tenant-config";
/** The deletion policy's name (and its binding's): grace periods of pod deletions. */
export const DELETION_POLICY_NAME = "leasehold-pod-deletion";
/** The field manager the admission objects are applied as (stable across deploys). */
export const ADMISSION_FIELD_MANAGER = "leasehold-admission";

/** Arguments of {@link LeaseAdmission}. */
export interface LeaseAdmissionArgs {
  /** The platform's accelerator resources and the PriorityClasses tenants may use. @default built-in catalog, no PriorityClass */
  settings?: AdmissionSettings;
}

/**
 * The lease contract at runtime, cluster-wide (platform stack): ValidatingAdmissionPolicies bound
 * to every tenant namespace. Pods are refused when they do not select one of their tenant's
 * leases in force, tolerate another lease's taint or everything (on create, and for every
 * toleration an update appends), bypass the scheduler, request accelerators while the tenant has
 * no lease in force or any accelerator the platform does not lease, set the NVIDIA device
 * variables, use a PriorityClass not granted to tenants, or ask for a termination grace period
 * beyond the bound, use DRA resource claims, or tolerate a landlord's taint. Services are refused
 * `externalIPs`; ConfigMaps and Secrets keys named like an NVIDIA device variable.
 */
export class LeaseAdmission extends pulumi.ComponentResource {
  /** The pod policy's name. */
  public readonly policyName: pulumi.Output<string>;

  constructor(name: string, args: LeaseAdmissionArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("leasehold:k8s:LeaseAdmission", name, {}, opts);
    const settings = args.settings ?? DEFAULT_ADMISSION_SETTINGS;
    const labels = { "app.kubernetes.io/part-of": "leasehold" };
    const annotations = { [ANNOTATIONS.fieldManager]: ADMISSION_FIELD_MANAGER };
    const policy = (
      child: string,
      policyName: string,
      resources: string[],
      cel: AdmissionCel,
      operations = ["CREATE", "UPDATE"],
      more: { resources: string[]; operations: string[] }[] = [],
    ) => {
      const p = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        `${name}-${child}`,
        {
          metadata: { name: policyName, labels, annotations },
          spec: {
            failurePolicy: "Fail",
            matchConstraints: {
              resourceRules: [{ operations, resources }, ...more].map((r) => ({ apiGroups: [""], apiVersions: ["v1"], ...r })),
            },
            ...(cel.variables.length > 0 ? { variables: cel.variables } : {}),
            validations: cel.validations,
          },
        },
        { parent: this },
      );
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${name}-${child === "policy" ? "binding" : `${child}-binding`}`,
        {
          metadata: { name: policyName, labels, annotations },
          spec: {
            policyName,
            validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchExpressions: [{ key: LABELS.tenant, operator: "Exists" }] } },
          },
        },
        { parent: this, dependsOn: [p] },
      );
      return p;
    };
    // Child names are kept from before the service policy existed: a rename would replace them.
    // pods/ephemeralcontainers too: `kubectl debug` adds containers through it.
    const pods = policy("policy", ADMISSION_POLICY_NAME, ["pods", "pods/ephemeralcontainers"], podAdmission(settings));
    policy("services", SERVICE_POLICY_NAME, ["services"], serviceAdmission());
    policy("config", CONFIG_POLICY_NAME, ["configmaps", "secrets"], configAdmission());
    // Evictions too (pods/eviction, CREATE): Kubernetes' edit and admin roles grant them.
    policy(
      "deletion",
      DELETION_POLICY_NAME,
      ["pods"],
      podDeletionAdmission(),
      ["DELETE"],
      [{ resources: ["pods/eviction"], operations: ["CREATE"] }],
    );
    this.policyName = pods.metadata.name;
    this.registerOutputs({ policyName: this.policyName });
  }
}
