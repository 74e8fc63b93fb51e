import { describe, expect, it } from "vitest";
import { compareQuantities, formatQuantity, parseQuantity, quantityError } from "../../lease/quantity";

// Quantities are kept as exact integer nano-units (value x 10^9), so every expectation below is a
// bigint: a float anywhere in the parser would show up as an off-by-one nano.

const MI = 1n << 20n;
const TI = 1n << 40n;
const NANO = 1_000_000_000n;

const nanos = (text: string | number): bigint => parseQuantity(text).nanos;

describe("parseQuantity: the API server's forms, exactly", () => {
  it("reads a plain integer (1024) as 1024 units", () => {
    expect(nanos("1024")).toBe(1024n * NANO);
  });

  it("reads the milli suffix (500m) as half a unit", () => {
    expect(nanos("500m")).toBe(500_000_000n);
  });

  it("reads a binary suffix (8Ti) as 8 x 2^40 units", () => {
    expect(nanos("8Ti")).toBe(8n * TI * NANO);
  });

  it("reads a fractional binary quantity (1.5Gi) exactly, equal to 1536Mi", () => {
    expect(nanos("1.5Gi")).toBe(1536n * MI * NANO);
    expect(nanos("1.5Gi")).toBe(nanos("1536Mi"));
    expect(compareQuantities(parseQuantity("1.5Gi"), parseQuantity("1536Mi"))).toBe(0);
  });

  it("reads a decimal exponent (2e3) as 2000 units, equal to 2k", () => {
    expect(nanos("2e3")).toBe(2000n * NANO);
    expect(compareQuantities(parseQuantity("2e3"), parseQuantity("2k"))).toBe(0);
  });

  it("reads 0.1 exactly as 100m (no binary floating point drift)", () => {
    expect(nanos("0.1")).toBe(100_000_000n);
    expect(compareQuantities(parseQuantity("0.1"), parseQuantity("100m"))).toBe(0);
  });

  it("reads an upper-case negative exponent (1E-3) as one milli-unit, not as the E (exa) suffix", () => {
    expect(nanos("1E-3")).toBe(1_000_000n);
    expect(nanos("1E")).toBe(10n ** 18n * NANO);
  });

  it("reads a number without an integer part (.5) as half a unit", () => {
    expect(nanos(".5")).toBe(500_000_000n);
  });

  it("reads a number with a trailing point (5.) as 5 units", () => {
    expect(nanos("5.")).toBe(5n * NANO);
  });

  it("reads the other decimal suffixes (k, M, G, u, n) with their powers of ten", () => {
    expect(nanos("3k")).toBe(3_000n * NANO);
    expect(nanos("3M")).toBe(3_000_000n * NANO);
    expect(nanos("3G")).toBe(3_000_000_000n * NANO);
    expect(nanos("3u")).toBe(3_000n);
    expect(nanos("3n")).toBe(3n);
  });

  it("reads a signed quantity (-500m, +2) with its sign", () => {
    expect(nanos("-500m")).toBe(-500_000_000n);
    expect(nanos("+2")).toBe(2n * NANO);
  });

  it("keeps the text it parsed", () => {
    expect(parseQuantity("1.5Gi").text).toBe("1.5Gi");
  });
});

describe("parseQuantity: numbers as YAML gives them", () => {
  it("reads the number 2000 like the text 2000", () => {
    expect(nanos(2000)).toBe(2000n * NANO);
    expect(nanos(2000)).toBe(nanos("2000"));
  });

  it("reads the number 0.1 like the text 0.1, exactly 100m", () => {
    expect(nanos(0.1)).toBe(100_000_000n);
  });

  it("reads numbers JavaScript prints in exponent form (1e21, 1e-7)", () => {
    expect(nanos(1e21)).toBe(10n ** 21n * NANO);
    expect(nanos(1e-7)).toBe(100n);
  });
});

describe("parseQuantity: anything finer than a nano-unit rounds up", () => {
  it("rounds 0.1n up to 1n", () => {
    expect(nanos("0.1n")).toBe(1n);
  });

  it("rounds 1.5n up to 2n", () => {
    expect(nanos("1.5n")).toBe(2n);
  });

  it("rounds 1e-12 up to one nano-unit", () => {
    expect(nanos("1e-12")).toBe(1n);
  });

  it("does not round a value that is a whole number of nano-units (1e-9, 2n)", () => {
    expect(nanos("1e-9")).toBe(1n);
    expect(nanos("2.0n")).toBe(2n);
  });
});

