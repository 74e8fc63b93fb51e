// The parts of the cyclonus check that need no cyclonus binary (the unit suite runs before the
// toolchain is built): reading its output, and the claims each verdict is held to. The output is a
// fixture printed by cyclonus v0.5.6 itself for the flows and the deliberately broken policy set
// below (cloud metadata allowed); regenerate it with
//   UPDATE_CYCLONUS_FIXTURE=1 npx vitest run test/netpol/cyclonus.test.ts
// after `scripts/toolchain/build.sh cyclonus`. The e2e suite (test/e2e/network-policy.e2e.ts) runs
// the binary on the real render.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  claimed,
  compare,
  DNS_POD,
  type Flow,
  judge,
  nextOutside,
  parseQueryTraffic,
  type Peer,
  sampleAddresses,
  type TenantClaims,
} from "./cyclonus";

const FIXTURE = path.join(__dirname, "fixtures", "query-traffic-broken.txt");

const nsLabels = (ns: string) => ({ "kubernetes.io/metadata.name": ns, "leasehold.io/tenant": ns });
const pod = (ns: string, ip: string): Peer => ({
  name: `${ns}/train`,
  ip,
  ns,
  nsLabels: nsLabels(ns),
  labels: { app: "train", "leasehold.io/tenant": ns },
});
const ACME = pod("acme", "10.244.1.10");
const BLUEFIN = pod("bluefin", "10.244.2.10");
const acme: TenantClaims = {
  tenant: "acme",
  nsLabels: nsLabels("acme"),
  pods: [ACME, pod("acme", "10.244.1.11")],
  egress: [{ cidr: "0.0.0.0/0", except: ["169.254.169.254/32"], ports: [443] }],
};

const FLOWS: Flow[] = [
  { from: ACME, to: { name: "cloud metadata", ip: "169.254.169.254" }, protocol: "TCP", port: 443, claim: "cloud metadata" },
  { from: ACME, to: { name: "public", ip: "8.8.8.8" }, protocol: "TCP", port: 443, claim: "egress list" },
  { from: ACME, to: DNS_POD, protocol: "UDP", port: 53, claim: "DNS" },
  { from: BLUEFIN, to: ACME, protocol: "TCP", port: 443, claim: "other tenants" },
];

/** acme's four NetworkPolicies as leasehold renders them, except that the egress rule lost its `except`. */
function brokenAcmePolicies(): object[] {
  const meta = (name: string) => ({ name, namespace: "acme" });
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("leasehold-default-deny"),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("leasehold-allow-same-namespace"),
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("leasehold-allow-dns"),
      spec: {
        podSelector: {},
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
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("leasehold-allow-egress"),
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] }],
      },
    },
  ];
}

if (process.env.UPDATE_CYCLONUS_FIXTURE) {
  const bin = path.join(
    process.env.LEASEHOLD_CACHE ?? path.join(os.homedir(), ".cache", "leasehold"),
    "toolchain",
    "cyclonus-v0.5.6",
    "bin",
    "cyclonus",
  );
  fs.mkdirSync(path.dirname(FIXTURE), { recursive: true });
  fs.writeFileSync(FIXTURE, judge(bin, brokenAcmePolicies(), FLOWS).stdout);
}

describe("reading cyclonus's query-traffic output", () => {
  const stdout = fs.readFileSync(FIXTURE, "utf8");

  it("reads one verdict per traffic block, in the order of the traffic file", () => {
    // The broken set lets the metadata flow through; the other three are judged as leasehold claims.
    expect(parseQueryTraffic(stdout)).toEqual([true, true, true, false]);
  });

  it("catches a broken policy set: the metadata address allowed is a disagreement with the claims", () => {
    const mismatches = compare(FLOWS, parseQueryTraffic(stdout), [acme]);
    expect(mismatches).toEqual([
      {
        flow: "acme/train (10.244.1.10) -> cloud metadata (169.254.169.254) TCP/443",
        claim: "cloud metadata",
        claimed: false,
        cyclonus: true,
      },
    ]);
  });

  it("refuses output it cannot read rather than passing it", () => {
    expect(() => parseQueryTraffic("query traffic:\nTraffic:\n| 443 |\n")).toThrow(/without a verdict/);
    expect(() => compare(FLOWS, parseQueryTraffic(stdout).slice(1), [acme])).toThrow(/judged 3 flows, 4 were given/);
    expect(parseQueryTraffic("")).toEqual([]);
  });
});

