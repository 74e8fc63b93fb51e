// The address differential (issue 24): leasehold reads every CIDR a stack file may hold as
// Go's net/netip and Kubernetes read it, on a fresh random corpus each run. Go's side is
// scripts/toolchain/ipcheck (net/netip, and k8s.io/utils/net ParseCIDRSloppy, which the API server
// parses NetworkPolicy ipBlocks with); Kubernetes' side is the API server itself: it stores a
// non-canonical ipBlock, warning with the canonical spelling it reads, and refuses what it cannot
// read. leasehold accepts only canonical spellings and refuses the rest naming that same reading.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readCidr } from "../../lease/address";
import { cidrCorpus, differenceFromIpcheck, type IpcheckLine } from "../lease/address-corpus";

const SEED = Number(process.env.LEASEHOLD_CIDR_SEED ?? Date.now() % 2147483648);

function findOnPath(bin: string, PATH: string): string {
  for (const dir of PATH.split(path.delimiter)) {
    const p = path.join(dir, bin);
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error(`${bin} is not on the e2e PATH (scripts/toolchain/build.sh builds it): ${PATH}`);
}

describe(`CIDRs as Go and the API server read them (LEASEHOLD_CIDR_SEED=${SEED})`, () => {
  it("leasehold accepts exactly Go's canonical spellings and names Kubernetes' reading of every other (ipcheck, 20,000 random IPv4 and 20,000 random IPv6 spellings)", () => {
    const e2e = inject("e2e");
    const corpus = cidrCorpus(20_000, SEED);
    const r = spawnSync(findOnPath("ipcheck", e2e.PATH), { input: corpus.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as IpcheckLine);
    expect(lines.map((l) => l.in)).toEqual(corpus);
    const differences = lines.map((l) => differenceFromIpcheck(l, readCidr)).filter((d) => d !== undefined);
    console.log(
      `[addresses] ${corpus.length} spellings: ${lines.filter((l) => readCidr(l.in).ok).length} canonical, ${differences.length} differences from Go's readers`,
    );
    expect(differences.slice(0, 20)).toEqual([]);
  });

  it("the API server warns with the same canonical spelling for every spelling leasehold refuses and it stores, none for those leasehold accepts, and refuses the rest", () => {
    const e2e = inject("e2e");
    const env = { ...process.env, PATH: e2e.PATH, KUBECONFIG: e2e.kubeconfig };
    const corpus = cidrCorpus(600, SEED);
    const stored = corpus.filter((c) => {
      const r = readCidr(c);
      return r.ok || r.canonical !== undefined;
    });
    const policy = (cidrs: string[]) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "cidr-probe", namespace: "default" },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }] },
    });
    const dryRun = (cidrs: string[]) =>
      spawnSync("kubectl", ["create", "--dry-run=server", "-o", "name", "-f", "-"], {
        input: JSON.stringify(policy(cidrs)),
        encoding: "utf8",
        env,
      });
    const differences: string[] = [];
    let warned = 0;
    // A few per request: the API server keeps only the first warnings of a response.
    for (let b = 0; b < stored.length; b += 5) {
      const batch = stored.slice(b, b + 5);
      const r = dryRun(batch);
      if (r.status !== 0) {
        differences.push(`refused ${JSON.stringify(batch)}: ${r.stderr.trim()}`);
        continue;
      }
      const said = new Map<number, Set<string>>();
      for (const line of r.stderr.split("\n")) {
        const m = /^Warning: spec\.egress\[0\]\.to\[(\d+)\]\.ipBlock\.cidr: [^"]*"[^"]*"[^"]*"([^"]*)"/.exec(line);
        if (m) said.set(Number(m[1]), (said.get(Number(m[1])) ?? new Set()).add(m[2]!));
      }
      batch.forEach((c, i) => {
        const mine = readCidr(c);
        const theirs = [...(said.get(i) ?? [])];
        if (theirs.length > 0) warned++;
        const agree = mine.ok ? theirs.length === 0 : theirs.length > 0 && theirs.every((t) => t === mine.canonical);
        if (!agree)
          differences.push(
            `${JSON.stringify(c)}: leasehold ${mine.ok ? "accepts it" : `reads ${mine.canonical}`}; the API server warned ${JSON.stringify(theirs)}`,
          );
      });
    }
    // What leasehold says Kubernetes refuses, the API server refuses (each alone).
    const unread = corpus.filter((c) => {
      const r = readCidr(c);
      return !r.ok && r.canonical === undefined;
    });
    for (const c of unread.slice(0, 80))
      if (dryRun([c]).status === 0) differences.push(`${JSON.stringify(c)}: leasehold says Kubernetes refuses it; the API server took it`);
    console.log(
      `[addresses] the API server: ${stored.length} stored (${warned} with a warning naming a canonical spelling), ${Math.min(unread.length, 80)} refused as leasehold said; ${differences.length} differences`,
    );
    expect(differences.slice(0, 20)).toEqual([]);
    expect(warned).toBeGreaterThan(100);
  });
});
