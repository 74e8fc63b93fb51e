import * as ipaddr from "ipaddr.js";
import { readCidr } from "./address";
import { z } from "zod";
import { quantityError } from "./quantity";

// The building blocks every stack schema shares. Messages start with "expected" because the
// loader appends ", got <value>" to them.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters (namespace, lease id, pool). */
export const dnsLabel = z
  .string({ error: "expected a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)" })
  .max(63, { error: "expected a DNS-1123 label of at most 63 characters" })
  .regex(DNS1123_LABEL, {
    error: "expected a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)",
  });

/**
 * The namespaces Kubernetes reserves: `default`, and every `kube-` name (`kube-system`,
 * `kube-public`, `kube-node-lease` and those to come; the API server and kubeadm create them, and
 * the `kube-` prefix is Kubernetes' own). A tenant namespace is its tenant's name, and leasehold
 * puts Pod Security `restricted`, default-deny NetworkPolicies and the tenant-admin Role into it.
 */
export function isReservedNamespace(name: string): boolean {
  return name === "default" || name.startsWith("kube-");
}

/**
 * leasehold's own namespace: the platform stack creates it, and tenant stacks put their leases'
 * reserves in it (lease/reserve.ts), out of their tenants' reach.
 */
export const SYSTEM_NAMESPACE = "leasehold-system";

/**
 * A tenant's name: a DNS-1123 label that is not a namespace Kubernetes reserves (see
 * {@link isReservedNamespace}) nor leasehold's own ({@link SYSTEM_NAMESPACE}).
 */
export const tenantName = dnsLabel
  .refine((v) => !isReservedNamespace(v), {
    error: "expected a tenant name that is not a namespace Kubernetes reserves (default, kube-*): the tenant's namespace is its name",
  })
  .refine((v) => v !== SYSTEM_NAMESPACE, {
    error: `expected a tenant name other than ${SYSTEM_NAMESPACE}, leasehold's own namespace: the tenant's namespace is its name`,
  });

/** A Kubernetes node name: a DNS-1123 subdomain of at most 253 characters. */
export const nodeName = z
  .string({ error: "expected a node name (a DNS-1123 subdomain)" })
  .max(253, { error: "expected a node name of at most 253 characters" })
  .regex(DNS1123_SUBDOMAIN, { error: "expected a node name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.')" });

/** A PriorityClass name: a DNS-1123 subdomain of at most 253 characters. */
export const priorityClassName = z
  .string({ error: "expected a PriorityClass name (a DNS-1123 subdomain)" })
  .max(253, { error: "expected a PriorityClass name of at most 253 characters" })
  .regex(DNS1123_SUBDOMAIN, { error: "expected a PriorityClass name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.')" });

/** A Kubernetes group or user name as RBAC subjects carry them: non-empty, no whitespace. */
export const subjectName = z
  .string({ error: "expected a group name such as acme:admins" })
  .regex(/^\S+$/, { error: "expected a group name without spaces, such as acme:admins" });

/** A Kubernetes quantity (`1024`, `500m`, `8Ti`, `1.5Gi`, `2e3`); numbers in YAML are accepted as their text. */
export const quantity = z
  .union([z.string(), z.number()], { error: "expected a Kubernetes quantity such as 1024, 500m, 8Ti or 1.5Gi" })
  .transform((v) => String(v))
  .superRefine((v, ctx) => {
    const why = quantityError(v);
    if (why) ctx.addIssue({ code: "custom", message: `expected a Kubernetes quantity such as 1024, 500m, 8Ti or 1.5Gi`, input: v });
    else if (v.startsWith("-")) ctx.addIssue({ code: "custom", message: "expected a quantity of zero or more", input: v });
  });

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 time with an explicit offset (`2026-12-01T00:00:00Z`, `2026-12-01T09:00:00+09:00`).
 * The calendar is checked too: `2027-02-30T00:00:00Z` is refused, not rolled over to March.
 */
export const rfc3339 = z
  .string({ error: "expected an RFC 3339 time with an offset, such as 2026-12-01T00:00:00Z" })
  .superRefine((v, ctx) => {
    const why = rfc3339Error(v);
    if (why) ctx.addIssue({ code: "custom", message: why, input: v });
  });

