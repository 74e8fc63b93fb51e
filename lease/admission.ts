import { acceleratorResources, DEFAULT_GPU_RESOURCE, type GpuCatalog } from "./catalog";
import { LABELS, LEASE_IN_FORCE_VALUE, LEGACY_LEASE_TAINT_KEY, TENANT_TAINT_KEY } from "./tenancy";

// The runtime half of the lease contract: CEL for the ValidatingAdmissionPolicies on tenant
// namespaces. The leases in force of a tenant are labels of its namespace
// (`lease.leasehold.io/<id>: in-force`, written by the tenant stack, which tenants cannot change),
// so one cluster-wide policy serves every tenant and needs no parameter objects. What differs per
// platform (the accelerator resources its catalog declares, the PriorityClasses tenants may use)
// is written into the expressions as literals.
//
// The policies run after the mutating admission plugins, so they see a pod as it will be stored:
// with the LimitRange's defaults filled in (every declared accelerator at "0" unless asked for)
// and the Priority plugin's class. Quantities reach CEL in their canonical form ("0", "8").
//
// The expressions avoid CEL's optional syntax (`?.`, `[?]`) so that they read the same in every
// CEL implementation; `has()` guards each optional field.

/** What the policy needs to know of the platform. */
export interface AdmissionSettings {
  /** Accelerator resources the platform's pools advertise (catalog `resource`s); each has a quota. @default ["nvidia.com/gpu"] */
  accelerators: readonly string[];
  /**
   * Other extended resources (names with a `/`) tenant pods may request: EFA on EFA pools, and the
   * platform's `tenantExtendedResources`. Any extended resource neither here nor in `accelerators`
   * is refused (an allowlist: a device nobody counts would be free). @default []
   */
  extendedResources: readonly string[];
  /** PriorityClasses tenant pods may name; no other (the `system-` classes never). @default [] */
  priorityClasses: readonly string[];
}

/** The settings of a platform that declares nothing beyond the built-in catalog. */
export const DEFAULT_ADMISSION_SETTINGS: AdmissionSettings = {
  accelerators: [DEFAULT_GPU_RESOURCE],
  extendedResources: [],
  priorityClasses: [],
};

/** The extended resource of the EFA device plugin (AWS), which EFA pools advertise. */
export const EFA_RESOURCE = "vpc.amazonaws.com/efa";

/**
 * A platform's settings: its catalog's accelerator resources, EFA when a pool has it,
 * `leasehold:cluster.tenantExtendedResources` and `leasehold:cluster.tenantPriorityClasses`.
 */
export function admissionSettings(
  catalog: GpuCatalog,
  cluster: { tenantPriorityClasses?: readonly string[]; tenantExtendedResources?: readonly string[] },
  pools: readonly { efa?: boolean }[] = [],
): AdmissionSettings {
  const extra = new Set(cluster.tenantExtendedResources ?? []);
  if (pools.some((p) => p.efa)) extra.add(EFA_RESOURCE);
  return {
    accelerators: acceleratorResources(catalog),
    extendedResources: [...extra].sort(),
    priorityClasses: [...(cluster.tenantPriorityClasses ?? [])],
  };
}

/**
 * The users the DaemonSet controller creates pods as: its own ServiceAccount when the controller
 * manager runs with `--use-service-account-credentials` (kubeadm, EKS and the local cluster do),
 * else the controller manager itself.
 */
export const DAEMONSET_CONTROLLER_USERS = [
  "system:serviceaccount:kube-system:daemon-set-controller",
  "system:kube-controller-manager",
] as const;

/**
 * Kubernetes' own node-condition tolerations a tenant pod may carry, NoExecute, for at most
 * MAX_TERMINATION_GRACE_SECONDS (DefaultTolerationSeconds adds them with 300).
 */
export const NODE_CONDITION_TOLERATIONS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] as const;

/**
 * The tolerations the DaemonSet controller adds to every pod it creates (pkg/controller/daemon/util:
 * AddOrUpdateDaemonPodTolerations), which its pods may carry unbounded. Not `out-of-service`, the
 * landlord's non-graceful shutdown.
 */
