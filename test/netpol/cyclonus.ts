// Tenant network isolation judged by cyclonus (github.com/mattfenwick/cyclonus), a NetworkPolicy
// engine that is not leasehold's: the rendered NetworkPolicies go in as policy files, flows between
// tenant pods, kube-system's DNS, the landlord's pods and outside addresses go in as a traffic file,
// and its verdict for each flow is compared with what leasehold claims (the README: default deny of
// ingress and egress, the namespace itself, DNS to kube-system, the tenant's egress list, cloud
// metadata never). leasehold has no function of its own that says whether a flow is allowed, so the
// claims are written here, from the stack file's `leasehold:tenant.network.egress` (not from the
// rendered policies, which are what is under test).
//
// cyclonus reads the traffic file as a JSON list of matcher.Traffic (pkg/matcher/traffic.go):
// {Source, Destination: {IP, Internal?: {Namespace, NamespaceLabels, PodLabels}}, Protocol,
// ResolvedPort, ResolvedPortName}. A peer without `Internal` is outside the cluster: no policy
// applies to it, and only ipBlocks can select it. For each flow it prints a table ending in
// `IS ALLOWED? | TRUE|FALSE`: ingress (the destination's policies) and egress (the source's) both
// allow it. An ipBlock matches a peer's IP whether or not the peer is a pod (as Calico does;
// Kubernetes leaves it to the network plugin): the README's limits say the same of `0.0.0.0/0`.
// IPv6 is judged with Go's net.ParseCIDR/IPNet.Contains (pkg/kube/ipaddress.go), so
// fd00:ec2::254 is judged like 169.254.169.254.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ipaddr from "ipaddr.js";

/** The cloud metadata addresses no tenant may reach (the README's claim, written out here on purpose). */
export const METADATA_ADDRESSES = ["169.254.169.254", "fd00:ec2::254"] as const;

/** The cluster DNS pods, as the rendered DNS policy selects them and as kubeadm/EKS label them. */
export const DNS_POD: Peer = {
  name: "kube-system/coredns",
  ip: "10.244.0.10",
  ns: "kube-system",
  nsLabels: { "kubernetes.io/metadata.name": "kube-system" },
  labels: { "k8s-app": "kube-dns" },
};

/** One end of a flow: a pod (with its namespace) or an address outside the cluster. */
export interface Peer {
  /** For messages. */
  name: string;
  /** IPv4 or IPv6 address. */
  ip: string;
  /** The pod's namespace; absent outside the cluster. */
  ns?: string;
  /** The namespace's labels. */
  nsLabels?: Record<string, string>;
  /** The pod's labels. */
  labels?: Record<string, string>;
}

/** A connection attempt from `from` to `to` on a destination port. */
export interface Flow {
  from: Peer;
  to: Peer;
  protocol: "TCP" | "UDP" | "SCTP";
  port: number;
  /** Which claim the flow exercises (for the summary). */
  claim: string;
}

/** A tenant's egress rule as the stack file states it. */
export interface EgressClaim {
  cidr: string;
  except?: string[];
  ports?: number[];
  protocol?: "TCP" | "UDP" | "SCTP";
}

/** What leasehold claims for one tenant: its namespace, its pods, its egress list. */
export interface TenantClaims {
  tenant: string;
  /** Namespace labels as rendered (plus `kubernetes.io/metadata.name`, which the API server adds). */
  nsLabels: Record<string, string>;
  /** Two pods of the tenant, with the labels its workloads carry. */
  pods: Peer[];
  egress: EgressClaim[];
}

const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

function inCidr(ip: string, cidr: string): boolean {
  const a = ipaddr.parse(ip);
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return a.kind() === net.kind() && a.match(net, bits);
}

function flowLabel(f: Flow): string {
  return `${f.from.name} (${f.from.ip}) -> ${f.to.name} (${f.to.ip}) ${f.protocol}/${f.port}`;
}

/** Does the tenant's egress list (the claim) allow a connection to `to`? Metadata never. */
export function egressListAllows(egress: readonly EgressClaim[], to: Peer, protocol: string, port: number): boolean {
  if (METADATA_ADDRESSES.some((m) => ipaddr.parse(m).toNormalizedString() === ipaddr.parse(to.ip).toNormalizedString())) return false;
  return egress.some((r) => {
    if (!inCidr(to.ip, r.cidr) || (r.except ?? []).some((e) => inCidr(to.ip, e))) return false;
    // A rule without ports allows every port, of every protocol unless it names one.
    if (!r.ports) return r.protocol === undefined || r.protocol === protocol;
    return (r.protocol ?? "TCP") === protocol && r.ports.includes(port);
  });
}

/**
 * leasehold's claim for a flow under the policies of the given tenants (those not given have no
 * policy, as if their policies were not loaded): egress from a tenant's pod goes only to its own
 * namespace, to kube-system's DNS pods on 53/UDP and 53/TCP, and to its egress list (metadata
 * never); ingress to a tenant's pod comes only from its own namespace.
 */
