/**
 * Kubernetes resource quantities (`1024`, `500m`, `8Ti`, `1.5Gi`, `2e3`), parsed exactly.
 *
 * The grammar is the API server's (k8s.io/apimachinery/pkg/api/resource):
 *   <quantity> ::= <signedNumber><suffix>
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei | m | "" | k | M | G | T | P | E | e<signedNumber> | E<signedNumber>
 * Values are kept as integer nano-units in a bigint, so `1.5Gi` and `1536Mi` compare equal and
 * `0.1` CPU never turns into 0.09999. Like the API server, anything finer than a nano-unit rounds up.
 */

/** A parsed quantity: the value in nano-units (1e-9), exact. */
export interface Quantity {
  /** The value times 10^9. */
  readonly nanos: bigint;
  /** The text it was parsed from. */
  readonly text: string;
}

const NUMBER = /^([+-]?)(\d+\.?\d*|\.\d+)(.*)$/;
const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
// The API server refuses exponents it cannot represent; a bound also keeps a typo such as
// `1e999999999` from allocating a billion-digit bigint.
const MAX_EXPONENT = 100;

/** Why a text is not a quantity, or `undefined` when it is one. */
export function quantityError(text: string): string | undefined {
  const r = tryParse(text);
  return typeof r === "string" ? r : undefined;
}

/** Parses a quantity; throws a RangeError naming the text when it is not one. */
export function parseQuantity(input: string | number): Quantity {
  const r = tryParse(typeof input === "number" ? String(input) : input);
  if (typeof r === "string") throw new RangeError(r);
  return r;
}

/** `a - b` as a sign: negative when a < b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** A quantity from nano-units, written in the shortest exact form without a binary suffix. */
export function quantityFromNanos(nanos: bigint): Quantity {
  return { nanos, text: formatNanos(nanos) };
}

/** `q x factor` for a non-negative integer factor. */
export function scaleQuantity(q: Quantity, factor: number): Quantity {
  if (!Number.isInteger(factor) || factor < 0) throw new RangeError(`factor must be a non-negative integer, got ${factor}`);
  return quantityFromNanos(q.nanos * BigInt(factor));
}

/** `a + b`. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return quantityFromNanos(a.nanos + b.nanos);
}

/**
 * Canonical text: binary suffixes when the value is a whole number of KiB..EiB and at least 1Ki,
 * else decimal (`m`, `n` for fractions). Mirrors the API server's canonical form closely enough
 * for quotas to round-trip.
 */
export function formatQuantity(q: Quantity): string {
  return formatNanos(q.nanos);
}

function formatNanos(nanos: bigint): string {
  const sign = nanos < 0n ? "-" : "";
  const abs = nanos < 0n ? -nanos : nanos;
  if (abs === 0n) return "0";
  if (abs % 1_000_000_000n === 0n) {
    const units = abs / 1_000_000_000n;
    for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
      const base = BINARY[suffix]!;
      if (units >= base && units % base === 0n) return `${sign}${units / base}${suffix}`;
    }
    return `${sign}${units}`;
  }
  if (abs % 1_000_000n === 0n) return `${sign}${abs / 1_000_000n}m`;
  if (abs % 1_000n === 0n) return `${sign}${abs / 1_000n}u`;
  return `${sign}${abs}n`;
}

function tryParse(text: string): Quantity | string {
  const bad = (why: string) => `${JSON.stringify(text)} is not a Kubernetes quantity (${why})`;
  if (text.length === 0) return bad("empty");
  if (text.trim() !== text) return bad("surrounding spaces");
  const m = NUMBER.exec(text);
  if (!m) return bad("expected a number such as 1024, 500m, 8Ti, 1.5Gi or 2e3");
  const [, sign, digits, suffix] = m as unknown as [string, string, string, string];
  const [intPart, fracPart = ""] = digits.split(".");
  // mantissa = int.frac as an integer, scaled by 10^-frac.length
  let mantissa = BigInt((intPart || "0") + fracPart);
  let exp10 = -fracPart.length;
  let binary = 1n;
  if (suffix in BINARY) {
    binary = BINARY[suffix]!;
  } else if (suffix in DECIMAL) {
    exp10 += DECIMAL[suffix]!;
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    const e = Number(suffix.slice(1));
    if (Math.abs(e) > MAX_EXPONENT) return bad(`exponent ${e} is out of range`);
    exp10 += e;
  } else {
    return bad(`unknown suffix ${JSON.stringify(suffix)}; use one of Ki Mi Gi Ti Pi Ei m k M G T P E or an exponent`);
  }
  if (sign === "-") mantissa = -mantissa;
  // nanos = mantissa * binary * 10^(exp10 + 9), rounded up (toward +infinity) like the API server
  const shift = exp10 + 9;
  let nanos: bigint;
  if (shift >= 0) {
    nanos = mantissa * binary * 10n ** BigInt(shift);
  } else {
    const div = 10n ** BigInt(-shift);
    const num = mantissa * binary;
    nanos = num / div;
    if (num % div !== 0n && num > 0n) nanos += 1n;
  }
  return { nanos, text };
}