export const DAEMONSET_TOLERATIONS = [
  "node.kubernetes.io/not-ready",
  "node.kubernetes.io/unreachable",
  "node.kubernetes.io/disk-pressure",
  "node.kubernetes.io/memory-pressure",
  "node.kubernetes.io/pid-pressure",
  "node.kubernetes.io/unschedulable",
  "node.kubernetes.io/network-unavailable",
] as const;

/**
 * The prefix of the environment variables a tenant container may not set: the NVIDIA container
 * toolkit reads `NVIDIA_*` from a container's environment to decide which devices to inject
 * (`NVIDIA_VISIBLE_DEVICES`, `NVIDIA_DRIVER_CAPABILITIES`, MIG management, `NVIDIA_IMEX_CHANNELS`,
 * `NVIDIA_NVSWITCH`, `NVIDIA_GDS`, `NVIDIA_MOFED`, `NVIDIA_GDRCOPY`, ...), devices the pod never
 * requested as resources. A prefix, not a list: the toolkit adds variables over time.
 */
export const FORBIDDEN_ENV_PREFIX = "NVIDIA_";

/** True for an environment variable name a tenant may not set ({@link FORBIDDEN_ENV_PREFIX}). */
export function forbiddenEnvName(name: string): boolean {
  return name.startsWith(FORBIDDEN_ENV_PREFIX);
}

/** True for an envFrom prefix under which some key could spell a forbidden name. */
export function forbiddenEnvPrefix(prefix: string): boolean {
  return prefix !== "" && (FORBIDDEN_ENV_PREFIX.startsWith(prefix) || prefix.startsWith(FORBIDDEN_ENV_PREFIX));
}

/**
 * The longest `terminationGracePeriodSeconds` a tenant pod may ask for, in seconds: a pod taken off
 * a node at the end of its lease keeps its GPUs until it has shut down, so this bounds how long a
 * lease's compute outlives it.
 */
export const MAX_TERMINATION_GRACE_SECONDS = 300;

/** One validation of a policy: a CEL expression that must hold, and the message when it does not. */
export interface AdmissionValidation {
  /** The CEL expression that must be true for the request to be admitted. */
  expression: string;
  /** A CEL expression giving the refusal's message, a string. */
  messageExpression: string;
  /** The refusal's reason: `Forbidden` (HTTP 403) or `Invalid` (HTTP 422), as the API server answers. */
  reason: "Forbidden" | "Invalid";
}

/** A ValidatingAdmissionPolicy's CEL: named sub-expressions, then the validations in the order the API server reports them. */
export interface AdmissionCel {
  /** Named CEL sub-expressions (`variables.<name>` in the others), each able to use the ones before it. */
  variables: { name: string; expression: string }[];
  /** The validations, every one of which must hold. */
  validations: AdmissionValidation[];
}

const NS_LABELS = "namespaceObject.metadata.labels";
// Only the value `in-force` counts: a label `lease.leasehold.io/<id>: ended` (or `false`) names a lease that is not.
const owns = (leaseExpr: string) =>
  `(has(namespaceObject.metadata.labels) && ('${LABELS.leaseInForcePrefix}' + ${leaseExpr}) in ${NS_LABELS} && ${NS_LABELS}['${LABELS.leaseInForcePrefix}' + ${leaseExpr}] == '${LEASE_IN_FORCE_VALUE}')`;
