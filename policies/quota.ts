import * as k8s from "@pulumi/kubernetes";
import { isoInstant, instant } from "../lease/fields";
import { gpusInForce, inForce, totalGpusInForce } from "../lease/lifecycle";
import { parseQuantity } from "../lease/quantity";
import { leaseReserves, reserveDeployment, SYSTEM_NAMESPACE } from "../lease/reserve";
import { acceleratorsInForce, GPU_RESOURCE, LABELS } from "../lease/tenancy";
import { resourcePolicy, stackPolicy, tenantOrSkip } from "./contract";

/** The units of an accelerator resource a quota's `hard` grants, or undefined when it sets no limit on it at all. */
function quotaGpus(hard: Record<string, unknown> | undefined, resource = GPU_RESOURCE): number | undefined {
  let gpus: number | undefined;
  for (const k of [`requests.${resource}`, `limits.${resource}`, resource]) {
    const v = hard?.[k];
    if (v === undefined) continue;
    const n = Number(parseQuantity(String(v)).nanos / 1_000_000_000n);
    gpus = gpus === undefined ? n : Math.min(gpus, n);
  }
  return gpus;
}

/** A tenant namespace's GPU quota never exceeds the GPUs of the tenant's leases in force. */
export const tenantGpuQuotaWithinLeases = resourcePolicy(
  {
    name: "tenant-gpu-quota-within-leases",
    description:
      "A tenant namespace's ResourceQuota grants no more nvidia.com/gpu (and no more of any other accelerator resource the catalog declares) than the tenant's leases in force.",
  },
  (args, reportViolation) => {
    if (!args.isType(k8s.core.v1.ResourceQuota)) return;
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const quota = args.props as { metadata?: { namespace?: string; name?: string }; spec?: { hard?: Record<string, unknown> } };
    if (quota.metadata?.namespace !== tenant) return;
    const leases = c.tenant.config.leases;
    const granted = totalGpusInForce(leases, c.at);
    const byType = [...gpusInForce(leases, c.at)].map(([t, n]) => `${n} ${t}`).join(" + ") || "none";
    const gpus = quotaGpus(quota.spec?.hard);
    if (gpus === undefined) {
      reportViolation(
        `ResourceQuota ${tenant}/${quota.metadata?.name} sets no requests.${GPU_RESOURCE}, so tenant ${tenant} could use every GPU of the cluster; its leases in force grant ${granted}.`,
      );
    } else if (gpus > granted) {
      reportViolation(
        `Tenant ${tenant} would hold ${gpus} GPUs but its leases in force at ${isoInstant(c.at)} grant ${granted} (${byType}).`,
      );
    }
    // Every other accelerator resource the platform's catalog declares (MIG profiles, shared GPUs).
    const units = acceleratorsInForce(leases, c.catalog, c.at);
    for (const [r, leased] of Object.entries(units)) {
      if (r === GPU_RESOURCE) continue;
      const n = quotaGpus(quota.spec?.hard, r);
      if (n === undefined)
        reportViolation(
          `ResourceQuota ${tenant}/${quota.metadata?.name} sets no requests.${r}, which the platform's nodes advertise, so tenant ${tenant} could use all of it; its leases in force grant ${leased}.`,
        );
      else if (n > leased)
        reportViolation(`Tenant ${tenant} would hold ${n} ${r} but its leases in force at ${isoInstant(c.at)} grant ${leased}.`);
    }
  },
);

/**
 * A lease's GPUs leave the quota before its window ends only once its reclaim notice took
 * effect: the quota covers every lease inside its window and not yet reclaimed, and the tenant
 * namespace lists each as in force.
 */
export const reclaimAfterNotice = stackPolicy(
  {
    name: "reclaim-after-notice",
    description: "A lease's GPUs leave the tenant's quota before its window ends only after its reclaim notice has taken effect.",
  },
  (args, reportViolation) => {
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const owed = c.tenant.config.leases.filter((l) => inForce(l, c.at));
    if (owed.length === 0) return;
    const ns = args.resources.find((r) => r.isType(k8s.core.v1.Namespace) && r.props.metadata?.name === tenant);
    const quota = args.resources.find((r) => r.isType(k8s.core.v1.ResourceQuota) && r.props.metadata?.namespace === tenant);
    const owedGpus = owed.reduce((n, l) => n + l.gpu.count, 0);
    const gpus = quota ? quotaGpus(quota.props.spec?.hard) : undefined;
    if (quota && gpus !== undefined && gpus < owedGpus) {
      const why = owed
        .map(
          (l) =>
            `${l.id} (${l.gpu.count}, until ${l.reclaim.notice ? `its notice takes effect at ${l.reclaim.notice.effectiveAt}` : `${isoInstant(instant(l.window.end))}`})`,
        )
        .join(", ");
      reportViolation(
        `Tenant ${tenant}'s quota grants ${gpus} GPUs at ${isoInstant(c.at)}, but its leases still owed to it hold ${owedGpus}: ${why}. GPUs leave a lease early only once its reclaim notice has taken effect.`,
        quota.urn,
      );
    }
    const labels = (ns?.props.metadata?.labels ?? {}) as Record<string, string>;
    for (const l of owed) {
      if (ns && labels[`${LABELS.leaseInForcePrefix}${l.id}`] === undefined) {
        reportViolation(
          `Namespace ${tenant} does not list lease ${l.id} as in force, but the lease runs until ${l.reclaim.notice ? `its reclaim notice takes effect at ${l.reclaim.notice.effectiveAt}` : l.window.end}: its pods would be refused before their notice elapsed.`,
          ns.urn,
        );
      }
    }
  },
);

