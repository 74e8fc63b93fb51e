import * as k8s from "@pulumi/kubernetes";
import { leasesBlockingPurge, purgeBlocker, purgeInEffect } from "../lease/lifecycle";
import { resourcePolicy, tenantOrSkip } from "./contract";

/**
 * Tenant data is deleted only after `leasehold purge`. A policy pack sees the resources a program
 * declares, not the deletions a plan holds; so the guard is on what makes a deletion possible: a
 * tenant namespace or PersistentVolumeClaim declared without `protect` (the engine refuses to
 * delete a protected resource, in an update, a replacement or a destroy), and a StatefulSet whose
 * claim retention policy deletes its claims.
 */
export const tenantDataRetained = resourcePolicy(
  {
    name: "tenant-data-retained",
    description:
      "Tenant data (the namespace and its PersistentVolumeClaims) is protected from deletion unless the stack carries the purge marker of leasehold purge.",
  },
  (args, reportViolation) => {
    const isNamespace = args.isType(k8s.core.v1.Namespace);
    const isClaim = args.isType(k8s.core.v1.PersistentVolumeClaim);
    const isStatefulSet = args.isType(k8s.apps.v1.StatefulSet);
    if (!isNamespace && !isClaim && !isStatefulSet) return;
    const c = tenantOrSkip(args);
    const tenant = c.tenant.config.tenant.name;
    const meta = (args.props.metadata ?? {}) as { name?: string; namespace?: string };
    if (isNamespace ? meta.name !== tenant : (meta.namespace ?? tenant) !== tenant) return;
    // A marker confirmed after the deploy instant does not count yet: the data stays protected.
    const purge = purgeInEffect(c.tenant.config.purge, c.at) ? c.tenant.config.purge : undefined;
    const how = `confirm the deletion with leasehold purge --stack ${c.raw.stack} --tenant ${tenant} --confirm ${tenant}`;

    if (purge) {
      if (!isNamespace) return;
      const blocking = leasesBlockingPurge(c.tenant.config.leases, c.at);
      if (blocking.length > 0) {
        reportViolation(
          `Tenant ${tenant} is marked for purge (confirmed at ${purge.confirmedAt}), but ${blocking.map((l) => purgeBlocker(l, c.at)).join("; ")}; data under a live lease is never deleted.`,
        );
      }
      return;
    }
    if (isStatefulSet) {
      const policy = (args.props.spec?.persistentVolumeClaimRetentionPolicy ?? {}) as { whenDeleted?: string; whenScaled?: string };
      const deleting = (["whenDeleted", "whenScaled"] as const).filter((k) => policy[k] === "Delete");
      if (deleting.length > 0) {
        reportViolation(
          `StatefulSet ${tenant}/${meta.name ?? args.name} deletes its PersistentVolumeClaims (persistentVolumeClaimRetentionPolicy ${deleting.map((k) => `${k}: Delete`).join(", ")}), so removing or scaling it would delete tenant ${tenant}'s data; use Retain, or ${how}.`,
        );
      }
      return;
    }
    if (!args.opts.protect) {
      const what = isNamespace
        ? `Namespace ${tenant} holds every PersistentVolumeClaim of tenant ${tenant}`
        : `PersistentVolumeClaim ${tenant}/${meta.name ?? args.name} holds tenant ${tenant}'s data`;
      reportViolation(
        `${what} and is not protected, so a later update, replacement or destroy could delete it; declare it with protect: true, or ${how}.`,
      );
    }
  },
);