const celList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(", ")}]`;
const TENANT = `(has(namespaceObject.metadata.labels) && '${LABELS.tenant}' in ${NS_LABELS} ? ${NS_LABELS}['${LABELS.tenant}'] : namespaceObject.metadata.name)`;
const selectorOf = (pod: string, key: string = LABELS.lease) =>
  `has(${pod}.spec.nodeSelector) && '${key}' in ${pod}.spec.nodeSelector ? ${pod}.spec.nodeSelector['${key}'] : ''`;
const termsOf = (pod: string) =>
  `has(${pod}.spec.affinity) && has(${pod}.spec.affinity.nodeAffinity) && has(${pod}.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) ? ${pod}.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms : []`;
/** The terms of `object.spec.affinity.<kind>` (podAffinity, podAntiAffinity): required, and the preferred ones' podAffinityTerm. */
const podAffinityTermsOf = (kind: string) => {
  const a = `object.spec.affinity.${kind}`;
  const has = `has(object.spec.affinity) && has(${a})`;
  return `(${has} && has(${a}.requiredDuringSchedulingIgnoredDuringExecution) ? ${a}.requiredDuringSchedulingIgnoredDuringExecution : []) + (${has} && has(${a}.preferredDuringSchedulingIgnoredDuringExecution) ? ${a}.preferredDuringSchedulingIgnoredDuringExecution.map(w, w.podAffinityTerm) : [])`;
};
/**
 * A toleration a tenant pod may carry: its own tenant's taint while it has a lease in force (and,
 * from earlier versions, a lease in force of its own by the lease key); an accelerator's key (the
 * ExtendedResourceToleration plugin adds those to pods that request it); Kubernetes' not-ready
 * and unreachable for at most 300 s (DefaultTolerationSeconds); and, in pods the DaemonSet
 * controller creates, the node.kubernetes.io/ tolerations it adds. Nothing else: a tenant that
 * tolerated a cordon, a GPU-health or a maintenance taint would defeat the landlord's.
 */
const tolerationAllowed = (t: string, acc: string) =>
  `has(${t}.key) && ${t}.key != '' && ((${t}.key == '${TENANT_TAINT_KEY}' && has(${t}.value) && ${t}.value == ${TENANT} && variables.hasLeaseInForce) || (${t}.key == '${LEGACY_LEASE_TAINT_KEY}' && has(${t}.value) && ${owns(`${t}.value`)}) || (${t}.key in ${acc} && has(${t}.effect) && ${t}.effect == 'NoSchedule') || (${t}.key in ${celList(NODE_CONDITION_TOLERATIONS)} && has(${t}.effect) && ${t}.effect == 'NoExecute' && has(${t}.tolerationSeconds) && ${t}.tolerationSeconds <= ${MAX_TERMINATION_GRACE_SECONDS}) || (variables.byDaemonSetController && ${t}.key in ${celList(DAEMONSET_TOLERATIONS)}))`;

/** The lease pinning policy on pods in tenant namespaces, for a platform with these settings. */
export function podAdmission(settings: AdmissionSettings = DEFAULT_ADMISSION_SETTINGS): AdmissionCel {
  const acc = celList(settings.accelerators);
  const allowed = celList([...settings.accelerators, ...settings.extendedResources]);
  const asks = (m: string) => `(has(c.resources.${m}) && c.resources.${m}.exists(k, k in ${acc} && c.resources.${m}[k] != '0'))`;
  // Extended resources (a name with a domain: nvidia.com/gpu, amd.com/GPU, cloud-tpus.google.com/v3)
  // are an allowlist; native ones (cpu, memory, ephemeral-storage, hugepages-*) have no slash.
  const declared = (m: string) => `(!has(c.resources.${m}) || c.resources.${m}.all(k, !k.contains('/') || k in ${allowed}))`;
  const noForbiddenEnv = (c: string) =>
    `(!has(${c}.env) || ${c}.env.all(e, !e.name.startsWith('${FORBIDDEN_ENV_PREFIX}'))) && (!has(${c}.envFrom) || ${c}.envFrom.all(e, !has(e.prefix) || e.prefix == '' || !('${FORBIDDEN_ENV_PREFIX}'.startsWith(e.prefix) || e.prefix.startsWith('${FORBIDDEN_ENV_PREFIX}'))))`;
  const variables = [
    { name: "byDaemonSetController", expression: `request.userInfo.username in ${celList(DAEMONSET_CONTROLLER_USERS)}` },
    {
      name: "hasLeaseInForce",
      expression: `has(namespaceObject.metadata.labels) && ${NS_LABELS}.exists(k, k.startsWith('${LABELS.leaseInForcePrefix}') && ${NS_LABELS}[k] == '${LEASE_IN_FORCE_VALUE}')`,
    },
    {
      name: "containers",
      // Ephemeral containers are of another type and are judged apart (their variables): tenants
      // are not granted the pods/ephemeralcontainers subresource, a landlord's `kubectl debug` is.
      expression: "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])",
    },
    // Any declared accelerator asked for (the LimitRange gives every container "0" of each).
    { name: "requestsGpu", expression: `variables.containers.exists(c, has(c.resources) && (${asks("limits")} || ${asks("requests")}))` },
    { name: "selectorLease", expression: selectorOf("object") },
    { name: "selectorTenant", expression: selectorOf("object", LABELS.tenant) },
    { name: "affinityTerms", expression: termsOf("object") },
    // The scheduling fields are those of the pod before the update (nodeSelector and affinity
    // may change on a pod only while it has scheduling gates).
    {
      name: "schedulingUnchanged",
      expression: `request.operation == 'UPDATE' && variables.selectorLease == (${selectorOf("oldObject")}) && variables.selectorTenant == (${selectorOf("oldObject", LABELS.tenant)}) && variables.affinityTerms == (${termsOf("oldObject")})`,
    },
    // Every pod (anti-)affinity term, required and preferred.
    { name: "podAffinityTerms", expression: `${podAffinityTermsOf("podAffinity")} + ${podAffinityTermsOf("podAntiAffinity")}` },
    // An update that removes a pod's last scheduling gate makes it schedulable: it is judged as a
    // new pod, against the leases in force now (its lease may have ended while it waited).
    {
      name: "ungated",
      expression:
        "request.operation == 'UPDATE' && has(oldObject.spec.schedulingGates) && size(oldObject.spec.schedulingGates) > 0 && (!has(object.spec.schedulingGates) || size(object.spec.schedulingGates) == 0)",
    },
  ];
  const validations: AdmissionValidation[] = [
    {
      // GPUs only under a lease in force.
      expression: "(request.operation != 'CREATE' && !variables.ungated) || !variables.requestsGpu || variables.hasLeaseInForce",
      messageExpression: `'pod requests ${settings.accelerators.join(" or ")} but tenant ' + ${TENANT} + ' has no lease in force'`,
      reason: "Forbidden",
    },
    {
      // Pinning: every way the pod names a tenant or a lease must name its own tenant or one of
      // its leases in force, and a pod that asks for an accelerator must name one (a CPU-only pod
      // need not: it runs on the landlord's non-pool nodes, every pool node being tainted).
      // Checked on CREATE and on every UPDATE that changes the scheduling fields.
      expression: [
        "(variables.schedulingUnchanged && !variables.ungated)",
        "(" +
          [
            `(variables.selectorLease == '' || ${owns("variables.selectorLease")})`,
            `(variables.selectorTenant == '' || variables.selectorTenant == ${TENANT})`,
            `variables.affinityTerms.all(t, !has(t.matchExpressions) || t.matchExpressions.all(e, (e.key != '${LABELS.lease}' || (e.operator == 'In' && e.values.all(v, ${owns("v")}))) && (e.key != '${LABELS.tenant}' || (e.operator == 'In' && e.values.all(v, v == ${TENANT})))))`,
            `(!variables.requestsGpu || !variables.hasLeaseInForce || variables.selectorLease != '' || variables.selectorTenant != '' || (size(variables.affinityTerms) > 0 && variables.affinityTerms.all(t, has(t.matchExpressions) && t.matchExpressions.exists(e, (e.key == '${LABELS.lease}' || e.key == '${LABELS.tenant}') && e.operator == 'In' && size(e.values) > 0))))`,
          ].join(" && ") +
          ")",
      ].join(" || "),
      messageExpression: `'pod must select its tenant ' + ${TENANT} + ' (nodeSelector ${LABELS.tenant}) or one of its leases in force (${LABELS.lease}), with nodeSelector or a required node affinity'`,
      reason: "Forbidden",
    },
    {
      // No toleration of another lease's taint, and no catch-all toleration. On an update, every
      // toleration not already on the pod (tolerations can only be appended) passes the same rule;
      // those it had pass as they are (a pod of a lease that has ended can still be updated).
      expression: `!has(object.spec.tolerations) || object.spec.tolerations.all(t, (request.operation == 'UPDATE' && !variables.ungated && has(oldObject.spec.tolerations) && t in oldObject.spec.tolerations) || (${tolerationAllowed("t", acc)}))`,
      messageExpression: `'pod may tolerate only its own tenant\\'s taint ${TENANT_TAINT_KEY}=' + ${TENANT} + ' while a lease is in force, and no catch-all toleration (nor a landlord\\'s taint: only ${NODE_CONDITION_TOLERATIONS.join(" and ")} for at most ${MAX_TERMINATION_GRACE_SECONDS} s)'`,
      reason: "Forbidden",
    },
    {
      // spec.nodeName skips the scheduler, and with it every taint and selector.
      expression: "request.operation != 'CREATE' || !has(object.spec.nodeName) || object.spec.nodeName == ''",
      messageExpression: "'pod must not set spec.nodeName in a tenant namespace: the scheduler places pods on leased nodes'",
      reason: "Forbidden",
    },
    {
      // Pod (anti-)affinity across namespaces: one tenant pod with a required anti-affinity to
      // every namespace's pods keeps others' pods off its node, and an affinity probes whether
      // another tenant runs a pod with some label. A term may match its own namespace's pods
      // only (no namespaceSelector, no other namespace named). Pod affinity cannot change on an
      // existing pod: judged on create.
      expression:
        "request.operation != 'CREATE' || variables.podAffinityTerms.all(t, !has(t.namespaceSelector) && (!has(t.namespaces) || t.namespaces.all(n, n == namespaceObject.metadata.name)))",
      messageExpression:
        "'pod affinity and anti-affinity in a tenant namespace may match only that namespace\\'s pods (no namespaceSelector, no other namespace in namespaces): across namespaces a tenant could keep others\\' pods off a node, or learn what runs there'",
      reason: "Forbidden",
    },
    {
      // An accelerator no quota counts would be free: only the platform's are allowed.
      expression: `variables.containers.all(c, !has(c.resources) || (${declared("limits")} && ${declared("requests")}))`,
      messageExpression: `'pod requests an extended resource the platform does not lease; leased accelerators are: ${settings.accelerators.join(", ")}${settings.extendedResources.length > 0 ? `; other extended resources allowed: ${settings.extendedResources.join(", ")}` : ""}'`,
      reason: "Forbidden",
    },
    {
      // env, and envFrom whose prefix could spell one (ConfigMap and Secret keys that are one are
      // refused by the config policy); ephemeral containers too (pods/ephemeralcontainers).
      expression: `variables.containers.all(c, ${noForbiddenEnv("c")}) && (!has(object.spec.ephemeralContainers) || object.spec.ephemeralContainers.all(c, ${noForbiddenEnv("c")}))`,
      messageExpression: `'a container sets an ${FORBIDDEN_ENV_PREFIX}* variable (by env, or envFrom with a prefix that could spell one), which the NVIDIA container toolkit reads to inject devices; GPUs are requested as resources only'`,
      reason: "Forbidden",
    },
    {
      expression: `!has(object.spec.priorityClassName) || object.spec.priorityClassName == '' || object.spec.priorityClassName in ${celList(settings.priorityClasses)}`,
      messageExpression: `'pod uses PriorityClass ' + object.spec.priorityClassName + '; tenant pods may use ${settings.priorityClasses.length > 0 ? settings.priorityClasses.join(", ") : "none"}'`,
      reason: "Forbidden",
    },
    {
      // Dynamic resource allocation: devices no quota or lease taint of leasehold's would see.
      expression: "!has(object.spec.resourceClaims) || size(object.spec.resourceClaims) == 0",
      messageExpression: "'pod uses DRA resource claims; devices are leased as extended resources (nvidia.com/gpu) only'",
      reason: "Forbidden",
    },
    {
      expression: `!has(object.spec.terminationGracePeriodSeconds) || object.spec.terminationGracePeriodSeconds <= ${MAX_TERMINATION_GRACE_SECONDS}`,
      messageExpression: `'pod asks for terminationGracePeriodSeconds ' + string(object.spec.terminationGracePeriodSeconds) + '; at most ${MAX_TERMINATION_GRACE_SECONDS} in a tenant namespace, so a lease that ends takes its GPUs back within that'`,
      reason: "Forbidden",
    },
  ];
  return { variables, validations };
}

/**
 * The service policy on tenant namespaces: no `spec.externalIPs` (CVE-2020-8554: with kube-proxy,
 * a Service's external IPs capture traffic to those addresses from every pod and node).
 */
export function serviceAdmission(): AdmissionCel {
  return {
    variables: [],
    validations: [
      {
        // An ExternalName Service lets an ingress controller (or any proxy that follows it) reach
        // any address from outside the tenant's network policies: cloud metadata, internal names.
        expression: "!has(object.spec.type) || object.spec.type != 'ExternalName'",
        messageExpression:
          "'Service ' + object.metadata.name + ' is of type ExternalName, which a proxy outside the tenant namespace would follow to any address (cloud metadata, internal names); tenants may not'",
        reason: "Forbidden",
      },
      {
        expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
        messageExpression:
          "'Service ' + object.metadata.name + ' sets spec.externalIPs, which would capture traffic to those addresses cluster-wide (CVE-2020-8554); tenants may not'",
        reason: "Forbidden",
      },
    ],
  };
}

/**
 * The config policy on tenant namespaces: no ConfigMap or Secret key named like an NVIDIA device
 * variable, so `envFrom` cannot bring one into a container (the pod policy refuses prefixes that
 * could spell one).
 */
export function configAdmission(): AdmissionCel {
  const keysOk = (field: string) => `(!has(object.${field}) || !object.${field}.exists(k, k.startsWith('${FORBIDDEN_ENV_PREFIX}')))`;
  return {
    variables: [],
    validations: [
      {
        expression: `${keysOk("data")} && ${keysOk("binaryData")}`,
        messageExpression: `object.kind + ' ' + object.metadata.name + ' has a key named like an NVIDIA device variable (${FORBIDDEN_ENV_PREFIX}*), which envFrom would put in a container; tenants may not'`,
        reason: "Forbidden",
      },
    ],
  };
}

/**
 * The deletion policy on tenant pods: no delete request, and no eviction (`pods/eviction`, which
 * Kubernetes' `edit` and `admin` roles grant), with a grace period beyond the bound. The
 * taint-eviction controller deletes with the pod's own grace period, but a pod already deleted
 * keeps the grace period of its first delete, so a tenant that deleted or evicted its pods with a
 * long one ahead of a reclaim would keep the lease's GPUs that long.
 */
export function podDeletionAdmission(): AdmissionCel {
  const grace =
    "((has(request.subResource) && request.subResource == 'eviction') ? (has(object.deleteOptions) && has(object.deleteOptions.gracePeriodSeconds) ? object.deleteOptions.gracePeriodSeconds : 0) : (request.options != null && has(request.options.gracePeriodSeconds) ? request.options.gracePeriodSeconds : 0))";
  return {
    variables: [{ name: "gracePeriodSeconds", expression: grace }],
    validations: [
      {
        expression: `variables.gracePeriodSeconds <= ${MAX_TERMINATION_GRACE_SECONDS}`,
        messageExpression: `((has(request.subResource) && request.subResource == 'eviction') ? 'an eviction' : 'a delete') + ' with gracePeriodSeconds ' + string(variables.gracePeriodSeconds) + '; at most ${MAX_TERMINATION_GRACE_SECONDS} in a tenant namespace, so a lease that ends takes its GPUs back within that'`,
        reason: "Forbidden",
      },
    ],
  };
}
