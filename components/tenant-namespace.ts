import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gpuTypeSchema, type GpuCatalog } from "../lease/catalog";
import { leaseViews } from "../lease/lifecycle";
import { leaseSchema, tenantSchema, type Lease, type TenantConfig } from "../lease/schema";
import {
  ANNOTATIONS,
  egressBlocks,
  LABELS,
  noticeShown,
  POD_SECURITY_VERSION,
  tenantLimits,
  LEASE_IN_FORCE_VALUE,
  tenantFieldManager,
  tenantQuota,
} from "../lease/tenancy";
import { z } from "zod";
import { checkArguments, deployInstantCheck } from "./arguments";

/** Arguments of {@link TenantNamespace}. */
export interface TenantNamespaceArgs {
  /** The tenant, as its stack declares it. */
  tenant: TenantConfig["tenant"];
  /** All the tenant's leases; those in force at `at` make the GPU quota. */
  leases: readonly Lease[];
  /** The platform's GPU catalog (built-in plus its overrides). */
  catalog: GpuCatalog;
  /** The deploy instant, epoch milliseconds. */
  at: number;
  /**
   * True once `leasehold purge` confirmed that the tenant's data may go: the namespace loses its
   * protection, so that a `pulumi destroy` deletes it and every PVC in it. @default false
   */
  purge?: boolean;
}

/**
 * How the tenant namespace is kept: protected (no preview or destroy can delete it) and retained
 * (removing it from the program leaves it on the cluster), until a purge lifts both.
 */
export function namespaceRetention(purge: boolean): { protect: boolean; retainOnDelete: boolean } {
  return { protect: !purge, retainOnDelete: !purge };
}

/** Names of the objects in every tenant namespace (stable: renaming one would delete it). */
export const TENANT_OBJECTS = {
  quota: "leasehold-quota",
  limits: "leasehold-limits",
  adminRole: "tenant-admin",
  viewerRole: "tenant-viewer",
  adminBinding: "tenant-admins",
  viewerBinding: "tenant-viewers",
  serviceAccount: "tenant-admin",
  serviceAccountBinding: "tenant-admin-sa",
  tokenSecret: "tenant-admin-token",
  denyAll: "leasehold-default-deny",
  sameNamespace: "leasehold-allow-same-namespace",
  dns: "leasehold-allow-dns",
  egress: "leasehold-allow-egress",
} as const;

const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const READ_VERBS = ["get", "list", "watch"];

/**
 * The tenant-admin Role: full control of the tenant's workloads and data inside its namespace,
 * read-only access to what the landlord owns there (quota, limits, network policies, RBAC).
 * Verbs and resources are listed one by one: no wildcard, and never escalate, bind or impersonate.
 */
export const TENANT_ADMIN_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  {
    apiGroups: [""],
    resources: ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts"],
    verbs: ALL_VERBS,
  },
  // Read only: hand-written endpoints send a Service's traffic to any address (CVE-2021-25740).
  { apiGroups: [""], resources: ["endpoints"], verbs: READ_VERBS },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ_VERBS },
  { apiGroups: [""], resources: ["pods/log", "pods/status"], verbs: READ_VERBS },
  { apiGroups: [""], resources: ["pods/exec", "pods/attach", "pods/portforward"], verbs: ["create", "get"] },
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets", "daemonsets"], verbs: ALL_VERBS },
  { apiGroups: ["apps"], resources: ["deployments/scale", "statefulsets/scale"], verbs: ["get", "update", "patch"] },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ALL_VERBS },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ALL_VERBS },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ALL_VERBS },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ALL_VERBS },
  { apiGroups: [""], resources: ["events", "resourcequotas", "limitranges"], verbs: READ_VERBS },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ_VERBS },
  // Network policies are additive: a tenant that could write one could open its own egress.
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ_VERBS },
  { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ_VERBS },
];