export function claimed(flow: Flow, tenants: readonly TenantClaims[]): boolean {
  const src = tenants.find((t) => t.tenant === flow.from.ns);
  const dst = tenants.find((t) => t.tenant === flow.to.ns);
  const sameNs = flow.from.ns !== undefined && flow.from.ns === flow.to.ns;
  if (dst && !sameNs) return false;
  if (!src || sameNs) return true;
  const dns =
    flow.to.ns === "kube-system" &&
    flow.to.nsLabels?.["kubernetes.io/metadata.name"] === "kube-system" &&
    flow.to.labels?.["k8s-app"] === "kube-dns" &&
    flow.port === 53 &&
    (flow.protocol === "UDP" || flow.protocol === "TCP");
  return dns || egressListAllows(src.egress, flow.to, flow.protocol, flow.port);
}

/** Addresses to probe a block with: its first, a middle and its last address (IPv4 or IPv6). */
export function sampleAddresses(cidr: string): string[] {
  const [net, bits] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray();
  const width = bytes.length * 8;
  const base = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  const size = 1n << BigInt(width - bits);
  const first = (base >> BigInt(width - bits)) << BigInt(width - bits);
  const toIp = (v: bigint): string => {
    const out: number[] = [];
    for (let i = bytes.length - 1; i >= 0; i--) out[i] = Number((v >> BigInt(8 * (bytes.length - 1 - i))) & 0xffn);
    return ipaddr.fromByteArray(out).toString();
  };
  return [...new Set([toIp(first), toIp(first + size / 2n + 7n * (size > 16n ? 1n : 0n)), toIp(first + size - 1n)])];
}

/** The address right after a block (outside it), unless the block reaches the end of its family. */
export function nextOutside(cidr: string): string | undefined {
  const [net, bits] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray();
  const width = bytes.length * 8;
  if (bits === 0) return undefined;
  let v = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  v = ((v >> BigInt(width - bits)) + 1n) << BigInt(width - bits);
  if (v >> BigInt(width) !== 0n) return undefined;
  const out: number[] = [];
  for (let i = bytes.length - 1; i >= 0; i--) out[i] = Number((v >> BigInt(8 * (bytes.length - 1 - i))) & 0xffn);
  return ipaddr.fromByteArray(out).toString();
}

/** Every flow that puts a tenant's claims to the test, against the other tenants and the landlord's pods. */
export function tenantFlows(t: TenantClaims, others: readonly TenantClaims[], landlord: readonly Peer[]): Flow[] {
  const flows: Flow[] = [];
  const [a, b] = t.pods as [Peer, Peer];
  const add = (from: Peer, to: Peer, protocol: Flow["protocol"], port: number, claim: string) =>
    flows.push({ from, to, protocol, port, claim });
  const allowedPorts = [...new Set([...t.egress.flatMap((r) => r.ports ?? []), 443, 80])];

  // The namespace itself, both ways, any port or protocol.
  for (const [p, port] of [
    ["TCP", 22],
    ["TCP", 443],
    ["TCP", 8080],
    ["UDP", 53],
    ["UDP", 4791],
    ["SCTP", 9000],
  ] as const) {
    add(a, b, p, port, "same namespace");
    add(b, a, p, port, "same namespace");
  }
  // DNS: kube-system's DNS pods on 53 only; not other kube-system pods, not a look-alike elsewhere.
  add(a, DNS_POD, "UDP", 53, "DNS");
  add(a, DNS_POD, "TCP", 53, "DNS");
  for (const [p, port] of [
    ["UDP", 5353],
    ["TCP", 80],
    ["TCP", 9153],
    ["SCTP", 53],
  ] as const)
    add(a, DNS_POD, p, port, "DNS pods, other ports");
  for (const l of landlord) {
    for (const p of ["UDP", "TCP"] as const) add(a, l, p, 53, "landlord pods (not DNS)");
    for (const port of allowedPorts) add(a, l, "TCP", port, "landlord pods (not DNS)");
  }
  // The egress list: each block's first, middle and last address, on its ports and protocol and on others.
  for (const r of t.egress) {
    const protocol = r.protocol ?? "TCP";
    const ports = r.ports ?? [1, 443, 65535];
    const targets = [...sampleAddresses(r.cidr)];
    const outside = nextOutside(r.cidr);
    if (outside) targets.push(outside);
    for (const ip of targets) {
      const to: Peer = { name: `${r.cidr} sample`, ip };
      for (const port of ports) {
        add(a, to, protocol, port, "egress list");
        for (const other of PROTOCOLS.filter((x) => x !== protocol)) add(a, to, other, port, "egress list, other protocols");
      }
      if (r.ports)
        for (const port of [r.ports[0]! - 1, r.ports[r.ports.length - 1]! + 1, 22])
          if (!r.ports.includes(port) && port > 0 && port < 65536) add(a, to, protocol, port, "egress list, other ports");
    }
    for (const e of r.except ?? []) {
      for (const ip of sampleAddresses(e))
        for (const port of ports) add(a, { name: `${e} (except)`, ip }, protocol, port, "egress list, except");
    }
  }
  // Cloud metadata, on every port and protocol the list names (and 80, 443), inside or outside an allowed block.
  for (const ip of METADATA_ADDRESSES) {
    for (const port of allowedPorts) for (const p of PROTOCOLS) add(a, { name: "cloud metadata", ip }, p, port, "cloud metadata");
  }
  // Other tenants' pods, both ways, on the ports either side's list allows, DNS's and a few more.
  for (const o of others) {
    const ports = [...new Set([...allowedPorts, ...o.egress.flatMap((r) => r.ports ?? []), 22, 8080])];
    for (const op of o.pods) {
      for (const port of ports) {
        add(a, op, "TCP", port, "other tenants");
        add(op, a, "TCP", port, "other tenants");
      }
      for (const p of ["UDP", "TCP"] as const) {
        add(a, op, p, 53, "other tenants");
        add(op, a, p, 53, "other tenants");
      }
    }
  }
  // Ingress from anything outside the namespace: the landlord's pods, DNS, the internet.
  for (const from of [...landlord, DNS_POD, { name: "internet", ip: "203.0.113.7" }, { name: "internet (IPv6)", ip: "2001:db8::7" }]) {
    for (const port of [22, 443, 8080]) add(from, a, "TCP", port, "ingress from outside the namespace");
    add(from, a, "UDP", 53, "ingress from outside the namespace");
  }
  return flows;
}