/** Why a text is not an RFC 3339 time with an offset, or `undefined` when it is one. */
export function rfc3339Error(v: string): string | undefined {
  const m = RFC3339.exec(v);
  if (!m) return "expected an RFC 3339 time with an offset, such as 2026-12-01T00:00:00Z";
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offset = m[8]!;
  if (offset !== "Z" && offset !== "z") {
    const [oh, om] = offset.slice(1).split(":").map(Number) as [number, number];
    if (oh > 23 || om > 59) return "expected a time whose offset is at most ±23:59";
  }
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) {
    return "expected a real calendar time (month 01-12, a day that month has, hour 00-23, minute and second 00-59)";
  }
  return undefined;
}

// The Pulumi CLI reads an unquoted YAML timestamp (`start: 2026-12-01T00:00:00Z`) as a time:
// it hands it to programs in Go's format (`2026-12-01 00:00:00 +0000 UTC`), and writes it back
// that way when it rewrites a stack file (`pulumi stack init`, `pulumi config set`). Both mean
// the RFC 3339 time the user wrote, so they are read back as such.
const GO_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-])(\d{2})(\d{2}) [A-Za-z0-9+-]+$/;

/** A value with every Go-formatted time (as the Pulumi CLI writes times) turned back into RFC 3339. */
export function fromPulumiTimes(v: unknown): unknown {
  if (typeof v === "string") {
    const m = GO_TIME.exec(v);
    return m ? `${m[1]}T${m[2]}${m[3] === "+" && m[4] === "00" && m[5] === "00" ? "Z" : `${m[3]}${m[4]}:${m[5]}`}` : v;
  }
  if (Array.isArray(v)) return v.map(fromPulumiTimes);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromPulumiTimes(x)]));
  return v;
}

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/** Milliseconds since the epoch of an RFC 3339 time; times compare as instants, whatever their offsets. */
export function instant(v: string): number {
  return Date.parse(v.toUpperCase());
}

/**
 * The instant a deploy (program and policy pack alike) judges leases at: LEASEHOLD_AT when set
 * (RFC 3339 with an offset), else now. A string explains a malformed LEASEHOLD_AT.
 */
export function deployInstantFrom(env: NodeJS.ProcessEnv = process.env, now = Date.now()): number | string {
  const at = env.LEASEHOLD_AT;
  if (at === undefined || at === "") return now;
  const why = rfc3339Error(at);
  return why ? `LEASEHOLD_AT: ${why}, got ${JSON.stringify(at)}` : instant(at);
}

/** An instant as RFC 3339 in UTC, without milliseconds when they are zero: `2026-12-01T00:00:00Z`. */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/**
 * An IPv4 or IPv6 CIDR block in its canonical form (`10.0.0.0/8`, `fd00::/8`): the one spelling
 * Go's net/netip, Kubernetes and leasehold all read alike (lease/address.ts). Any other spelling
 * is refused with what Kubernetes would read it as: `169.254.169.0254/32` is the metadata address
 * to the API server (leading zeros are decimal there), `::ffff:10.0.0.0/104` is 10.0.0.0/8.
 */
export const cidr = z.string({ error: "expected an IPv4 or IPv6 CIDR such as 10.0.0.0/8" }).superRefine((v, ctx) => {
  const r = readCidr(v);
  if (r.ok) return;
  const read = r.canonical !== undefined ? `Kubernetes reads it as ${r.canonical}` : "Kubernetes refuses it";
  ctx.addIssue({
    code: "custom",
    message: `expected a CIDR in canonical form such as 10.0.0.0/8 or fd00::/8; this one has ${r.reason}, and ${read}`,
    input: v,
  });
});

/** True when CIDR `inner` lies inside CIDR `outer` (same family) and is strictly smaller. */
export function cidrStrictlyInside(inner: string, outer: string): boolean {
  const [ia, ip] = ipaddr.parseCIDR(inner);
  const [oa, op] = ipaddr.parseCIDR(outer);
  if (ia.kind() !== oa.kind() || ip <= op) return false;
  return ia.match(oa, op);
}

/** The address family of a valid CIDR. */
export function cidrFamily(v: string): "ipv4" | "ipv6" {
  return ipaddr.parseCIDR(v)[0].kind();
}

/** A TCP/UDP port, 1-65535. */
export const port = z
  .number({ error: "expected a port number from 1 to 65535" })
  .int({ error: "expected a port number from 1 to 65535" })
  .min(1, { error: "expected a port number from 1 to 65535" })
  .max(65535, { error: "expected a port number from 1 to 65535" });

/** A positive whole number. */
export const positiveInt = z
  .number({ error: "expected a positive integer" })
  .int({ error: "expected a positive integer" })
  .positive({ error: "expected a positive integer" });
