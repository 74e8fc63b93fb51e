import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { contractOf, readContract } from "../../lease/contract";
import { checkFleet } from "../../lease/fleet";
import { compressHostlist, MAX_HOSTLIST_NAMES } from "../../lease/hostlist";
import { loadStackText, type PlatformStack, type TenantStack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";
import { contractOrSkip } from "../../policies/contract";
import { createResourceValidationArgs } from "../policies/util";

// An adversarial review of the compact contract (lease/contract.ts): `contractOf` writes node sets
// as Slurm hostlists (compressHostlist), `readContract` expands them back (the nodeSet schema).
// The promise under test: for any stack the loader accepts, the contract read back after a JSON
// round trip holds exactly the stack's node names, for every pool and every lease: the same set,
// the same count, no name added or lost. Plus the per-config-object cache of policies/contract.ts.

const AT = "2027-01-15T00:00:00Z";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isNodeName = (n: string) => n.length <= 253 && DNS1123_SUBDOMAIN.test(n);

/** A platform stack's text: one `existing` cluster, one h100 pool per entry of `pools`. */
function platformText(pools: readonly (readonly string[] | string | undefined)[]): string {
  const items = pools.map(
    (nodes, i) => `    - {name: p${i}, gpuType: h100-80gb${nodes === undefined ? "" : `, nodes: ${JSON.stringify(nodes)}`}}\n`,
  );
  return `config:\n  leasehold:role: platform\n  leasehold:cluster: {provider: existing}\n  leasehold:pools:\n${items.join("")}`;
}

/** A tenant stack's text: lease `l<i>` on pool `p<pool>` of the given nodes (8 GPUs a node). */
function tenantText(leases: readonly { pool: number; nodes?: readonly string[] | string }[]): string {
  const items = leases.map(({ pool, nodes }, i) => {
    const n = nodes === undefined ? 1 : typeof nodes === "string" ? 1 : Math.max(1, nodes.length);
    const placement = `{pool: p${pool}${nodes === undefined ? "" : `, nodes: ${JSON.stringify(nodes)}`}}`;
    return `    - {id: l${i}, gpu: {type: h100-80gb, count: ${n * 8}}, window: {start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z"}, placement: ${placement}, reclaim: {noticeHours: 0}}\n`;
  });
  return `config:\n  leasehold:role: tenant\n  leasehold:platform: platform-hall\n  leasehold:tenant: {name: lab}\n  leasehold:leases:\n${items.join("") || "    []\n"}`;
}

type Loaded<T> = { ok: true; stack: T } | { ok: false; problems: string };

function loadPlatform(pools: readonly (readonly string[] | string | undefined)[]): Loaded<PlatformStack> {
  const r = loadStackText("stacks/Pulumi.platform-hall.yaml", platformText(pools));
  return r.ok ? { ok: true, stack: r.stack as PlatformStack } : { ok: false, problems: r.problems.map(formatProblem).join("\n") };
}

function loadTenant(leases: readonly { pool: number; nodes?: readonly string[] | string }[]): Loaded<TenantStack> {
  const r = loadStackText("stacks/Pulumi.tenant-lab.yaml", tenantText(leases));
  return r.ok ? { ok: true, stack: r.stack as TenantStack } : { ok: false, problems: r.problems.map(formatProblem).join("\n") };
}

function mustLoad<T>(r: Loaded<T>): T {
  if (!r.ok) throw new Error(r.problems);
  return r.stack;
}

/** `got` holds exactly the names of `want`: each once, none added, none lost. */
function expectSameNames(got: readonly string[] | undefined, want: readonly string[] | undefined, what: string): void {
  if (want === undefined) {
    expect(got, what).toBeUndefined();
    return;
  }
  expect(got, what).toBeDefined();
  const g = new Set(got);
  const w = new Set(want);
  const lost = want.filter((n) => !g.has(n));
  const added = [...g].filter((n) => !w.has(n));
  // Short lists, so that a failure names the names.
  expect({ what, lost: lost.slice(0, 20), added: added.slice(0, 20) }).toEqual({ what, lost: [], added: [] });
  expect(got!.length, `${what}: count`).toBe(want.length);
  expect(g.size, `${what}: each name once`).toBe(got!.length);
}

/** The promise: contractOf, JSON, readContract gives back every pool's and lease's nodes exactly. */
function roundTrip(platform: PlatformStack, tenant?: TenantStack): ReturnType<typeof contractOf> {
  const written = contractOf(tenant ?? platform, platform, AT);
  const read = readContract(JSON.parse(JSON.stringify(written)), 0);
  if (typeof read === "string") throw new Error(read);
  expect(read.platform.config.pools).toHaveLength(platform.config.pools.length);
  platform.config.pools.forEach((p, i) => {
    expectSameNames(read.platform.config.pools[i]!.nodes, p.nodes, `pool ${p.name}`);
    // A non-empty node set is written as one hostlist string, unless its names share so little
    // numbering that the hostlist is not half the list's size: then it stays the same list.
    const w = written.platform.pools[i]!.nodes;
    if (p.nodes && p.nodes.length > 0 && typeof w !== "string") {
      expect(w).toEqual(p.nodes);
      expect(compressHostlist(p.nodes).length * 2).toBeGreaterThan(JSON.stringify(p.nodes).length);
    }
  });
  if (tenant) {
    expect(read.tenant).toBeDefined();
    expect(read.tenant!.config.leases).toHaveLength(tenant.config.leases.length);
    tenant.config.leases.forEach((l, i) => {
      expectSameNames(read.tenant!.config.leases[i]!.placement.nodes, l.placement.nodes, `lease ${l.id}`);
    });
  }
  return written;
}

/** A platform of one pool of `names`, a tenant leasing `leased` (default: every other name): the fleet and the round trip. */
function roundTripNames(names: readonly string[], leased: readonly string[] = names.filter((_, i) => i % 2 === 0)): void {
  const platform = mustLoad(loadPlatform([names]));
  const tenant = mustLoad(loadTenant([{ pool: 0, nodes: leased }]));
  // Valid as a fleet too (the lease's nodes are in the pool).
  expect(checkFleet([platform, tenant]).map(formatProblem)).toEqual([]);
  roundTrip(platform, tenant);
}

const range = <T>(lo: number, hi: number, f: (i: number) => T): T[] => Array.from({ length: hi - lo + 1 }, (_, k) => f(lo + k));
const pad = (n: number | bigint, w: number) => String(n).padStart(w, "0");

describe("the compact contract keeps every node name (fixed cases)", () => {
  const cases: [string, string[]][] = [
    ["one name", ["gpu-1"]],
    ["one name that is only a zero", ["0"]],
    ["one letter", ["a"]],
    [
      "mixed zero padding of the same numbers",
      ["gpu-1", "gpu-01", "gpu-001", "gpu-0001", "gpu-2", "gpu-02", "gpu-10", "gpu-010", "gpu-100"],
    ],
    ["names that differ only in padding, widths 1 to 252", range(1, 252, (w) => `n${pad(1, w)}`)],
    ["zeros only, widths 1 to 253", range(1, 253, (w) => "0".repeat(w))],
    ["zeros after a prefix", ["n0", "n00", "n000", "n0000", "n1", "n01"]],
    ["only digits", ["1", "2", "3", "9", "09", "10", "010", "099", "100", "0100", "123456789012345", "123456789012346"]],
    [
      "padded runs crossing a power of ten, next to unpadded ones",
      // Padding to 2 or 3 digits gives the unpadded name from 10 or 100 on: each name once.
      [
        ...new Set([
          ...range(0, 120, (i) => `n${pad(i, 2)}`),
          ...range(0, 120, (i) => `n${i}`),
          ...range(95, 1005, (i) => `n${pad(i, 3)}`),
        ]),
      ],
    ],
    [
      "a padded run that ends just below its width, and the unpadded run after",
      ["n08", "n09", "n10", "n11", "n098", "n099", "n100", "n101"],
    ],
    ["a padded run and an unpadded run that overlap in value", ["n07", "n08", "n09", "n8", "n9", "n10", "n11"]],
    ["names ending in a letter after digits", ["gpu1a", "gpu2a", "gpu10a", "gpu1b", "gpu01a", "1a", "2a", "10a", "1b"]],
    [
      "several numbers per name, with holes and mixed padding",
      [
        ...range(1, 4, (r) => range(1, 32, (n) => `rack${pad(r, 2)}-node${pad(n, 2)}`))
          .flat()
          .filter((n) => !n.endsWith("7")),
        "rack1-node1",
        "rack01-node1",
        "rack1-node01",
        "rack001-node001",
        "rack05-node01",
      ],
    ],
    [
      "three and four numbers per name",
      range(0, 2, (a) => range(8, 11, (b) => range(98, 101, (c) => `a${a}-b${pad(b, 2)}-c${pad(c, 3)}-d1`)).flat()).flat(),
    ],
    [
      "dotted names",
      [
        "node-1.dc1.example.com",
        "node-2.dc1.example.com",
        "node-1.dc2.example.com",
        "node-1.dc10.example.com",
        "node-01.dc1.example.com",
        "node-1.dc1.example2.com",
        "n1.2",
        "n1.3",
        "n1-2",
      ],
    ],
    ["names shaped like IPv4 addresses", range(0, 3, (c) => range(0, 255, (d) => `10.0.${c}.${d}`)).flat()],
    [
      "numbers around the largest safe integer (16+ digits stay literal)",
      [
        "gpu-9007199254740991",
        "gpu-9007199254740992",
        "gpu-9007199254740993",
        "gpu-9007199254740994",
        "gpu-99999999999999999999",
        "gpu-100000000000000000000",
        "9007199254740993",
        "9007199254740992",
      ],
    ],
    [
      "runs across the 15-digit limit",
      [
        "n999999999999998",
        "n999999999999999",
        "n1000000000000000",
        "n1000000000000001",
        "n0999999999999999",
        "n00999999999999999",
        "n099999999999999",
        "n100000000000000",
        "n100000000000001",
      ],
    ],
    [
      "a 15-digit number padded out to 250 digits",
      ["n" + pad(123456789012345n, 250), "n" + pad(123456789012346n, 250), "n123456789012345"],
    ],
    [
      "numbers of 17 to 60 digits that differ only in the last digit",
      range(17, 60, (w) => [`g${"9".repeat(w)}`, `g${"9".repeat(w - 1)}8`]).flat(),
    ],
    [
      "names of 253 characters",
      [
        "a".repeat(250) + "001",
        "a".repeat(250) + "002",
        "a".repeat(250) + "010",
        "1".repeat(253),
        "1".repeat(252) + "2",
        "0".repeat(252) + "1",
      ],
    ],
    ["digits next to dashes", ["1-1", "1-2", "2-1", "01-1", "1-01", "a-1-2", "a-1-3", "a-2-2", "a-1-2-b"]],
    [
      "names that YAML or JavaScript would read as something else",
      [
        "null",
        "true",
        "no",
        "nan",
        "inf",
        "1e5",
        "1e6",
        "0x10",
        "0x11",
        "0o7",
        "0b1",
        "constructor",
        "prototype",
        "hasownproperty",
        "valueof",
      ],
    ],
    [
      "a name of many numbers",
      ["1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-17-18-19-20", "1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-17-18-19-21"],
    ],
  ];

  it.each(cases)("%s", (_what, names) => {
    expect(names.every(isNodeName)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    roundTripNames(names);
  });

  it("every name on its own is a pool and a lease of one node", () => {
    for (const [, names] of cases) for (const n of names.slice(0, 5)) roundTripNames([n], [n]);
  });

  it("several pools and leases (an existing cluster's pool always lists its nodes)", () => {
    const a = ["gpu-1", "gpu-01", "gpu-001"];
    const b = range(1, 300, (i) => `rack${pad(Math.ceil(i / 30), 2)}-node${pad(i % 30, 2)}`);
    expect(loadPlatform([a, []]).ok).toBe(false);
    expect(loadPlatform([a, undefined]).ok).toBe(false);
    const platform = mustLoad(loadPlatform([a, b, ["solo"]]));
    const tenant = mustLoad(
      loadTenant([
        { pool: 0, nodes: ["gpu-01"] },
        { pool: 1, nodes: b.slice(17, 211) },
        { pool: 2, nodes: "solo" },
      ]),
    );
    const written = roundTrip(platform, tenant);
    expect(written.platform.pools.map((p) => p.nodes)).toEqual(["gpu-[1,01,001]", expect.stringMatching(/^rack\[/), "solo"]);
    // A platform stack's own contract too.
    roundTrip(platform);
  });

  it("node sets written as hostlists in the stack (Slurm padding rules) come back as the names they expand to", () => {
    // gpu-[1-9]: gpu-1 ... gpu-9; gpu-[01-100]: gpu-01 ... gpu-09, gpu-10 ... gpu-100; gpu-[008-012]: gpu-008 ... gpu-012.
    const platform = mustLoad(loadPlatform(["gpu-[1-9],gpu-[01-100],gpu-[008-012]", ["cpu-[0-9]", "n[00000-89999]"]]));
    expect(platform.config.pools[0]!.nodes).toHaveLength(9 + 100 + 5);
    expect(platform.config.pools[1]!.nodes).toHaveLength(10 + 90_000);
    roundTrip(platform);
  });

  it("names shaped like hostlist syntax are hostlists, or refused: a bracket or comma never reaches a node name", () => {
    // As one item of a list: expanded, so the pool holds gpu-1 ... gpu-3, never "gpu-[1-2]".
    const platform = mustLoad(loadPlatform([["gpu-[1-2]", "gpu-3"]]));
    expect(platform.config.pools[0]!.nodes).toEqual(["gpu-1", "gpu-2", "gpu-3"]);
    roundTrip(platform);
    for (const bad of [
      ["gpu-[1-2]", "gpu-1"],
      ["gpu-1,gpu-1"],
      ["gpu 1"],
      ["GPU-1"],
      ["gpu_1"],
      ["gpu-1-"],
      ["-gpu"],
      ["a..b"],
      ["gpu-[]"],
      ["x".repeat(254)],
    ])
      expect(loadPlatform([bad]).ok, JSON.stringify(bad)).toBe(false);
  });

  it("a pool of thousands of names, with an 8,192-node lease", () => {
    const names = [
      ...range(1, 12_500, (i) => `gpu-${pad(i, 5)}`).filter((n) => !/[37]$/.test(n)),
      ...range(1, 1000, (i) => `gpu-${i}`),
      ...range(1, 64, (r) => range(1, 32, (n) => `rack${r}-node${pad(n, 2)}`)).flat(),
    ];
    roundTripNames(names, names.slice(500, 500 + 8192));
  });

  it(`a pool of exactly MAX_HOSTLIST_NAMES (${MAX_HOSTLIST_NAMES}) names that compress badly, and a lease of them all`, () => {
    // Two numbers that vary together: no bracket joins two of them, so the hostlist has 100,000 items.
    const names = range(0, MAX_HOSTLIST_NAMES - 1, (i) => `r${i}-n${i % 7 === 0 ? pad(i, 6) : i}`);
    roundTripNames(names, names);
  });

  it(`a pool of exactly MAX_HOSTLIST_NAMES names of mixed shapes, only digits among them`, () => {
    const names = [
      ...range(0, 39_999, (i) => String(i)),
      ...range(0, 29_999, (i) => pad(i, 6)),
      ...range(0, 29_999, (i) => `gpu-${pad(i, 1 + (i % 4))}`),
    ];
    expect(new Set(names).size).toBe(MAX_HOSTLIST_NAMES);
    roundTripNames(names, names.slice(35_000, 35_000 + 8192));
  });

  it("10,000 long names of many numbers each, none joinable with another", () => {
    const names = range(0, 9_999, (i) => Array.from({ length: 40 }, (_, k) => (i >> (k % 14)) & 7).join("-") + `-${i % 3}x`);
    expect(new Set(names).size).toBe(names.length);
    roundTripNames(names);
  });

  it("one name over MAX_HOSTLIST_NAMES is refused by the loader, so it never reaches a contract", () => {
    expect(loadPlatform([range(0, MAX_HOSTLIST_NAMES, (i) => `n${i}`)]).ok).toBe(false);
  });
});

describe("the compact contract keeps every node name (property)", () => {
  // Parts that make names hard to compress and easy to confuse: padded and unpadded numbers around
  // powers of ten, zeros only, numbers past the safe integers, dots and dashes, letters after digits.
  const digits = fc.oneof(
    fc.integer({ min: 0, max: 1200 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 1200 }), fc.integer({ min: 1, max: 6 })).map(([n, w]) => pad(n, w)),
    fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String),
    fc.tuple(fc.bigInt({ min: 10n ** 14n - 3n, max: 10n ** 15n + 3n }), fc.integer({ min: 1, max: 20 })).map(([n, w]) => pad(n, w)),
    fc.constantFrom("0", "00", "000", "9", "09", "099", "10", "010", "100", "999", "1000", "9007199254740993"),
  );
  const word = fc.constantFrom("gpu-", "n", "rack", "-node", ".", "a", "-ib", "", "-", ".dc", "b", "x.");
  const name = fc
    .array(fc.oneof(word, digits), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join(""))
    .filter(isNodeName);
  const fleet = fc.uniqueArray(fc.record({ name, pool: fc.nat(2), leased: fc.boolean() }), {
    selector: (r) => r.name,
    minLength: 1,
    maxLength: 150,
  });

  it("pools and leases of adversarial names read back exactly", () => {
    fc.assert(
      fc.property(fleet, (rows) => {
        const pools = [0, 1, 2].map((p) => rows.filter((r) => r.pool === p).map((r) => r.name));
        const leases = [0, 1, 2].map((p) => ({ pool: p, nodes: rows.filter((r) => r.pool === p && r.leased).map((r) => r.name) }));
        const platform = loadPlatform(pools);
        const tenant = loadTenant(leases.filter((l) => l.nodes.length > 0));
        // Only stacks the loader accepts matter.
        fc.pre(platform.ok && tenant.ok);
        if (!platform.ok || !tenant.ok) return;
        roundTrip(platform.stack, tenant.stack);
      }),
      { numRuns: 300 },
    );
  });

  it("dense blocks of several numbers with holes and mixed padding read back exactly", () => {
    fc.assert(
      fc.property(
        fc.record({
          racks: fc.integer({ min: 1, max: 6 }),
          nodes: fc.integer({ min: 1, max: 40 }),
          ports: fc.integer({ min: 1, max: 3 }),
          rackBase: fc.constantFrom(0, 1, 8, 98, 999_999_999_999_997),
          nodeBase: fc.constantFrom(0, 1, 8, 95, 998),
          rackWidth: fc.integer({ min: 1, max: 4 }),
          nodeWidth: fc.integer({ min: 1, max: 4 }),
          holes: fc.array(fc.nat(), { maxLength: 60 }),
          repad: fc.array(fc.nat(), { maxLength: 30 }),
        }),
        ({ racks, nodes, ports, rackBase, nodeBase, rackWidth, nodeWidth, holes, repad }) => {
          const names: string[] = [];
          for (let r = 0; r < racks; r++)
            for (let n = 0; n < nodes; n++)
              for (let p = 0; p < ports; p++) names.push(`rack${pad(rackBase + r, rackWidth)}-node${pad(nodeBase + n, nodeWidth)}-p${p}`);
          const gone = new Set(holes.map((h) => h % names.length));
          const kept = names.filter((_, i) => !gone.has(i));
          // Some names again with another padding: a separate node each.
          for (const k of repad) kept.push(kept[k % Math.max(1, kept.length)]?.replace(/node0*/, "node0") ?? "x");
          const unique = [...new Set(kept)];
          fc.pre(unique.length > 0);
          const platform = loadPlatform([unique]);
          const tenant = loadTenant([{ pool: 0, nodes: unique.filter((_, i) => i % 3 !== 1) }]);
          fc.pre(platform.ok && tenant.ok);
          if (!platform.ok || !tenant.ok) return;
          roundTrip(platform.stack, tenant.stack);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("the policies' contract cache (policies/contract.ts, contractFrom)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const platform = mustLoad(loadPlatform([["gpu-1", "gpu-01", "gpu-001", "gpu-2"]]));
  const tenant = mustLoad(loadTenant([{ pool: 0, nodes: ["gpu-01", "gpu-2"] }]));
  const call = (config: object) => {
    const args = createResourceValidationArgs({ type: "kubernetes:core/v1:Namespace", props: {} }, config);
    try {
      return contractOrSkip(args);
    } catch (e) {
      return `not applicable: ${(e as Error).message}`;
    }
  };

  it("reads a contract with its own instant once per config object, with the same names", () => {
    vi.stubEnv("LEASEHOLD_AT", "");
    const config = { contract: JSON.parse(JSON.stringify(contractOf(tenant, platform, AT))) };
    const first = call(config);
    if (typeof first === "string") throw new Error(first);
    expect(call(config)).toBe(first);
    expect(new Set(first.platform.config.pools[0]!.nodes)).toEqual(new Set(["gpu-1", "gpu-01", "gpu-001", "gpu-2"]));
    expect(new Set(first.tenant!.config.leases[0]!.placement.nodes)).toEqual(new Set(["gpu-01", "gpu-2"]));
    // Another config object (another policy's copy) is read on its own.
    const other = call({ contract: JSON.parse(JSON.stringify(config.contract)) });
    if (typeof other === "string") throw new Error(other);
    expect(other).not.toBe(first);
    expect(other.raw).toEqual(first.raw);
  });

  it("reads again when LEASEHOLD_AT changes, and does not keep a bad LEASEHOLD_AT's refusal", () => {
    const config = { contract: JSON.parse(JSON.stringify(contractOf(tenant, platform, AT))) };
    vi.stubEnv("LEASEHOLD_AT", "not a time");
    expect(call(config)).toMatch(/^not applicable: LEASEHOLD_AT/);
    vi.stubEnv("LEASEHOLD_AT", "");
    const ok = call(config);
    expect(typeof ok).toBe("object");
    vi.stubEnv("LEASEHOLD_AT", "not a time");
    expect(call(config)).toMatch(/^not applicable: LEASEHOLD_AT/);
  });

  it("reads a contract without its own instant at every call, at the moment of the call", () => {
    vi.stubEnv("LEASEHOLD_AT", "2027-01-10T00:00:00Z");
    const config = { contract: JSON.parse(JSON.stringify(contractOf(tenant, platform))) };
    const a = call(config);
    if (typeof a === "string") throw new Error(a);
    expect(a.at).toBe(Date.parse("2027-01-10T00:00:00Z"));
    vi.stubEnv("LEASEHOLD_AT", "2027-01-20T00:00:00Z");
    const b = call(config);
    if (typeof b === "string") throw new Error(b);
    expect(b).not.toBe(a);
    expect(b.at).toBe(Date.parse("2027-01-20T00:00:00Z"));
  });
});