describe("compareQuantities", () => {
  it("orders by value whatever the suffixes: 999m < 1 < 1001m, 1Ki > 1k", () => {
    expect(compareQuantities(parseQuantity("999m"), parseQuantity("1"))).toBe(-1);
    expect(compareQuantities(parseQuantity("1001m"), parseQuantity("1"))).toBe(1);
    expect(compareQuantities(parseQuantity("1Ki"), parseQuantity("1k"))).toBe(1);
    expect(compareQuantities(parseQuantity("1k"), parseQuantity("1Ki"))).toBe(-1);
  });

  it("tells apart values one nano-unit apart", () => {
    expect(compareQuantities(parseQuantity("1"), parseQuantity("1000000001n"))).toBe(-1);
  });
});

describe("formatQuantity", () => {
  it("writes whole binary multiples with the largest binary suffix (1.5Gi -> 1536Mi, 8Ti -> 8Ti)", () => {
    expect(formatQuantity(parseQuantity("1.5Gi"))).toBe("1536Mi");
    expect(formatQuantity(parseQuantity("8Ti"))).toBe("8Ti");
    expect(formatQuantity(parseQuantity("1024"))).toBe("1Ki");
  });

  it("writes whole numbers that are no binary multiple without a suffix (2e3 -> 2000)", () => {
    expect(formatQuantity(parseQuantity("2e3"))).toBe("2000");
    expect(formatQuantity(parseQuantity("96"))).toBe("96");
  });

  it("writes fractions in m, u or n (0.1 -> 100m, 1.5m -> 1500u, 0.1n -> 1n)", () => {
    expect(formatQuantity(parseQuantity("0.1"))).toBe("100m");
    expect(formatQuantity(parseQuantity("1.5m"))).toBe("1500u");
    expect(formatQuantity(parseQuantity("0.1n"))).toBe("1n");
  });

  it("writes zero as 0 and keeps a negative sign", () => {
    expect(formatQuantity(parseQuantity("0Gi"))).toBe("0");
    expect(formatQuantity(parseQuantity("-500m"))).toBe("-500m");
    expect(formatQuantity(parseQuantity("-2Gi"))).toBe("-2Gi");
  });

  it("round-trips: the text it writes parses back to the same value", () => {
    for (const t of ["1024", "500m", "8Ti", "1.5Gi", "2e3", "0.1", "1E-3", ".5", "5.", "3576Gi", "1e-12"]) {
      const q = parseQuantity(t);
      expect(parseQuantity(formatQuantity(q)).nanos, t).toBe(q.nanos);
    }
  });
});

describe("quantityError and parseQuantity refuse what is not a quantity", () => {
  it("accepts the valid forms with no error", () => {
    for (const t of ["1024", "500m", "8Ti", "1.5Gi", "2e3", "0.1", "1E-3", ".5", "5."]) expect(quantityError(t), t).toBeUndefined();
  });

  it("refuses a word (lots)", () => {
    expect(quantityError("lots")).toMatch(/^"lots" is not a Kubernetes quantity \(expected a number/);
    expect(() => parseQuantity("lots")).toThrow(RangeError);
  });

  it("refuses two decimal points (1.5.3), naming the stray suffix", () => {
    expect(quantityError("1.5.3")).toContain('"1.5.3" is not a Kubernetes quantity');
    expect(quantityError("1.5.3")).toContain('unknown suffix ".3"');
    expect(() => parseQuantity("1.5.3")).toThrow(/1\.5\.3/);
  });

  it("refuses a space between number and suffix (10 Gi)", () => {
    expect(quantityError("10 Gi")).toContain('unknown suffix " Gi"');
    expect(() => parseQuantity("10 Gi")).toThrow(RangeError);
  });

  it("refuses surrounding spaces ( 10Gi )", () => {
    expect(quantityError(" 10Gi ")).toContain("surrounding spaces");
  });

  it("refuses the empty text", () => {
    expect(quantityError("")).toBe('"" is not a Kubernetes quantity (empty)');
    expect(() => parseQuantity("")).toThrow(RangeError);
  });

  it("refuses a byte-style suffix (1Gb)", () => {
    expect(quantityError("1Gb")).toContain('unknown suffix "Gb"');
    expect(() => parseQuantity("1Gb")).toThrow(RangeError);
  });

  it("refuses an exponent out of range (1e999999) without building a huge number", () => {
    expect(quantityError("1e999999")).toContain("exponent 999999 is out of range");
    expect(() => parseQuantity("1e999999")).toThrow(RangeError);
  });

  it("refuses a lower-case binary suffix (1gi) and a lone sign (-)", () => {
    expect(quantityError("1gi")).toContain('unknown suffix "gi"');
    expect(quantityError("-")).toContain("is not a Kubernetes quantity");
  });
});
