// Tenant network isolation, judged by an independent NetworkPolicy engine (cyclonus, built by the
// toolchain) on the NetworkPolicies `leasehold render` prints for every example tenant, and for a
// probe tenant whose egress list has IPv6, UDP and except blocks (no example tenant has an IPv6
// rule, so fd00:ec2::254 would otherwise be judged only outside every allowed block).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ROOT } from "../../scripts/local/toolchain";
import {
  claimed,
  compare,
  DNS_POD,
  type EgressClaim,
  type Flow,
  judge,
  METADATA_ADDRESSES,
  type Peer,
  type TenantClaims,
  tenantFlows,
} from "../netpol/cyclonus";

const AT = "2026-12-20T00:00:00Z";

/** A tenant of no example, to exercise IPv6 blocks (metadata inside ::/0 and fd00:ec2::/64), UDP, all-port rules and excepts. */
const PROBE_STACK = `config:
  leasehold:role: tenant
  leasehold:platform: platform-local
  leasehold:tenant:
    name: probe
    network:
      egress:
        - cidr: "::/0"
          ports: [443]
        - cidr: 169.254.0.0/16
          ports: [8125]
          protocol: UDP
        - cidr: 192.0.2.0/24
          except: [192.0.2.128/25]
        - cidr: "fd00:ec2::/64"
          except: ["fd00:ec2::1:0/112"]
          ports: [80, 8080]
  leasehold:leases: []
`;

/** The landlord's pods that are not DNS: another kube-system pod, and a DNS look-alike in a namespace of its own. */
const LANDLORD: Peer[] = [
  {
    name: "kube-system/metrics-server",
    ip: "10.244.0.11",
    ns: "kube-system",
    nsLabels: { "kubernetes.io/metadata.name": "kube-system" },
    labels: { "k8s-app": "metrics-server" },
  },
  {
    name: "monitoring/dns-lookalike",
    ip: "10.244.0.20",
    ns: "monitoring",
    nsLabels: { "kubernetes.io/metadata.name": "monitoring" },
    labels: { "k8s-app": "kube-dns" },
  },
];

type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

interface Rendered {
  claims: TenantClaims;
  policies: Obj[];
}

let cyclonus = "";
let stacksDir = "";
const tenants: Rendered[] = [];

