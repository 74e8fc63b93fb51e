import type { PlatformStack, TenantStack } from "./load";
import { formatPath, showValue, type Problem } from "./problems";
import type { Lease, Pool } from "./schema";

// Every name leasehold derives from a tenant name, a lease id or a stack name, with the limit of
// the system that receives it (and where that limit is written down). The components build the
// names through the functions here; `eksNamesProblems` checks them at validate/check time, so a
// name too long for EKS or EC2 is refused with the file and key path instead of failing half-way
// through a `pulumi up`.
//
// Refuse or derive to fit? Every name here is refused when it does not fit, never shortened:
// a derived name that changes (a hash, a cut) would replace a node group or a Kubernetes object
// (pulumi-kubernetes#2948) the day its rule changes, operators find a lease's node group by its
// id, and every input that fits today keeps its name byte for byte. Most of them fit by
// construction (a DNS-1123 label of at most 63 characters plus a fixed affix); the ones that do
// not are checked in `eksNamesProblems`.

/** The limit of one kind of name, and where it is documented. */
export interface NameLimit {
  /** What the name is, as messages say it: "an EKS node group name". */
  readonly what: string;
  /** Most characters. */
  readonly max: number;
  /** Fewest characters. @default 1 */
  readonly min?: number;
  /** The characters and shape allowed, when the target restricts them. */
  readonly pattern?: RegExp;
  /** The pattern in words, for messages. */
  readonly patternText?: string;
  /** A prefix the target refuses. */
  readonly forbiddenPrefix?: string;
  /** The API reference page or validation function that states the limit. */
  readonly source: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** EC2's characters for security group names, group descriptions and rule descriptions (VPC groups). */
const EC2_GROUP_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

/** The limits, each with its source. */
export const LIMITS = {
  // ---- Kubernetes (k8s.io/apimachinery, the functions the API server validates with)
  dns1123Label: {
    what: "a Kubernetes DNS-1123 label (namespace name)",
    max: 63,
    pattern: DNS1123_LABEL,
    patternText: "lower-case letters, digits and '-', starting and ending with a letter or digit",
    source: "k8s.io/apimachinery/pkg/util/validation IsDNS1123Label (DNS1123LabelMaxLength); namespaces: ValidateNamespaceName",
  },
  dns1123Subdomain: {
    what: "a Kubernetes DNS-1123 subdomain (object name)",
    max: 253,
    pattern: DNS1123_SUBDOMAIN,
    patternText: "lower-case letters, digits, '-' and '.'",
    source: "k8s.io/apimachinery/pkg/util/validation IsDNS1123Subdomain (DNS1123SubdomainMaxLength)",
  },
  labelKeyName: {
    what: "the name part of a Kubernetes label or annotation key",
    max: 63,
    pattern: QUALIFIED_NAME,
    patternText: "letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
    source: "k8s.io/apimachinery/pkg/util/validation IsQualifiedName (qualifiedNameMaxLength)",
  },
  labelKeyPrefix: {
    what: "the prefix of a Kubernetes label or annotation key",
    max: 253,
    pattern: DNS1123_SUBDOMAIN,
    patternText: "a DNS-1123 subdomain",
    source: "k8s.io/apimachinery/pkg/util/validation IsQualifiedName (the prefix is IsDNS1123Subdomain)",
  },
  labelValue: {
    what: "a Kubernetes label value",
    max: 63,
    min: 0,
    pattern: LABEL_VALUE,
    patternText: "letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
    source: "k8s.io/apimachinery/pkg/util/validation IsValidLabelValue (LabelValueMaxLength); taint values too (ValidateTaints)",
  },
  fieldManager: {
    what: "a Kubernetes field manager",
    max: 128,
    source: "k8s.io/apimachinery/pkg/apis/meta/v1/validation ValidateFieldManager (FieldManagerMaxLength)",
  },
  // ---- AWS
  eksClusterName: {
    what: "an EKS cluster name",
    max: 100,
    pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
    patternText: "letters, digits, '-' and '_', starting with a letter or digit",
    source: "Amazon EKS API Reference, CreateCluster: name (1-100 characters)",
  },
  eksNodeGroupName: {
    what: "an EKS node group name",
    max: 63,
    pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
    patternText: "letters, digits, '-' and '_', starting with a letter or digit",
    // "The node group name can't be longer than 63 characters. It must start with a letter or digit"
    // (the User Guide and pulumi-aws's docs); the EKS API Reference gives no length for nodegroupName.
    source: "Amazon EKS User Guide, Create a managed node group; @pulumi/aws eks.NodeGroup nodeGroupName",
  },
  eksLabelValue: {
    what: "an EKS node group label value",
    max: 63,
    source: "Amazon EKS API Reference, CreateNodegroup: labels (keys and values 1-63 characters)",
  },
  eksTaintValue: {
    what: "an EKS node group taint value",
    max: 63,
    min: 0,
    source: "Amazon EKS API Reference, Taint: value (0-63 characters)",
  },
  launchTemplateName: {
    what: "an EC2 launch template name",
    max: 128,
    min: 3,
    pattern: /^[a-zA-Z0-9().\-/_]+$/,
    patternText: "letters, digits and ( ) . - / _",
    source: "Amazon EC2 API Reference, CreateLaunchTemplate: LaunchTemplateName (3-128 characters)",
  },
  securityGroupName: {
    what: "an EC2 security group name",
    max: 255,
    pattern: EC2_GROUP_TEXT,
    patternText: "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
    forbiddenPrefix: "sg-",
    source: "Amazon EC2 API Reference, CreateSecurityGroup: GroupName (up to 255 characters, cannot start with sg-)",
  },
  securityGroupDescription: {
    what: "an EC2 security group description",
    max: 255,
    pattern: EC2_GROUP_TEXT,
    patternText: "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
    source: "Amazon EC2 API Reference, CreateSecurityGroup: GroupDescription (up to 255 characters)",
  },
  securityGroupRuleDescription: {
    what: "an EC2 security group rule description",
    max: 255,
    min: 0,
    pattern: EC2_GROUP_TEXT,
    patternText: "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
    source: "Amazon EC2 API Reference, IpRange and UserIdGroupPair: Description (up to 255 characters)",
  },
  placementGroupName: {
    what: "an EC2 placement group name",
    max: 255,
    pattern: /^[\x20-\x7e]+$/,
    patternText: "ASCII characters",
    source: "Amazon EC2 API Reference, CreatePlacementGroup: GroupName (up to 255 ASCII characters)",
  },
  iamRoleName: {
    what: "an IAM role name",
    max: 64,
    pattern: /^[\w+=,.@-]+$/,
    patternText: "letters, digits and +=,.@_-",
    source: "AWS IAM API Reference, CreateRole: RoleName (1-64 characters)",
  },
  tagKey: {
    what: "an AWS tag key",
    max: 128,
    source: "Amazon EC2 API Reference, Tag: Key (up to 128 characters); Tagging AWS resources, tag naming limits",
  },
  tagValue: {
    what: "an AWS tag value",
    max: 256,
    min: 0,
    source: "Amazon EC2 API Reference, Tag: Value (up to 256 characters); Tagging AWS resources, tag naming limits",
  },
} as const satisfies Record<string, NameLimit>;

/**
 * Pulumi's auto-naming: a resource given no physical name gets `<logical name>-<7 hex digits>`
 * (pulumi-terraform-bridge `AutoName`, random length 7). pulumi-aws auto-names with a maximum of
 * 255 characters for every resource, node groups included, so a name over a stricter AWS limit
 * passes preview and fails at create: the checks here count the suffix.
 */
export const PULUMI_AUTONAME_SUFFIX = "-xxxxxxx";

/**
 * `namePrefix`-style properties (`nodeGroupNamePrefix`, IAM `namePrefix`) get a 26-character
 * unique suffix instead (terraform-plugin-sdk `id.UniqueIDSuffixLength`), so their own limits are
 * shorter: 64 - 26 = 38 for an IAM role (terraform-provider-aws `roleNamePrefixMaxLen`), 63 - 26 =
 * 37 for a node group. leasehold passes no prefix (the component tests prove it); these are here
 * for whoever reaches for one.
 */
export const NAME_PREFIX_LIMITS = { iamRole: 64 - 26, eksNodeGroup: 63 - 26 } as const;

/** The physical name Pulumi gives a resource with no explicit one, its random part shown as `xxxxxxx`. */
export function autoName(logical: string): string {
  return `${logical}${PULUMI_AUTONAME_SUFFIX}`;
}

/** Why `name` breaks `limit`, or undefined when it keeps it. */
export function nameProblem(limit: NameLimit, name: string): string | undefined {
  const min = limit.min ?? 1;
  if (name.length > limit.max) return `${name.length} characters, over the limit of ${limit.max}`;
  if (name.length < min) return `${name.length} characters, under the minimum of ${min}`;
  if (limit.forbiddenPrefix && name.toLowerCase().startsWith(limit.forbiddenPrefix))
    return `starts with ${limit.forbiddenPrefix}, which is refused`;
  if (limit.pattern && !limit.pattern.test(name)) return `has characters outside ${limit.patternText}`;
  return undefined;
}

/** Why a Kubernetes label or annotation key is invalid (prefix and name part), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const p = prefix === undefined ? undefined : nameProblem(LIMITS.labelKeyPrefix, prefix);
  if (p) return `prefix ${p}`;
  const n = nameProblem(LIMITS.labelKeyName, name);
  return n && `name part ${n}`;
}

// ---------------------------------------------------------------- the derivations

/** The field manager of a tenant namespace's objects. */
export function tenantFieldManager(tenant: string): string {
  return `leasehold-tenant-${tenant}`;
}

/** The server-side-apply field manager of a tenant's node writes (its nodes' labels, annotation and taint). */
export function tenantNodesFieldManager(tenant: string): string {
  return `leasehold-nodes-${tenant}`;
}

/** The logical names of an EKS GpuNodePool's named AWS children (the program names the pool after its lease). */
export function leasePoolChildren(pool: string): {
  securityGroup: string;
  launchTemplate: string;
  placementGroup: string;
  nodeGroup: string;
} {
  return {
    securityGroup: `${pool}-nodes`,
    launchTemplate: `${pool}-template`,
    placementGroup: `${pool}-placement`,
    nodeGroup: `${pool}-nodes`,
  };
}

/** The logical name of a TenantNodeNetwork's security group (the program names it after the tenant). */
export function tenantNetworkGroup(network: string): string {
  return `${network}-nodes`;
}

/** Descriptions (EC2 keeps a group's description for life: changing one replaces the group) and Name tags. */
export const DESCRIPTIONS = {
  leaseGroup: (tenant: string, leaseId: string) => `Nodes of lease ${leaseId} (tenant ${tenant}): its own nodes and the control plane only`,
  leaseOwnNodes: (leaseId: string) => `nodes of lease ${leaseId}`,
  leaseEfa: (leaseId: string) => `EFA among the nodes of lease ${leaseId}`,
  tenantGroup: (tenant: string) => `GPU nodes of tenant ${tenant}, across its leases`,
  tenantOwnNodes: (tenant: string) => `nodes of tenant ${tenant}`,
} as const;

/** The `Name` tags of a lease's and a tenant's AWS resources. */
export const NAME_TAGS = {
  lease: (tenant: string, leaseId: string) => `${tenant}-${leaseId}`,
  tenant: (tenant: string) => `${tenant}-nodes`,
} as const;

/** One name derived from config, with the key it derives from and the limit it must keep. */
export interface DerivedName {
  /** The config key path of the input (`["leasehold:leases", 0, "id"]`). */
  from: (string | number)[];
  /** The input's value. */
  input: string;
  /** The input, as messages name it: "a lease id". */
  inputWhat: string;
  /** Which name, in words: "the lease's node group name". */
  role: string;
  /** The name as the target receives it (Pulumi's random suffix as `xxxxxxx`). */
  name: string;
  /** The target's limit the name must keep to. */
  limit: NameLimit;
}

/**
 * Every name an EKS tenant stack derives from its config, as its program passes them to AWS:
 * per lease the node group, security group, launch template and placement group names, the
 * descriptions, the Name tag, the node labels and taint; per tenant its node security group. The
 * component tests check this list against what the program really registers.
 */
export function eksTenantNames(
  stack: string,
  tenant: string,
  leases: readonly Pick<Lease, "id" | "placement">[],
  pools: readonly Pool[],
): DerivedName[] {
  const out: DerivedName[] = [];
  const tenantPath = ["leasehold:tenant", "name"];
  const t = (role: string, name: string, limit: NameLimit) =>
    out.push({ from: tenantPath, input: tenant, inputWhat: "a tenant name", role, name, limit });
  t("the tenant's node security group name", autoName(tenantNetworkGroup(tenant)), LIMITS.securityGroupName);
  t("the tenant's node security group description", DESCRIPTIONS.tenantGroup(tenant), LIMITS.securityGroupDescription);
  t("the tenant's node security group rule description", DESCRIPTIONS.tenantOwnNodes(tenant), LIMITS.securityGroupRuleDescription);
  t("the tenant's Name tag", NAME_TAGS.tenant(tenant), LIMITS.tagValue);
  t("the leasehold:tenant tag", tenant, LIMITS.tagValue);
  t("the tenant's node label value", tenant, LIMITS.eksLabelValue);
  t("the tenant's node taint value", tenant, LIMITS.eksTaintValue);
  out.push({
    from: [],
    input: stack,
    inputWhat: "a stack name",
    role: "the leasehold:stack tag (the stack name)",
    name: stack,
    limit: LIMITS.tagValue,
  });
  leases.forEach((lease, i) => {
    const path = ["leasehold:leases", i, "id"];
    const l = (role: string, name: string, limit: NameLimit) =>
      out.push({ from: path, input: lease.id, inputWhat: "a lease id", role, name, limit });
    const children = leasePoolChildren(lease.id);
    l("the lease's node group name", autoName(children.nodeGroup), LIMITS.eksNodeGroupName);
    l("the lease's security group name", autoName(children.securityGroup), LIMITS.securityGroupName);
    l("the lease's launch template name", autoName(children.launchTemplate), LIMITS.launchTemplateName);
    const pool = pools.find((p) => p.name === lease.placement.pool);
    if (pool?.placementGroup) {
      l("the lease's placement group name", autoName(children.placementGroup), LIMITS.placementGroupName);
    }
    // The group description names the tenant too: it is blamed on the lease id, the longer part.
    l("the lease's security group description", DESCRIPTIONS.leaseGroup(tenant, lease.id), LIMITS.securityGroupDescription);
    l("the lease's security group rule description", DESCRIPTIONS.leaseOwnNodes(lease.id), LIMITS.securityGroupRuleDescription);
    if (pool?.efa) l("the lease's EFA rule description", DESCRIPTIONS.leaseEfa(lease.id), LIMITS.securityGroupRuleDescription);
    l("the lease's Name tag", NAME_TAGS.lease(tenant, lease.id), LIMITS.tagValue);
    l("the leasehold:lease tag", lease.id, LIMITS.tagValue);
    l("the lease's node label value", lease.id, LIMITS.eksLabelValue);
  });
  return out;
}

/**
 * The names a tenant stack on an EKS platform derives that would break their target's limit:
 * every name of {@link eksTenantNames} (an existing cluster receives only Kubernetes names, which
 * a schema-valid stack keeps by construction; see the README's limits).
 */
export function eksNamesProblems(tenant: TenantStack, platform: PlatformStack): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const d of eksTenantNames(tenant.name, tenant.config.tenant.name, tenant.config.leases, platform.config.pools)) {
    const why = nameProblem(d.limit, d.name);
    if (!why) continue;
    const key = `${formatPath(d.from)} ${d.role}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const budget =
      d.name.includes(d.input) && d.name.length > d.limit.max
        ? `; on this platform expected ${d.inputWhat} of at most ${d.limit.max - (d.name.length - d.input.length)} characters`
        : "";
    const suffix = d.name.endsWith(PULUMI_AUTONAME_SUFFIX) ? " (xxxxxxx: Pulumi's random suffix)" : "";
    problems.push({
      file: tenant.file,
      path: formatPath(d.from),
      line: d.from.length ? tenant.locate(d.from) : undefined,
      message: `on EKS (platform ${platform.name}) ${d.role} would be ${JSON.stringify(d.name)}${suffix}: ${why} for ${d.limit.what} (${d.limit.source})${budget}, got ${showValue(d.input)}`,
    });
  }
  return problems;
}