/** The flows as cyclonus's traffic file (a JSON list of matcher.Traffic). */
export function toTraffic(flows: readonly Flow[]): unknown[] {
  const peer = (p: Peer) => ({
    IP: p.ip,
    ...(p.ns ? { Internal: { Namespace: p.ns, NamespaceLabels: p.nsLabels ?? {}, PodLabels: p.labels ?? {} } } : {}),
  });
  return flows.map((f) => ({
    Source: peer(f.from),
    Destination: peer(f.to),
    Protocol: f.protocol,
    ResolvedPort: f.port,
    ResolvedPortName: "",
  }));
}

/** The verdicts of `cyclonus analyze --mode query-traffic`, in the order of its traffic file. */
export function parseQueryTraffic(stdout: string): boolean[] {
  const verdicts: boolean[] = [];
  const blocks = stdout.split(/^Traffic:$/m).slice(1);
  for (const block of blocks) {
    const m = /^\|\s*IS ALLOWED\?\s*\|\s*(TRUE|FALSE)\s*\|/m.exec(block);
    if (!m) throw new Error(`cyclonus printed a traffic block without a verdict:\n${block}`);
    verdicts.push(m[1] === "TRUE");
  }
  return verdicts;
}

/** A flow on which cyclonus and leasehold's claim disagree. */
export interface Mismatch {
  flow: string;
  claim: string;
  claimed: boolean;
  cyclonus: boolean;
}

/** Flows on which the engine's verdicts differ from the claims; throws when the counts differ. */
export function compare(flows: readonly Flow[], verdicts: readonly boolean[], tenants: readonly TenantClaims[]): Mismatch[] {
  if (verdicts.length !== flows.length) throw new Error(`cyclonus judged ${verdicts.length} flows, ${flows.length} were given`);
  const out: Mismatch[] = [];
  flows.forEach((f, i) => {
    const c = claimed(f, tenants);
    if (c !== verdicts[i]) out.push({ flow: flowLabel(f), claim: f.claim, claimed: c, cyclonus: verdicts[i]! });
  });
  return out;
}

/** Runs cyclonus on NetworkPolicy objects and flows; returns its verdicts (one per flow) and its output. */
export function judge(cyclonus: string, policies: readonly object[], flows: readonly Flow[]): { verdicts: boolean[]; stdout: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-cyclonus-"));
  try {
    fs.mkdirSync(path.join(dir, "policies"));
    // One NetworkPolicyList (JSON is YAML): cyclonus reads a list or a single policy per file.
    fs.writeFileSync(
      path.join(dir, "policies", "list.yaml"),
      JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicyList", items: policies }),
    );
    fs.writeFileSync(path.join(dir, "traffic.json"), JSON.stringify(toTraffic(flows)));
    const r = spawnSync(
      cyclonus,
      ["analyze", "--mode", "query-traffic", "--policy-path", path.join(dir, "policies"), "--traffic-path", path.join(dir, "traffic.json")],
      {
        encoding: "utf8",
        maxBuffer: 1 << 30,
      },
    );
    if (r.status !== 0) throw new Error(`cyclonus exited with ${r.status ?? r.signal}: ${r.stderr}`);
    return { verdicts: parseQueryTraffic(r.stdout), stdout: r.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