/** The tenant-viewer Role: read the tenant's namespace, secrets excepted. */
export const TENANT_VIEWER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  {
    apiGroups: [""],
    resources: [
      "pods",
      "pods/log",
      "services",
      "endpoints",
      "configmaps",
      "persistentvolumeclaims",
      "events",
      "resourcequotas",
      "limitranges",
    ],
    verbs: READ_VERBS,
  },
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets", "daemonsets"], verbs: READ_VERBS },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: READ_VERBS },
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: READ_VERBS },
];

/**
 * A tenant's namespace and everything that confines it: Pod Security `restricted`, a GPU quota
 * equal to its leases in force, limits, namespaced RBAC for its groups, and default-deny network
 * policies with DNS, the namespace itself and its declared egress allowed (cloud metadata never).
 *
 * The namespace is protected and retained: tenant data is deleted only after an explicit purge
 * (see {@link namespaceRetention}).
 */
export class TenantNamespace extends pulumi.ComponentResource {
  /** The namespace's name (the tenant's name). */
  public readonly namespace: pulumi.Output<string>;
  /** GPUs the quota grants at the deploy instant. */
  public readonly gpuQuota: pulumi.Output<number>;
  /** The ids of the leases in force at the deploy instant. */
  public readonly leasesInForce: pulumi.Output<string[]>;
  /** The ServiceAccount bound to tenant-admin (for the tenant's kubeconfig). */
  public readonly adminServiceAccount: pulumi.Output<string>;
  /** The Secret holding that ServiceAccount's token. */
  public readonly adminTokenSecret: k8s.core.v1.Secret;

