import { run } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { ADMISSION_VALIDATIONS, ADMISSION_VARIABLES } from "../../lease/admission";

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
  operation: "CREATE" | "UPDATE" = "CREATE",
  oldPod?: object,
): { allowed: boolean; messages: string[] } {
  const namespaceObject = cel({ metadata: { name: namespaceLabels["leasehold.io/tenant"] ?? "ns", labels: namespaceLabels } });
  const bindings: Record<string, unknown> = {
    object: cel(pod),
    oldObject: oldPod ? cel(oldPod) : null,
    namespaceObject,
    request: cel({ operation }),
  };
  const variables = new Map<string, unknown>();
  for (const v of ADMISSION_VARIABLES) variables.set(v.name, run(v.expression, { ...bindings, variables } as never, { funcs: strings }));
  const messages: string[] = [];
  for (const check of ADMISSION_VALIDATIONS) {
    const ok = run(check.expression, { ...bindings, variables } as never, { funcs: strings });
    if (typeof ok !== "boolean") throw new Error(`validation did not evaluate to a bool: ${String(ok)}\n${check.expression}`);
    if (!ok) messages.push(String(run(check.messageExpression, { ...bindings, variables } as never, { funcs: strings })));
  }
  return { allowed: messages.length === 0, messages };
}
