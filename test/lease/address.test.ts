import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatAddr, readCidr } from "../../lease/address";
import { cidrCorpus, differenceFromIpcheck, type IpcheckLine } from "./address-corpus";

// leasehold's reading of CIDRs against Go's net/netip and Kubernetes' k8s.io/utils/net, as
// scripts/toolchain/ipcheck printed them for the corpus (test/fixtures/ipcheck.jsonl). After a
// change to the corpus, print it again:
//   scripts/toolchain/build.sh ipcheck && UPDATE_IPCHECK_FIXTURE=1 npx vitest run test/lease/address.test.ts
// The e2e suite runs ipcheck itself on a fresh random corpus, and the API server on the same.

const FIXTURE = path.resolve(__dirname, "../fixtures/ipcheck.jsonl");
const CORPUS = cidrCorpus(500);

describe("readCidr", () => {
  it("accepts the canonical forms", () => {
    for (const v of ["0.0.0.0/0", "10.0.0.0/8", "169.254.169.254/32", "fd00::/8", "::/0", "2001:db8::1:0:0:1/128", "fd00:ec2::254/128"])
      expect(readCidr(v), v).toMatchObject({ ok: true });
  });

  it("refuses each kind of other spelling, with what Kubernetes reads it as (round3/octal-cidr)", () => {
    const cases: [string, string, string | undefined][] = [
      ["169.254.169.0254/32", "a leading zero in an IPv4 field", "169.254.169.254/32"],
      ["10.0.0.1/8", "host bits set past the prefix length", "10.0.0.0/8"],
      ["10.0.0.0/08", "a prefix length that is not a decimal number without leading zeros", "10.0.0.0/8"],
      ["::ffff:10.0.0.0/104", "an IPv4-mapped IPv6 address (Kubernetes reads it as IPv4)", "10.0.0.0/8"],
      ["::ffff:0:0/96", "an IPv4-mapped IPv6 address (Kubernetes reads it as IPv4)", "0.0.0.0/0"],
      ["FD00::/8", "an IPv6 address not in its canonical form (RFC 5952: lower case, zeros compressed)", "fd00::/8"],
      ["2001:0db8::1/128", "an IPv6 address not in its canonical form (RFC 5952: lower case, zeros compressed)", "2001:db8::1/128"],
      ["fe80::1%eth0/64", "an IPv6 zone", undefined],
      ["10.0.0.0/33", "a prefix length over 32", undefined],
      ["10.0.0.1", "not an address, a slash and a prefix length", undefined],
    ];
    for (const [v, reason, canonical] of cases) expect(readCidr(v), v).toEqual({ ok: false, reason, ...(canonical ? { canonical } : {}) });
  });

  it("writes IPv6 as RFC 5952 does: the longest run of two or more zero groups as ::, the first of equal runs", () => {
    const bytes = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
    expect(formatAddr(bytes([1, 0, 0, 2, 0, 0, 0, 3]))).toBe("1:0:0:2::3");
    expect(formatAddr(bytes([1, 0, 0, 2, 0, 0, 3, 4]))).toBe("1::2:0:0:3:4");
    expect(formatAddr(bytes([1, 0, 2, 0, 3, 0, 4, 0]))).toBe("1:0:2:0:3:0:4:0");
    expect(formatAddr(bytes([0, 0, 0, 0, 0, 0, 0, 0]))).toBe("::");
  });

  it("agrees with Go's net/netip and k8s.io/utils/net on every spelling of the corpus (ipcheck's fixture)", () => {
    if (process.env.UPDATE_IPCHECK_FIXTURE) {
      const out = execFileSync("ipcheck", { input: CORPUS.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
      fs.writeFileSync(FIXTURE, out);
    }
    const lines = fs
      .readFileSync(FIXTURE, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as IpcheckLine);
    expect(lines.map((l) => l.in)).toEqual(CORPUS);
    const differences = lines.map((l) => differenceFromIpcheck(l, readCidr)).filter((d) => d !== undefined);
    expect(differences).toEqual([]);
    // The fixture holds both verdicts, so that the test can fail either way.
    expect(lines.filter((l) => readCidr(l.in).ok).length).toBeGreaterThan(50);
    expect(lines.filter((l) => !readCidr(l.in).ok && l.sloppy.ok).length).toBeGreaterThan(100);
  });
});
