import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { checkFleet } from "../../lease/fleet";
import { loadStackText, type Stack } from "../../lease/load";

// Whatever a user writes, the loader answers with problems, never an exception: a stack trace is
// never the answer to a user mistake. Values are drawn from a fixed-seed generator so a failure
// is reproducible.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ATOMS: unknown[] = [
  null,
  0,
  -1,
  1.5,
  8,
  "",
  "x",
  "h100-80gb",
  "2027-01-01T00:00:00Z",
  "8Ti",
  "0.0.0.0/0",
  "10.0.0.0/33",
  "fd00::/8",
  "169.254.169.254/32",
  true,
  [],
  {},
];
const KEYS = [
  "cidr",
  "except",
  "cidr",
  "role",
  "platform",
  "tenant",
  "leases",
  "cluster",
  "pools",
  "gpuTypes",
  "id",
  "gpu",
  "type",
  "count",
  "window",
  "start",
  "end",
  "placement",
  "pool",
  "nodes",
  "reclaim",
  "noticeHours",
  "notice",
  "name",
  "access",
  "network",
  "egress",
  "cidr",
  "except",
  "ports",
  "resources",
];

function value(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth <= 0 || pick < 0.4) return ATOMS[Math.floor(r() * ATOMS.length)];
  if (pick < 0.6) return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth - 1);
  return o;
}

describe("loader robustness", () => {
  // Random values almost never make a valid stack; whole fleets, valid ones included, are fuzzed
  // through the CLI in test/cli/fuzz.test.ts.
  it("answers 2,000 random configs of both roles with a result, never an exception", () => {
    const r = rng(42);
    const valid: Stack[] = [];
    for (let i = 0; i < 2000; i++) {
      const config: Record<string, unknown> = { "leasehold:role": i % 2 ? "tenant" : "platform" };
      for (const k of ["platform", "tenant", "leases", "cluster", "pools", "gpuTypes"])
        if (r() < 0.7) config[`leasehold:${k}`] = value(r, 4);
      const text = stringify({ config });
      const result = loadStackText(i % 2 ? "stacks/Pulumi.tenant-x.yaml" : "stacks/Pulumi.platform-x.yaml", text);
      if (result.ok) valid.push(result.stack);
      else for (const p of result.problems) expect(p.message.length).toBeGreaterThan(0);
    }
    // Whatever few validate still meet the fleet rules without an exception.
    expect(() => checkFleet(valid)).not.toThrow();
  });

  it("answers truncated and garbled versions of a real stack file with problems, never an exception", () => {
    const text = stringify({
      config: {
        "leasehold:role": "tenant",
        "leasehold:platform": "platform-local",
        "leasehold:tenant": { name: "acme" },
        "leasehold:leases": [
          {
            id: "a",
            gpu: { type: "h100-80gb", count: 8 },
            window: { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" },
            placement: { pool: "p" },
            reclaim: { noticeHours: 1 },
          },
        ],
      },
    });
    const r = rng(7);
    for (let cut = 0; cut < text.length; cut += 3) {
      expect(() => loadStackText("stacks/Pulumi.tenant-acme.yaml", text.slice(0, cut))).not.toThrow();
      const garbled = text.slice(0, cut) + "{[:,&*!|>'\"%@`"[Math.floor(r() * 14)] + text.slice(cut + 1);
      expect(() => loadStackText("stacks/Pulumi.tenant-acme.yaml", garbled)).not.toThrow();
    }
  });
});