  constructor(name: string, args: TenantNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArguments("TenantNamespace", name, [
      { path: "tenant", value: args.tenant, schema: tenantSchema },
      { path: "leases", value: args.leases, schema: z.array(leaseSchema) },
      { path: "catalog", value: args.catalog, schema: z.record(z.string(), gpuTypeSchema) },
      deployInstantCheck(args.at),
    ]);
    super("leasehold:k8s:TenantNamespace", name, {}, opts);
    const { tenant, leases, catalog, at } = args;
    const ns = tenant.name;
    const views = leaseViews(leases, at);
    const inForceIds = views.filter((v) => v.inForce).map((v) => v.lease.id);
    const quota = tenantQuota(tenant, leases, catalog, at);
    const limits = tenantLimits(leases, catalog);
    const notice = noticeShown(leases, at);
    const labels = { [LABELS.tenant]: ns, [LABELS.lease]: "" };
    const managed = { [ANNOTATIONS.fieldManager]: tenantFieldManager(ns) };
    const meta = (objectName: string) => ({ name: objectName, namespace: ns, labels, annotations: managed });
    const noticeAnnotations: Record<string, string> = notice
      ? { [ANNOTATIONS.reclaimAt]: notice.at, [ANNOTATIONS.reclaimReason]: notice.reason }
      : {};

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: ns,
          labels: {
            ...labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": POD_SECURITY_VERSION,
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": POD_SECURITY_VERSION,
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": POD_SECURITY_VERSION,
            ...Object.fromEntries(inForceIds.map((id) => [`${LABELS.leaseInForcePrefix}${id}`, LEASE_IN_FORCE_VALUE])),
          },
          annotations: { ...managed, ...noticeAnnotations },
        },
      },
      { parent: this, ...namespaceRetention(args.purge ?? false) },
    );
    // Every namespaced child waits for the namespace.
    const inNs: pulumi.CustomResourceOptions = { parent: this, dependsOn: [namespace] };

    // The notice also goes on the quota: tenants cannot read their Namespace object (it is
    // cluster-scoped), but they can read and watch this quota, which they cannot change.
    new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      { metadata: { ...meta(TENANT_OBJECTS.quota), annotations: { ...managed, ...noticeAnnotations } }, spec: { hard: quota.hard } },
      inNs,
    );
    new k8s.core.v1.LimitRange(
      `${name}-limits`,
      { metadata: meta(TENANT_OBJECTS.limits), spec: { limits: [{ type: "Container", ...limits }] } },
      inNs,
    );

    const adminRole = new k8s.rbac.v1.Role(
      `${name}-admin-role`,
      { metadata: meta(TENANT_OBJECTS.adminRole), rules: TENANT_ADMIN_RULES },
      inNs,
    );
    const viewerRole = new k8s.rbac.v1.Role(
      `${name}-viewer-role`,
      { metadata: meta(TENANT_OBJECTS.viewerRole), rules: TENANT_VIEWER_RULES },
      inNs,
    );
    const groups = (list: readonly string[]) => list.map((g) => ({ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: g }));
    new k8s.rbac.v1.RoleBinding(
      `${name}-admins`,
      { metadata: meta(TENANT_OBJECTS.adminBinding), roleRef: roleRef(TENANT_OBJECTS.adminRole), subjects: groups(tenant.access.admins) },
      { ...inNs, dependsOn: [namespace, adminRole] },
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-viewers`,
      {
        metadata: meta(TENANT_OBJECTS.viewerBinding),
        roleRef: roleRef(TENANT_OBJECTS.viewerRole),
        subjects: groups(tenant.access.viewers),
      },
      { ...inNs, dependsOn: [namespace, viewerRole] },
    );

    const sa = new k8s.core.v1.ServiceAccount(`${name}-admin-sa`, { metadata: meta(TENANT_OBJECTS.serviceAccount) }, inNs);
    new k8s.rbac.v1.RoleBinding(
      `${name}-admin-sa-binding`,
      {
        metadata: meta(TENANT_OBJECTS.serviceAccountBinding),
        roleRef: roleRef(TENANT_OBJECTS.adminRole),
        subjects: [{ kind: "ServiceAccount", name: TENANT_OBJECTS.serviceAccount, namespace: ns }],
      },
      { ...inNs, dependsOn: [namespace, adminRole, sa] },
    );
    this.adminTokenSecret = new k8s.core.v1.Secret(
      `${name}-admin-token`,
      {
        metadata: {
          ...meta(TENANT_OBJECTS.tokenSecret),
          annotations: { ...managed, "kubernetes.io/service-account.name": TENANT_OBJECTS.serviceAccount },
        },
        type: "kubernetes.io/service-account-token",
      },
      { ...inNs, dependsOn: [namespace, sa] },
    );

    const everyPod = {};
    new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      { metadata: meta(TENANT_OBJECTS.denyAll), spec: { podSelector: everyPod, policyTypes: ["Ingress", "Egress"] } },
      inNs,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-same-namespace`,
      {
        metadata: meta(TENANT_OBJECTS.sameNamespace),
        spec: {
          podSelector: everyPod,
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ from: [{ podSelector: everyPod }] }],
          egress: [{ to: [{ podSelector: everyPod }] }],
        },
      },
      inNs,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-dns`,
      {
        metadata: meta(TENANT_OBJECTS.dns),
        spec: {
          podSelector: everyPod,
          policyTypes: ["Egress"],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
              ],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        },
      },
      inNs,
    );
    // Always present (possibly with no rule), so that adding the first egress rule never
    // creates or deletes an object.
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-egress`,
      {
        metadata: meta(TENANT_OBJECTS.egress),
        spec: {
          podSelector: everyPod,
          policyTypes: ["Egress"],
          egress: egressBlocks(tenant.network.egress).map((b) => ({
            to: [{ ipBlock: b.except.length > 0 ? { cidr: b.cidr, except: b.except } : { cidr: b.cidr } }],
            ...(b.ports ? { ports: b.ports } : {}),
          })),
        },
      },
      inNs,
    );

    this.namespace = namespace.metadata.name;
    this.gpuQuota = pulumi.output(quota.gpus);
    this.leasesInForce = pulumi.output(inForceIds);
    this.adminServiceAccount = sa.metadata.name;
    this.registerOutputs({
      namespace: this.namespace,
      gpuQuota: this.gpuQuota,
      leasesInForce: this.leasesInForce,
      adminServiceAccount: this.adminServiceAccount,
      adminTokenSecret: this.adminTokenSecret,
    });
  }
}

function roleRef(role: string) {
  return { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role };
}
