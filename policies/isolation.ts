import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource } from "@pulumi/policy";
import { networkObjectViolations } from "../lease/admit";
import { LABELS } from "../lease/tenancy";
import { resourcePolicy, stackPolicy, tenantOrSkip } from "./contract";

/** A resource class, as `isType` takes it. */
type ResourceClass = Parameters<PolicyResource["isType"]>[0];

/** The fields of a Role, RoleBinding or ClusterRoleBinding (rbac.authorization.k8s.io/v1) the RBAC policy reads. */
interface RbacProps {
  metadata?: { name?: string; namespace?: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  roleRef?: { kind: string; name: string };
  rules?: Record<string, string[] | undefined>[];
}

/** Each tenant namespace has a ResourceQuota, a LimitRange, a default-deny NetworkPolicy and Pod Security enforce=restricted. */
export const tenantNamespaceIsolated = stackPolicy(
  {
    name: "tenant-namespace-isolated",
    description:
      "Each tenant namespace has a ResourceQuota, a LimitRange, a default-deny ingress and egress NetworkPolicy and Pod Security enforce=restricted.",
  },
  (args, reportViolation) => {
    tenantOrSkip(args);
    // One pass to group objects by namespace: stacks of thousands of objects stay linear.
    const byNs = new Map<string, PolicyResource[]>();
    const namespaces: PolicyResource[] = [];
    for (const r of args.resources) {
      if (r.isType(k8s.core.v1.Namespace)) {
        if (r.props.metadata?.labels?.[LABELS.tenant] !== undefined) namespaces.push(r);
        continue;
      }
      const ns = r.props.metadata?.namespace;
      if (typeof ns !== "string") continue;
      let list = byNs.get(ns);
      if (!list) byNs.set(ns, (list = []));
      list.push(r);
    }
    for (const ns of namespaces) {
      const name = ns.props.metadata?.name as string;
      const inNs = (cls: ResourceClass) => (byNs.get(name) ?? []).filter((r) => r.isType(cls));
      const missing: string[] = [];
      if (inNs(k8s.core.v1.ResourceQuota).length === 0) missing.push("a ResourceQuota");
      if (inNs(k8s.core.v1.LimitRange).length === 0) missing.push("a LimitRange");
      const denyAll = inNs(k8s.networking.v1.NetworkPolicy).some((p) => {
        const spec = p.props.spec ?? {};
        const types: string[] = spec.policyTypes ?? [];
        const selectsAll =
          spec.podSelector &&
          Object.keys(spec.podSelector).every((k) =>
            Array.isArray(spec.podSelector[k]) ? spec.podSelector[k].length === 0 : Object.keys(spec.podSelector[k] ?? {}).length === 0,
          );
        return selectsAll && types.includes("Ingress") && types.includes("Egress") && !spec.ingress?.length && !spec.egress?.length;
      });
      if (!denyAll) missing.push("a NetworkPolicy that selects every pod and denies all ingress and egress");
      const enforce = ns.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
      if (enforce !== "restricted")
        missing.push(
          `the label pod-security.kubernetes.io/enforce=restricted (it is ${enforce === undefined ? "unset" : JSON.stringify(enforce)})`,
        );
      if (missing.length > 0) reportViolation(`Tenant namespace ${name} lacks ${missing.join(", ")}.`, ns.urn);
    }
  },
);

/** No NodePort or LoadBalancer Service, no externalIPs and no hand-written Endpoints or EndpointSlices in a tenant namespace. */
export const noPublicServices = resourcePolicy(
  {
    name: "no-public-services",
    description:
      "No NodePort or LoadBalancer Service, no Service externalIPs (CVE-2020-8554) and no hand-written Endpoints or EndpointSlices (CVE-2021-25740) in a tenant namespace: tenants reach the outside only through the landlord's ingress.",
  },
  (args, reportViolation) => {
    const kind = args.isType(k8s.core.v1.Service)
      ? "Service"
      : args.isType(k8s.core.v1.Endpoints)
        ? "Endpoints"
        : args.isType(k8s.discovery.v1.EndpointSlice)
          ? "EndpointSlice"
          : undefined;
    if (!kind) return;
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const o = args.props as { metadata?: { namespace?: string } };
    if ((o.metadata?.namespace ?? tenant) !== tenant) return;
    for (const m of networkObjectViolations(kind, args.props, tenant)) reportViolation(m);
  },
);

/** Resources tenants may read but never write in their namespace (the controllers write them). */
const READ_ONLY_FOR_TENANTS = ["endpoints", "endpointslices"];
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];

