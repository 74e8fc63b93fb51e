// CIDR spellings for the address differential (lease/address.ts against Go's net/netip and
// Kubernetes' k8s.io/utils/net, scripts/toolchain/ipcheck): every kind of non-canonical form the
// readers might disagree on, and random addresses with leading zeros, upper case, padded groups,
// host bits and every prefix length.

const V4 = [
  "0.0.0.0",
  "10.0.0.0",
  "10.0.0.1",
  "169.254.169.254",
  "169.254.169.0254",
  "010.1.1.1",
  "1.2.3",
  "1.2.3.4.5",
  "256.1.1.1",
  "00.0.0.0",
  "0000000254.1.1.1",
  "1.2.3.04",
  "255.255.255.255",
  "1.2.3.-4",
  "1..2.3",
  "a.b.c.d",
  "0x10.1.1.1",
];
const V6 = [
  "::",
  "::1",
  "fe80::",
  "FE80::",
  "fe80:0::",
  "fe80:0000::",
  "0:0:0:0:0:0:0:0",
  "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7::",
  "::1:2:3:4:5:6:7",
  "1:2:3:4:5:6:7::8",
  "1::2::3",
  "00001::",
  "12345::",
  "::ffff:1.2.3.4",
  "::FFFF:1.2.3.4",
  "::ffff:0:0",
  "::ffff:a00:1",
  "1::1.2.3.4",
  "1::01.2.3.4",
  "1.2.3.4::",
  "::1.2.3.4",
  "64:ff9b::1.2.3.4",
  "fd00:ec2::254",
  "fd00:ec2::0254",
  "fd00:EC2::254",
  "2001:db8:0:0:1:0:0:1",
  "2001:db8::1:0:0:1",
  "2001:0db8::1",
  "fe80::1%eth0",
  "fe80::1%",
  "::ffff:169.254.169.254",
  "0:0:0:0:0:ffff:a9fe:a9fe",
  "1:0:0:2:0:0:0:3",
  "1:0:0:0:2:0:0:3",
  "0:0::0:1",
  ":1::",
  "1::",
  ":::",
  "::0:",
  "1:2:3:4:5:6:1.2.3.4",
  "1:2:3:4:5:6:7:1.2.3.4",
];
const V4_BITS = ["0", "8", "08", "16", "24", "30", "32", "33", "+8", "", "00"];
const V6_BITS = ["0", "8", "08", "00", "+8", "-1", "32", "33", "64", "96", "104", "128", "129", "", "1 ", "0x8", "3e1"];
const ODD = ["10.0.0.0", "10.0.0.0//8", "/8", "10.0.0.0/8/8", " 10.0.0.0/8", "10.0.0.0/8\t", "10.0.0.0 /8"];

/**
 * The corpus: the listed spellings, then `random` random ones from `seed` (the mulberry32
 * generator, so a seed gives the same list everywhere).
 */
export function cidrCorpus(random: number, seed = 7): string[] {
  const out = new Set<string>();
  for (const a of V4) for (const b of V4_BITS) out.add(`${a}/${b}`);
  for (const a of V6) for (const b of V6_BITS) out.add(`${a}/${b}`);
  for (const x of ODD) out.add(x);
  let s = seed;
  // mulberry32: 32-bit integer steps only (a linear congruential step in doubles lost its low
  // bits past 2^53 and cycled within a couple of thousand values).
  const rnd = (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  for (let i = 0; i < random; i++) {
    const oct = () => {
      const n = rnd(256);
      return rnd(6) === 0 ? "0".repeat(1 + rnd(2)) + n : String(n);
    };
    out.add(`${oct()}.${oct()}.${oct()}.${oct()}/${rnd(3) === 0 ? 32 : rnd(34)}`);
    const group = () => {
      const h = (rnd(4) === 0 ? 0 : rnd(65536)).toString(16);
      return rnd(8) === 0 ? h.toUpperCase() : rnd(8) === 0 ? h.padStart(4, "0") : h;
    };
    const groups = Array.from({ length: 8 }, group);
    let v6 = groups.join(":");
    if (rnd(2) === 0) {
      const at = rnd(8);
      const len = 1 + rnd(8 - at);
      v6 = `${groups.slice(0, at).join(":")}::${groups.slice(at + len).join(":")}`;
    }
    if (rnd(10) === 0) v6 = `::ffff:${oct()}.${oct()}.${oct()}.${oct()}`;
    out.add(`${v6}/${rnd(3) === 0 ? 128 : rnd(130)}`);
  }
  return [...out];
}

/** One line of ipcheck's output (scripts/toolchain/ipcheck/main.go). */
export interface IpcheckLine {
  in: string;
  netip: { ok: boolean; masked?: string; mapped?: boolean; err?: string };
  sloppy: { ok: boolean; network?: string };
}

/**
 * Where leasehold's reading of one spelling differs from the reference readers', or undefined:
 * it must accept exactly what Go's netip reads back unchanged (masked, not IPv4-mapped), and
 * refuse the rest with what Kubernetes' sloppy reader makes of it (none where that refuses it).
 */
export function differenceFromIpcheck(l: IpcheckLine, read: (v: string) => { ok: boolean; canonical?: string }): string | undefined {
  const mine = read(l.in);
  const strict = l.netip.ok && !l.netip.mapped && l.netip.masked === l.in;
  if (mine.ok !== strict)
    return `${JSON.stringify(l.in)}: leasehold ${mine.ok ? "accepts" : "refuses"} it; Go's netip reads ${l.netip.ok ? l.netip.masked : `nothing (${l.netip.err})`}`;
  if (mine.ok) return undefined;
  const kube = l.sloppy.ok ? l.sloppy.network : undefined;
  if (mine.canonical !== kube)
    return `${JSON.stringify(l.in)}: leasehold says Kubernetes reads ${mine.canonical ?? "nothing"}; k8s.io/utils/net reads ${kube ?? "nothing"}`;
  return undefined;
}
