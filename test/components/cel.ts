import { run } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { podAdmission, podDeletionAdmission, serviceAdmission, type AdmissionCel, type AdmissionSettings } from "../../lease/admission";

// Evaluates the lease admission policy's CEL the way the API server does: variables first, then
// each validation, with the pod as `object` and its namespace as `namespaceObject`.

function cel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cel);
  if (v && typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, cel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}

/** The policy's verdict on a pod in a namespace with these labels. */
export function admit(
  pod: object,
  namespaceLabels: Record<string, string>,
  operation: "CREATE" | "UPDATE" | "DELETE" = "CREATE",
  oldPod?: object,
  settings?: AdmissionSettings,
  policy: AdmissionCel = podAdmission(settings),
  requester = "alice",
  options: object | null = null,
  subResource = "",
): { allowed: boolean; messages: string[] } {
  const namespaceObject = cel({ metadata: { name: namespaceLabels["leasehold.io/tenant"] ?? "ns", labels: namespaceLabels } });
  const bindings: Record<string, unknown> = {
    object: pod === null ? null : cel(pod),
    oldObject: oldPod ? cel(oldPod) : null,
    namespaceObject,
    // As the API server hands it to CEL: no subResource key at all on a request to the resource itself.
    request: cel({ operation, userInfo: { username: requester }, options, ...(subResource !== "" ? { subResource } : {}) }),
  };
  const variables = new Map<string, unknown>();
  for (const v of policy.variables) variables.set(v.name, run(v.expression, { ...bindings, variables } as never, { funcs: strings }));
  const messages: string[] = [];
  for (const check of policy.validations) {
    const ok = run(check.expression, { ...bindings, variables } as never, { funcs: strings });
    if (typeof ok !== "boolean") throw new Error(`validation did not evaluate to a bool: ${String(ok)}\n${check.expression}`);
    if (!ok) messages.push(String(run(check.messageExpression, { ...bindings, variables } as never, { funcs: strings })));
  }
  return { allowed: messages.length === 0, messages };
}

/** The service policy's verdict on a Service in a tenant namespace. */
export function admitService(service: object, operation: "CREATE" | "UPDATE" = "CREATE"): { allowed: boolean; messages: string[] } {
  return admit(service, { "leasehold.io/tenant": "acme" }, operation, undefined, undefined, serviceAdmission());
}

/** The deletion policy's verdict on a DELETE of a tenant pod with these DeleteOptions (`object` is null on a DELETE). */
export function admitDelete(options: object | null): { allowed: boolean; messages: string[] } {
  return admit(null as never, { "leasehold.io/tenant": "acme" }, "DELETE", undefined, undefined, podDeletionAdmission(), "alice", options);
}

/** The deletion policy's verdict on an eviction (CREATE of `pods/eviction`, the object a policy/v1 Eviction) of a tenant pod. */
export function admitEviction(eviction: object): { allowed: boolean; messages: string[] } {
  const options = { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" };
  return admit(
    eviction,
    { "leasehold.io/tenant": "acme" },
    "CREATE",
    undefined,
    undefined,
    podDeletionAdmission(),
    "alice",
    options,
    "eviction",
  );
}