describe("leasehold's claims for a flow", () => {
  const v6: TenantClaims = {
    ...acme,
    egress: [{ cidr: "::/0", ports: [443] }, { cidr: "192.0.2.0/24" }, { cidr: "198.51.100.0/24", protocol: "UDP" }],
  };
  const to = (ip: string): Peer => ({ name: ip, ip });
  const flow = (t: Peer, protocol: Flow["protocol"], port: number, from = ACME): Flow => ({ from, to: t, protocol, port, claim: "" });

  it("never reaches cloud metadata, even inside an allowed block that does not except it", () => {
    expect(claimed(flow(to("fd00:ec2::254"), "TCP", 443), [v6])).toBe(false);
    expect(claimed(flow(to("fd00:ec2::253"), "TCP", 443), [v6])).toBe(true);
    expect(claimed(flow(to("169.254.169.254"), "TCP", 443), [{ ...acme, egress: [{ cidr: "0.0.0.0/0" }] }])).toBe(false);
  });

  it("allows a listed block on its ports and protocol only; a rule without ports on every port", () => {
    expect(claimed(flow(to("2001:db8::1"), "TCP", 80), [v6])).toBe(false);
    expect(claimed(flow(to("2001:db8::1"), "UDP", 443), [v6])).toBe(false);
    expect(claimed(flow(to("192.0.2.9"), "SCTP", 7), [v6])).toBe(true);
    expect(claimed(flow(to("198.51.100.9"), "UDP", 7), [v6])).toBe(true);
    expect(claimed(flow(to("198.51.100.9"), "TCP", 7), [v6])).toBe(false);
    expect(claimed(flow(to("8.8.8.8"), "TCP", 443), [acme])).toBe(true);
    expect(claimed(flow(to("169.254.169.254"), "TCP", 443), [acme])).toBe(false);
  });

  it("allows DNS to kube-system's DNS pods on 53 only, the namespace itself, and nothing in from another tenant", () => {
    expect(claimed(flow(DNS_POD, "UDP", 53), [acme])).toBe(true);
    expect(claimed(flow(DNS_POD, "TCP", 53), [acme])).toBe(true);
    expect(claimed(flow(DNS_POD, "TCP", 80), [acme])).toBe(false);
    expect(
      claimed(flow({ ...DNS_POD, ns: "monitoring", nsLabels: { "kubernetes.io/metadata.name": "monitoring" } }, "UDP", 53), [acme]),
    ).toBe(false);
    expect(claimed(flow(acme.pods[1]!, "SCTP", 9), [acme])).toBe(true);
    expect(claimed(flow(ACME, "TCP", 443, BLUEFIN), [acme])).toBe(false);
    // Only acme's policies loaded: its egress list (0.0.0.0/0 on 443) reaches bluefin's pod IP,
    // as the README's limits say; bluefin's own ingress policy is what refuses it.
    const bluefin: TenantClaims = { ...acme, tenant: "bluefin", pods: [BLUEFIN], egress: [] };
    expect(claimed(flow(BLUEFIN, "TCP", 443), [acme])).toBe(true);
    expect(claimed(flow(BLUEFIN, "TCP", 443), [acme, bluefin])).toBe(false);
  });

  it("probes a block at its first, middle and last address, and just past it", () => {
    expect(sampleAddresses("10.20.0.0/16")).toEqual(["10.20.0.0", "10.20.128.7", "10.20.255.255"]);
    expect(sampleAddresses("169.254.169.254/32")).toEqual(["169.254.169.254"]);
    expect(sampleAddresses("fd00:ec2::/64")).toEqual(["fd00:ec2::", "fd00:ec2::8000:0:0:7", "fd00:ec2::ffff:ffff:ffff:ffff"]);
    expect(nextOutside("10.20.0.0/16")).toBe("10.21.0.0");
    expect(nextOutside("0.0.0.0/0")).toBeUndefined();
    expect(nextOutside("255.255.255.0/24")).toBeUndefined();
  });
});
