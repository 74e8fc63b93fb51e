// CIDRs as the readers that matter read them. A stack file's address reaches two of them:
// leasehold's own checks (is it metadata? is an except inside its block?) and the API server,
// which stores a NetworkPolicy ipBlock as written and means by it what Kubernetes' sloppy parser
// reads (k8s.io/utils/net ParseCIDRSloppy while StrictIPCIDRValidation is off, the default
// through 1.35): `169.254.169.0254/32` is the metadata address to Kubernetes (leading zeros are
// decimal) and 169.254.169.172 to a JavaScript reader (octal). So leasehold accepts a CIDR only in
// the one spelling every reader agrees on, Go's net/netip canonical form (what
// `netip.ParsePrefix(s).Masked().String()` gives back unchanged, the form StrictIPCIDRValidation
// asks for), and refuses any other with the canonical spelling of what Kubernetes would read.
// The e2e suite checks both readings against Go itself (scripts/toolchain/ipcheck).

/** How leasehold reads a CIDR: accepted as written, or refused with why and, when Kubernetes reads one, the canonical spelling of it. */
export type CidrReading =
  | { ok: true; family: "ipv4" | "ipv6" }
  | {
      ok: false;
      /** Why, a phrase: "a leading zero in an IPv4 field", "host bits set", ... */
      reason: string;
      /** The canonical spelling of what Kubernetes reads it as, when it reads it at all. */
      canonical?: string;
    };

type Parsed = { bytes: number[]; family: "ipv4" | "ipv6"; mapped: boolean };

/** An IPv4 address as Go's netip.ParseAddr reads it (4 decimal fields, 0-255, no leading zero); `sloppy` allows leading zeros (decimal). */
function parseV4(s: string, sloppy: boolean): number[] | string {
  const fields = s.split(".");
  if (fields.length !== 4) return fields.length < 4 ? "an IPv4 address too short" : "an IPv4 address too long";
  const out: number[] = [];
  for (const f of fields) {
    if (!/^[0-9]+$/.test(f)) return "an IPv4 field that is not a decimal number";
    if (!sloppy && (f.length > 3 || (f.length > 1 && f.startsWith("0")))) return "a leading zero in an IPv4 field";
    const n = Number(f);
    if (n > 255) return "an IPv4 field over 255";
    out.push(n);
  }
  return out;
}

/**
 * An IPv6 address as Go's netip.ParseAddr reads it (groups of 1-4 hex digits, one `::`, an IPv4
 * tail); `sloppy` allows longer groups with leading zeros.
 */
function parseV6(s: string, sloppy: boolean): number[] | string {
  if (s.includes("%")) return "an IPv6 zone";
  const halves = s.split("::");
  if (halves.length > 2) return "more than one ::";
  // An IPv4 tail only as the address's last item.
  const groups = (part: string, last: boolean): number[] | string => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (last && i === items.length - 1 && g.includes(".")) {
        const v4 = parseV4(g, sloppy);
        if (typeof v4 === "string") return v4;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9A-Fa-f]+$/.test(g)) return "an IPv6 group that is not 1 to 4 hex digits";
      if (g.length > 4 && !(sloppy && /^0+[0-9A-Fa-f]{1,4}$/.test(g))) return "an IPv6 group of more than 4 hex digits";
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  if (typeof head === "string") return head;
  let all: number[];
  if (halves.length === 2) {
    const tail = groups(halves[1]!, true);
    if (typeof tail === "string") return tail;
    if (head.length + tail.length > 7) return "an IPv6 address too long";
    all = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return head.length < 8 ? "an IPv6 address too short" : "an IPv6 address too long";
    all = head;
  }
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function parseAddr(s: string, sloppy: boolean): Parsed | string {
  if (s.includes(":")) {
    const b = parseV6(s, sloppy);
    if (typeof b === "string") return b;
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    return { bytes: b, family: "ipv6", mapped };
  }
  const b = parseV4(s, sloppy);
  return typeof b === "string" ? b : { bytes: b, family: "ipv4", mapped: false };
}

/** Zeroes the bits past `bits`. */
function mask(bytes: number[], bits: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/**
 * An address as Go's netip.Addr.String() writes it: dotted IPv4; RFC 5952 IPv6 (the longest run of
 * two or more zero groups as ::, the first on a tie, lower case).
 */
export function formatAddr(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join(".");
  const g = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/**
 * The canonical spelling of a parsed prefix, as Kubernetes reads it: masked to its length, and a
 * masked IPv6 prefix that is still IPv4-mapped (`::ffff:a.b.c.d/96` and longer) as the IPv4
 * prefix it stands for.
 */
function canonicalOf(p: Parsed, bits: number): string {
  const masked = mask(p.bytes, bits);
  const mapped = masked.length === 16 && masked.slice(0, 10).every((x) => x === 0) && masked[10] === 0xff && masked[11] === 0xff;
  if (mapped && bits >= 96) return `${masked.slice(12).join(".")}/${bits - 96}`;
  return `${formatAddr(masked)}/${bits}`;
}

/**
 * Reads a CIDR as leasehold accepts it: exactly Go's canonical form (`10.0.0.0/8`, `fd00::/8`).
 * Refused, each with the canonical spelling of what Kubernetes' sloppy reader makes of it when it
 * makes anything: leading zeros (`169.254.169.0254/32`: Kubernetes reads decimal 254), host bits
 * set (`10.0.0.1/8`), IPv6 not in RFC 5952 form (upper case, uncompressed, leading zeros in a
 * group), IPv4-mapped IPv6 (`::ffff:10.0.0.0/104`: Kubernetes reads 10.0.0.0/8), IPv6 zones,
 * leading zeros or signs in the prefix length, and anything not a CIDR.
 */
export function readCidr(v: string): CidrReading {
  const m = /^([^/]*)\/([^/]*)$/.exec(v);
  if (!m) return { ok: false, reason: "not an address, a slash and a prefix length" };
  const [, addrText, bitsText] = m as unknown as [string, string, string];
  // Kubernetes' reading, for the suggestion: leading zeros allowed (decimal), no zone.
  const sloppyAddr = parseAddr(addrText, true);
  const sloppyBits = /^[0-9]+$/.test(bitsText) ? Number(bitsText) : NaN;
  const sloppy =
    typeof sloppyAddr !== "string" && sloppyBits <= (sloppyAddr.family === "ipv4" ? 32 : 128)
      ? canonicalOf(sloppyAddr, sloppyBits)
      : undefined;
  const refuse = (reason: string): CidrReading => ({ ok: false, reason, ...(sloppy !== undefined ? { canonical: sloppy } : {}) });
  const addr = parseAddr(addrText, false);
  if (typeof addr === "string") return refuse(addr);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return refuse("a prefix length that is not a decimal number without leading zeros");
  const bits = Number(bitsText);
  if (bits > (addr.family === "ipv4" ? 32 : 128)) return refuse(`a prefix length over ${addr.family === "ipv4" ? 32 : 128}`);
  if (addr.mapped) return refuse("an IPv4-mapped IPv6 address (Kubernetes reads it as IPv4)");
  const canonical = canonicalOf(addr, bits);
  if (canonical === v) return { ok: true, family: addr.family };
  const masked = formatAddr(mask(addr.bytes, bits)) !== formatAddr(addr.bytes);
  return refuse(
    masked ? "host bits set past the prefix length" : "an IPv6 address not in its canonical form (RFC 5952: lower case, zeros compressed)",
  );
}