function findOnPath(bin: string, PATH: string): string {
  for (const dir of PATH.split(path.delimiter)) {
    const p = path.join(dir, bin);
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error(`${bin} is not on the e2e PATH (scripts/toolchain/build.sh builds it): ${PATH}`);
}

function render(stack: string): Rendered {
  // The installed command, in a process of its own, as a user runs it.
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "bin/leasehold.js"), "render", "--stacks", stacksDir, "--stack", stack, "--at", AT],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`leasehold render --stack ${stack}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  const ns = objects.find((o) => o.kind === "Namespace");
  if (!ns) throw new Error(`leasehold render --stack ${stack} printed no Namespace`);
  const tenant = ns.metadata.name;
  const config = parseYaml(fs.readFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), "utf8")).config;
  const egress: EgressClaim[] = config["leasehold:tenant"].network?.egress ?? [];
  const lease: string = config["leasehold:leases"]?.[0]?.id ?? "";
  // The API server adds kubernetes.io/metadata.name to every namespace; the render leaves it to it.
  const nsLabels = { ...ns.metadata.labels, "kubernetes.io/metadata.name": tenant };
  const i = tenants.length + 1;
  const pods: Peer[] = [
    {
      name: `${tenant}/train`,
      ip: `10.244.${i}.10`,
      ns: tenant,
      nsLabels,
      labels: { app: "train", "leasehold.io/tenant": tenant, "leasehold.io/lease": lease },
    },
    { name: `${tenant}/notebook`, ip: `10.244.${i}.11`, ns: tenant, nsLabels, labels: { app: "notebook", "leasehold.io/tenant": tenant } },
  ];
  return { claims: { tenant, nsLabels, pods, egress }, policies: objects.filter((o) => o.kind === "NetworkPolicy") };
}

function flowsOf(t: Rendered): Flow[] {
  return tenantFlows(
    t.claims,
    tenants.filter((o) => o !== t).map((o) => o.claims),
    LANDLORD,
  );
}

function summary(flows: readonly Flow[], verdicts: readonly boolean[]): string {
  const by = new Map<string, [number, number]>();
  flows.forEach((f, i) => {
    const c = by.get(f.claim) ?? [0, 0];
    c[verdicts[i] ? 0 : 1]++;
    by.set(f.claim, c);
  });
  return [...by].map(([claim, [allowed, denied]]) => `    ${claim}: ${allowed} allowed, ${denied} denied`).join("\n");
}

beforeAll(() => {
  cyclonus = findOnPath("cyclonus", inject("e2e").PATH);
  stacksDir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-netpol-"));
  for (const f of fs.readdirSync(path.join(ROOT, "stacks"))) fs.copyFileSync(path.join(ROOT, "stacks", f), path.join(stacksDir, f));
  fs.writeFileSync(path.join(stacksDir, "Pulumi.tenant-probe.yaml"), PROBE_STACK);
  const stacks = fs
    .readdirSync(stacksDir)
    .map((f) => /^Pulumi\.(tenant-[a-z0-9-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
  for (const s of stacks) tenants.push(render(s));
});

afterAll(() => {
  if (stacksDir) fs.rmSync(stacksDir, { recursive: true, force: true });
});

describe("tenant NetworkPolicies judged by cyclonus (an independent engine)", () => {
  it("renders every example tenant and the probe tenant, each with its four NetworkPolicies", () => {
    expect(tenants.map((t) => t.claims.tenant)).toEqual(["acme", "bluefin", "corvid", "delta", "probe"]);
    for (const t of tenants)
      expect(t.policies.map((p) => p.metadata.name).sort()).toEqual([
        "leasehold-allow-dns",
        "leasehold-allow-egress",
        "leasehold-allow-same-namespace",
        "leasehold-default-deny",
      ]);
  });

  it("judges each tenant's own policies (ingress and egress each on its own) exactly as leasehold claims", () => {
    let total = 0;
    for (const t of tenants) {
      const flows = flowsOf(t);
      const t0 = Date.now();
      const { verdicts } = judge(cyclonus, t.policies, flows);
      const mismatches = compare(flows, verdicts, [t.claims]);
      total += flows.length;
      console.log(
        `[netpol] ${t.claims.tenant}, its own policies only: ${flows.length} flows judged in ${Date.now() - t0} ms, ${verdicts.filter(Boolean).length} allowed, ${mismatches.length} disagree\n${summary(flows, verdicts)}`,
      );
      expect(mismatches, `${t.claims.tenant}: cyclonus disagrees with the claims`).toEqual([]);
      // The claims themselves, stated outright (not only through claimed()).
      flows.forEach((f, i) => {
        if (f.claim === "DNS" || f.claim === "same namespace")
          expect(verdicts[i], `${f.claim}: ${f.from.name} -> ${f.to.name} ${f.protocol}/${f.port}`).toBe(true);
        if (f.claim === "cloud metadata" || f.claim === "egress list, except" || f.claim === "ingress from outside the namespace")
          expect(verdicts[i], `${f.claim}: ${f.from.name} -> ${f.to.ip} ${f.protocol}/${f.port}`).toBe(false);
        // Ingress from another tenant is refused by this tenant's own policies, whatever the other's egress.
        if (f.claim === "other tenants" && f.to.ns === t.claims.tenant)
          expect(verdicts[i], `other tenant in: ${f.from.name} -> ${f.to.name} ${f.protocol}/${f.port}`).toBe(false);
      });
    }
    console.log(`[netpol] tenants' own policies: ${total} flows judged`);
  });

  it("with every tenant's policies in place, no flow between two tenants is allowed, either way, and metadata is never reached", () => {
    const all = tenants.flatMap(flowsOf);
    const t0 = Date.now();
    const { verdicts } = judge(
      cyclonus,
      tenants.flatMap((t) => t.policies),
      all,
    );
    const mismatches = compare(
      all,
      verdicts,
      tenants.map((t) => t.claims),
    );
    const cross = all
      .map((f, i) => [f, verdicts[i]] as const)
      .filter(
        ([f]) =>
          f.from.ns &&
          f.to.ns &&
          f.from.ns !== f.to.ns &&
          tenants.some((t) => t.claims.tenant === f.from.ns) &&
          tenants.some((t) => t.claims.tenant === f.to.ns),
      );
    console.log(
      `[netpol] the fleet (${tenants.length} tenants' policies together): ${all.length} flows judged in ${Date.now() - t0} ms, ${verdicts.filter(Boolean).length} allowed; ${cross.length} flows between tenants, ${cross.filter(([, v]) => v).length} allowed; ${mismatches.length} disagree\n${summary(all, verdicts)}`,
    );
    expect(mismatches).toEqual([]);
    expect(cross.length).toBeGreaterThan(0);
    expect(cross.filter(([, v]) => v).map(([f]) => `${f.from.name} -> ${f.to.name} ${f.protocol}/${f.port}`)).toEqual([]);
    all.forEach((f, i) => {
      if (METADATA_ADDRESSES.includes(f.to.ip as (typeof METADATA_ADDRESSES)[number]))
        expect(verdicts[i], `${f.from.name} -> ${f.to.ip} ${f.protocol}/${f.port}`).toBe(false);
      if (f.to === DNS_POD && f.port === 53 && f.protocol !== "SCTP")
        expect(verdicts[i], `${f.from.name} -> DNS ${f.protocol}/53`).toBe(true);
    });
  });

  it("judges IPv6: fd00:ec2::254 is denied inside ::/0 and fd00:ec2::/64, its neighbours on the listed ports are allowed", () => {
    const probe = tenants.find((t) => t.claims.tenant === "probe")!;
    const a = probe.claims.pods[0]!;
    const flows: Flow[] = [
      { from: a, to: { name: "metadata", ip: "fd00:ec2::254" }, protocol: "TCP", port: 443, claim: "cloud metadata" },
      { from: a, to: { name: "metadata", ip: "fd00:ec2::254" }, protocol: "TCP", port: 80, claim: "cloud metadata" },
      { from: a, to: { name: "neighbour", ip: "fd00:ec2::253" }, protocol: "TCP", port: 443, claim: "egress list" },
      { from: a, to: { name: "neighbour", ip: "fd00:ec2::255" }, protocol: "TCP", port: 80, claim: "egress list" },
      { from: a, to: { name: "except", ip: "fd00:ec2::1:5" }, protocol: "TCP", port: 80, claim: "egress list, except" },
      { from: a, to: { name: "public v6", ip: "2606:4700::1111" }, protocol: "TCP", port: 443, claim: "egress list" },
      { from: a, to: { name: "public v6", ip: "2606:4700::1111" }, protocol: "TCP", port: 80, claim: "egress list, other ports" },
    ];
    expect(judge(cyclonus, probe.policies, flows).verdicts).toEqual([false, false, true, true, false, true, false]);
  });

  // Found by this suite: a protocol given without ports was dropped, and the rule allowed every
  // protocol. It now allows every port of that protocol only.
  it("an egress rule that names a protocol but no ports allows every port of that protocol, and no other protocol", () => {
    const stack = "tenant-udponly";
    const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(
      file,
      "config:\n  leasehold:role: tenant\n  leasehold:platform: platform-local\n  leasehold:tenant:\n    name: udponly\n    network:\n      egress:\n        - cidr: 198.51.100.0/24\n          protocol: UDP\n  leasehold:leases: []\n",
    );
    try {
      const t = render(stack);
      const to: Peer = { name: "198.51.100.7", ip: "198.51.100.7" };
      const flows: Flow[] = (["TCP", "UDP", "SCTP"] as const).map((protocol) => ({
        from: t.claims.pods[0]!,
        to,
        protocol,
        port: 5000,
        claim: "egress list",
      }));
      expect(flows.map((f) => claimed(f, [t.claims]))).toEqual([false, true, false]);
      expect(judge(cyclonus, t.policies, flows).verdicts).toEqual([false, true, false]);
    } finally {
      fs.rmSync(file);
    }
  });

  // Each assertion above can fail: break the rendered policies the way a regression would, and
  // cyclonus's verdicts stop matching the claims on exactly the flows concerned.
  describe("catches broken policies", () => {
    function withEgress(t: Rendered, edit: (blocks: any[]) => void): Obj[] {
      const copy = structuredClone(t.policies);
      edit(copy.find((p) => p.metadata.name === "leasehold-allow-egress")!.spec.egress);
      return copy;
    }
    function mismatches(t: Rendered, policies: Obj[]) {
      const flows = flowsOf(t);
      return compare(flows, judge(cyclonus, policies, flows).verdicts, [t.claims]);
    }
    function mismatchedClaims(t: Rendered, policies: Obj[]): Set<string> {
      return new Set(mismatches(t, policies).map((m) => m.claim));
    }

    it("169.254.169.254 reachable (acme's except dropped)", () => {
      const acme = tenants.find((t) => t.claims.tenant === "acme")!;
      const broken = withEgress(acme, (rules) => delete rules[0].to[0].ipBlock.except);
      const found = mismatches(acme, broken);
      // acme's own except is the metadata block, so its except samples are the metadata address too.
      expect(new Set(found.map((m) => m.claim))).toEqual(new Set(["cloud metadata", "egress list, except"]));
      for (const m of found) expect(m.flow).toMatch(/-> .* \(169\.254\.169\.254\) TCP\/443$/);
    });

    it("fd00:ec2::254 reachable (probe's ::/0 without its except)", () => {
      const probe = tenants.find((t) => t.claims.tenant === "probe")!;
      const broken = withEgress(probe, (rules) => delete rules[0].to[0].ipBlock.except);
      expect(mismatchedClaims(probe, broken)).toEqual(new Set(["cloud metadata"]));
    });

    it("another tenant's pods admitted (an ingress rule from every namespace)", () => {
      const bluefin = tenants.find((t) => t.claims.tenant === "bluefin")!;
      const broken = structuredClone(bluefin.policies);
      broken.find((p) => p.metadata.name === "leasehold-allow-same-namespace")!.spec.ingress.push({ from: [{ namespaceSelector: {} }] });
      expect(mismatchedClaims(bluefin, broken)).toEqual(new Set(["other tenants", "ingress from outside the namespace"]));
    });

    it("DNS lost (the DNS policy gone)", () => {
      const corvid = tenants.find((t) => t.claims.tenant === "corvid")!;
      const broken = corvid.policies.filter((p) => p.metadata.name !== "leasehold-allow-dns");
      expect(mismatchedClaims(corvid, broken)).toEqual(new Set(["DNS"]));
    });
  });
});