/**
 * Every lease in force whose count leaves GPUs of its nodes over has its reserve
 * (lease/reserve.ts): a Deployment in leasehold-system, at the reserve PriorityClass, whose pod
 * requests exactly that remainder, on the lease's last node. Without it the tenant could run on
 * all its nodes' GPUs, and the quota (one figure per accelerator resource, across GPU types) would
 * not stop it.
 */
export const leaseReservesHeld = stackPolicy(
  {
    name: "lease-reserves-held",
    description:
      "Every lease in force whose GPU count is not a whole number of nodes has its reserve holding the rest of its nodes' GPUs, so its tenant runs on exactly what it leased, per GPU type.",
  },
  (args, reportViolation) => {
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const wanted = leaseReserves(tenant, c.tenant.config.leases, c.catalog, c.at);
    if (wanted.length === 0) return;
    const deployments = args.resources.filter((r) => r.isType(k8s.apps.v1.Deployment) && r.props.metadata?.namespace === SYSTEM_NAMESPACE);
    for (const w of wanted) {
      const what = `Lease ${w.lease} is for ${w.granted} ${w.gpuType} GPUs on nodes that hold ${w.nodeUnits}`;
      const d = deployments.find((r) => r.props.metadata?.name === w.name);
      if (!d) {
        reportViolation(
          `${what}, but the stack declares no reserve (Deployment ${SYSTEM_NAMESPACE}/${w.name}) holding the other ${w.units}: tenant ${tenant} could run on all ${w.nodeUnits}.`,
        );
        continue;
      }
      // The reserve leasehold declares: every field it writes as it writes it (the API server adds
      // its defaults beside them in the outputs), and exactly the fields that decide where the pod
      // runs and what it holds: nothing added to its node selection, tolerations or resources.
      const want = reserveDeployment(tenant, w).spec;
      const got = (d.props.spec ?? {}) as typeof want;
      const differs = differences(want, got, "spec");
      // A whole subtree compared only where no field of it was already named.
      const exact = (path: string, a: unknown, b: unknown) => {
        if (differs.some((d) => d.startsWith(path.split("[*]")[0]!))) return;
        if (canonical(a) !== canonical(b)) differs.push(`${path}: want ${canonical(a)}, got ${canonical(b)}`);
      };
      exact("spec.template.spec.nodeSelector", want.template.spec.nodeSelector, got.template?.spec?.nodeSelector);
      exact("spec.template.spec.affinity", want.template.spec.affinity, got.template?.spec?.affinity);
      exact("spec.template.spec.tolerations", want.template.spec.tolerations, got.template?.spec?.tolerations);
      exact(
        "spec.template.spec.containers[*].resources",
        want.template.spec.containers.map((c) => c.resources),
        (got.template?.spec?.containers ?? []).map((c) => c?.resources),
      );
      if (differs.length > 0)
        reportViolation(
          `${what}, but its reserve ${SYSTEM_NAMESPACE}/${w.name} is not the one that holds the other ${w.units} on ${w.node ?? `the lease's nodes`}: ${differs.slice(0, 5).join("; ")}.`,
          d.urn,
        );
    }
  },
);

/**
 * Where `got` lacks or changes what `want` says, as `path: want X, got Y` (keys `got` has beyond
 * `want`'s are not looked at: the outputs carry the API server's defaults). Lists must be as long.
 */
function differences(want: unknown, got: unknown, at: string): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return [`${at}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`];
    return want.flatMap((w, i) => differences(w, got[i], `${at}[${i}]`));
  }
  if (want !== null && typeof want === "object") {
    if (got === null || typeof got !== "object" || Array.isArray(got))
      return [`${at}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`];
    return Object.keys(want).flatMap((k) =>
      differences((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${at}.${k}`),
    );
  }
  return got !== undefined && String(want) === String(got) ? [] : [`${at}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`];
}

/** JSON with sorted keys and every scalar as a string (a quantity 4 and "4" alike), for comparing whole subtrees. */
function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (x !== null && typeof x === "object")
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, norm((x as Record<string, unknown>)[k])]),
      );
    return x === undefined || x === null ? x : String(x);
  };
  return JSON.stringify(norm(v)) ?? "undefined";
}