const FORBIDDEN_VERBS = ["escalate", "bind", "impersonate"];

/** Tenants get nothing cluster-wide, and their namespaced Roles have no wildcard and no escalate, bind or impersonate. */
export const tenantRbacNamespaced = resourcePolicy(
  {
    name: "tenant-rbac-namespaced",
    description:
      "No ClusterRoleBinding grants tenant groups anything; tenant Roles have no wildcard verbs, resources or API groups and no escalate, bind or impersonate.",
  },
  (args, reportViolation) => {
    const isClusterBinding = args.isType(k8s.rbac.v1.ClusterRoleBinding);
    const isRoleBinding = args.isType(k8s.rbac.v1.RoleBinding);
    const isRole = args.isType(k8s.rbac.v1.Role);
    const isClusterRole = args.isType(k8s.rbac.v1.ClusterRole);
    if (!isClusterBinding && !isRoleBinding && !isRole && !isClusterRole) return;
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant;
    const groups = new Set([...tenant.access.admins, ...tenant.access.viewers]);
    const p = args.props as RbacProps;
    const name = `${p.metadata?.namespace ? `${p.metadata.namespace}/` : ""}${p.metadata?.name}`;
    const tenantSubjects = (subjects: RbacProps["subjects"]) =>
      (subjects ?? []).filter(
        (s) =>
          (s.kind === "Group" && groups.has(s.name)) ||
          (s.kind === "ServiceAccount" && s.namespace === tenant.name) ||
          (s.kind === "Group" && s.name === `system:serviceaccounts:${tenant.name}`),
      );
    if (isClusterBinding) {
      const who = tenantSubjects(p.subjects);
      if (who.length > 0)
        reportViolation(
          `ClusterRoleBinding ${name} grants ${p.roleRef?.kind} ${p.roleRef?.name} cluster-wide to tenant ${tenant.name}'s ${who.map((s) => `${s.kind} ${s.name}`).join(", ")}; tenants get namespaced Roles only.`,
        );
      return;
    }
    if (isClusterRole) {
      // A ClusterRole grants nothing by itself; it is checked where it is bound.
      return;
    }
    if (isRoleBinding) {
      if (p.metadata?.namespace === tenant.name && p.roleRef?.kind === "ClusterRole") {
        reportViolation(
          `RoleBinding ${name} binds ClusterRole ${p.roleRef.name} in tenant namespace ${tenant.name}; bind the tenant's own namespaced Roles, whose rules this pack checks.`,
        );
      }
      return;
    }
    if (p.metadata?.namespace !== tenant.name) return;
    (p.rules ?? []).forEach((rule: Record<string, string[] | undefined>, i: number) => {
      for (const field of ["verbs", "resources", "apiGroups", "resourceNames"]) {
        if ((rule[field] ?? []).includes("*"))
          reportViolation(`Role ${name} rule ${i} has the wildcard "*" in ${field}; list what the tenant needs one by one.`);
      }
      const bad = (rule.verbs ?? []).filter((v) => FORBIDDEN_VERBS.includes(v));
      if (bad.length > 0) reportViolation(`Role ${name} rule ${i} grants ${bad.join(", ")}, which let a tenant raise its own rights.`);
      const readOnly = (rule.resources ?? []).filter((r) => READ_ONLY_FOR_TENANTS.includes(r));
      const writes = (rule.verbs ?? []).filter((v) => WRITE_VERBS.includes(v));
      if (readOnly.length > 0 && writes.length > 0) {
        reportViolation(
          `Role ${name} rule ${i} grants ${writes.join(", ")} on ${readOnly.join(", ")}; hand-written endpoints redirect a Service's traffic to any address (CVE-2021-25740), so tenants only read them.`,
        );
      }
    });
  },
);
