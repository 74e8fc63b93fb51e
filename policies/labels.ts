import { TAGS, UNTAGGABLE_TYPES } from "../lease/aws";
import { LABELS } from "../lease/tenancy";
import { resourcePolicy, tenantOrSkip } from "./contract";

/** Every Kubernetes object of a tenant stack carries the chargeback labels. */
export const leaseLabels = resourcePolicy(
  {
    name: "lease-labels",
    description:
      "Every object of a tenant stack carries the leasehold.io/tenant and leasehold.io/lease labels (on AWS, the leasehold:tenant and leasehold:lease tags), for chargeback.",
    enforcementLevel: "advisory",
  },
  (args, reportViolation) => {
    if (args.type.startsWith("aws:") && !UNTAGGABLE_TYPES.has(args.type)) {
      const c = tenantOrSkip(args);
      const tags = (args.props.tags ?? {}) as Record<string, unknown>;
      const missing = [TAGS.tenant, TAGS.lease].filter((k) => tags[k] === undefined);
      if (missing.length > 0) {
        reportViolation(
          `${args.type.split(":").pop()} ${args.name} of tenant ${c.tenant.config.tenant.name} lacks the tag(s) ${missing.join(" and ")}, so its cost cannot be charged back to a lease.`,
        );
      }
      return;
    }
    if (!args.type.startsWith("kubernetes:") || args.type === "pulumi:providers:kubernetes") return;
    const c = tenantOrSkip(args);
    const labels = (args.props.metadata?.labels ?? {}) as Record<string, unknown>;
    const missing = [LABELS.tenant, LABELS.lease].filter((k) => labels[k] === undefined);
    if (missing.length > 0) {
      reportViolation(
        `${args.props.kind ?? args.type} ${args.props.metadata?.name ?? args.name} of tenant ${c.tenant.config.tenant.name} lacks the label(s) ${missing.join(" and ")}, so its cost cannot be charged back to a lease.`,
      );
    }
  },
);
