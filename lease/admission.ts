import { GPU_RESOURCE, LABELS, LEASE_TAINT_KEY } from "./tenancy";

// The runtime half of lease pinning: CEL for a ValidatingAdmissionPolicy on pods in tenant
// namespaces. The leases in force of a tenant are labels of its namespace
// (`lease.leasehold.io/<id>: in-force`, written by the tenant stack, which tenants cannot change),
// so one cluster-wide policy serves every tenant and needs no parameter objects.
//
// The expressions avoid CEL's optional syntax (`?.`, `[?]`) so that they read the same in every
// CEL implementation; `has()` guards each optional field.

const NS_LABELS = "namespaceObject.metadata.labels";
const owns = (leaseExpr: string) => `('${LABELS.leaseInForcePrefix}' + ${leaseExpr}) in ${NS_LABELS}`;

/** Named sub-expressions (ValidatingAdmissionPolicy `variables`). */
export const ADMISSION_VARIABLES: { name: string; expression: string }[] = [
  {
    name: "hasLeaseInForce",
    expression: `has(namespaceObject.metadata.labels) && ${NS_LABELS}.exists(k, k.startsWith('${LABELS.leaseInForcePrefix}'))`,
  },
  {
    name: "requestsGpu",
    expression: [
      "object.spec.containers",
      "(has(object.spec.initContainers) ? object.spec.initContainers : [])",
    ]
      .map(
        (list) =>
          `${list}.exists(c, has(c.resources) && ((has(c.resources.limits) && '${GPU_RESOURCE}' in c.resources.limits) || (has(c.resources.requests) && '${GPU_RESOURCE}' in c.resources.requests)))`,
      )
      .join(" || "),
  },
  {
    name: "selectorLease",
    expression: `has(object.spec.nodeSelector) && '${LABELS.lease}' in object.spec.nodeSelector ? object.spec.nodeSelector['${LABELS.lease}'] : ''`,
  },
  {
    name: "affinityTerms",
    expression:
      "has(object.spec.affinity) && has(object.spec.affinity.nodeAffinity) && has(object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) ? object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms : []",
  },
];

/** One validation of the policy: a CEL expression that must hold, and the message when it does not. */
export interface AdmissionValidation {
  expression: string;
  messageExpression: string;
  reason: "Forbidden" | "Invalid";
}

const TENANT = `(has(namespaceObject.metadata.labels) && '${LABELS.tenant}' in ${NS_LABELS} ? ${NS_LABELS}['${LABELS.tenant}'] : namespaceObject.metadata.name)`;

/** The validations, in the order the API server reports them. */
export const ADMISSION_VALIDATIONS: AdmissionValidation[] = [
  {
    // GPUs only under a lease in force.
    expression: "request.operation != 'CREATE' || !variables.requestsGpu || variables.hasLeaseInForce",
    messageExpression: `'pod requests ${GPU_RESOURCE} but tenant ' + ${TENANT} + ' has no lease in force'`,
    reason: "Forbidden",
  },
  {
    // Pinning: every way the pod names a lease must name one of its tenant's leases in force, and
    // while the tenant has a lease in force the pod must name one.
    expression: [
      "request.operation != 'CREATE'",
      "(" +
        [
          `(variables.selectorLease == '' || ${owns("variables.selectorLease")})`,
          `variables.affinityTerms.all(t, !has(t.matchExpressions) || t.matchExpressions.all(e, e.key != '${LABELS.lease}' || (e.operator == 'In' && e.values.all(v, ${owns("v")}))))`,
          `(!variables.hasLeaseInForce || variables.selectorLease != '' || (size(variables.affinityTerms) > 0 && variables.affinityTerms.all(t, has(t.matchExpressions) && t.matchExpressions.exists(e, e.key == '${LABELS.lease}' && e.operator == 'In' && size(e.values) > 0))))`,
        ].join(" && ") +
        ")",
    ].join(" || "),
    messageExpression: `'pod must select one of tenant ' + ${TENANT} + '\\'s leases in force with nodeSelector or a required node affinity on ${LABELS.lease}'`,
    reason: "Forbidden",
  },
  {
    // No toleration of another lease's taint, and no catch-all toleration. Tolerations can only be
    // appended to a running pod, so an update that adds none passes (a pod of a lease reclaimed
    // since must still be able to lose its finalizers).
    expression: `(request.operation == 'UPDATE' && has(oldObject.spec.tolerations) && has(object.spec.tolerations) && size(object.spec.tolerations) == size(oldObject.spec.tolerations)) || !has(object.spec.tolerations) || object.spec.tolerations.all(t, has(t.key) && t.key != '' && (t.key != '${LEASE_TAINT_KEY}' || (has(t.value) && ${owns("t.value")})))`,
    messageExpression: `'pod may tolerate only the taints of tenant ' + ${TENANT} + '\\'s own leases in force, and no catch-all toleration'`,
    reason: "Forbidden",
  },
  {
    // spec.nodeName skips the scheduler, and with it every taint and selector.
    expression: "request.operation != 'CREATE' || !has(object.spec.nodeName) || object.spec.nodeName == ''",
    messageExpression: "'pod must not set spec.nodeName in a tenant namespace: the scheduler places pods on leased nodes'",
    reason: "Forbidden",
  },
];
