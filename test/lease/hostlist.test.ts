import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compressHostlist, expandHostlist, HostlistError, MAX_HOSTLIST_NAMES, naturalCompare } from "../../lease/hostlist";
import { expandNodeSet, nodeSet, writtenPath } from "../../lease/node-set";

// Slurm hostlist expressions (lease/hostlist.ts): expansion as Slurm's hostlist.c does it, the
// errors for what it refuses, and compression as the exact inverse of expansion.

const seq = (prefix: string, from: number, to: number, width: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${String(from + i).padStart(width, "0")}`);

describe("expandHostlist", () => {
  it.each([
    ["gpu-001", ["gpu-001"]],
    ["gpu-[001-004]", seq("gpu-", 1, 4, 3)],
    ["gpu-[001-010]", seq("gpu-", 1, 10, 3)],
    ["gpu-[001-004,010]", [...seq("gpu-", 1, 4, 3), "gpu-010"]],
    ["gpu-[001-002],cpu-7", ["gpu-001", "gpu-002", "cpu-7"]],
    ["gpu-[001-002], cpu-7", ["gpu-001", "gpu-002", "cpu-7"]],
    ["gpu-[001-002, 005]", ["gpu-001", "gpu-002", "gpu-005"]],
    [" gpu-001 , gpu-002 ", ["gpu-001", "gpu-002"]],
    ["gpu-[1-2]-ib", ["gpu-1-ib", "gpu-2-ib"]],
    ["10.0.0.[1-3]", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]],
    ["n[7]", ["n7"]],
  ])("expands %s", (expr, names) => {
    expect(expandHostlist(expr)).toEqual(names);
  });

  it("keeps the low bound's zero padding, as Slurm does when the bounds differ in width", () => {
    // hostlist.c's _parse_single_range: width = strlen(low bound); a wider number is written whole.
    expect(expandHostlist("n[8-11]")).toEqual(["n8", "n9", "n10", "n11"]);
    expect(expandHostlist("n[08-11]")).toEqual(["n08", "n09", "n10", "n11"]);
    expect(expandHostlist("n[1-010]")).toEqual(seq("n", 1, 10, 1));
    expect(expandHostlist("n[008-11]")).toEqual(["n008", "n009", "n010", "n011"]);
    expect(expandHostlist("n[98-101]")).toEqual(["n98", "n99", "n100", "n101"]);
    expect(expandHostlist("n[098-101]")).toEqual(["n098", "n099", "n100", "n101"]);
  });

  it("gives a cartesian product of several bracket groups in Slurm's order", () => {
    const racks = expandHostlist("rack[01-04]-node[01-32]");
    expect(racks).toHaveLength(128);
    expect(racks.slice(0, 3)).toEqual(["rack01-node01", "rack01-node02", "rack01-node03"]);
    expect(racks[32]).toBe("rack02-node01");
    expect(racks.at(-1)).toBe("rack04-node32");
    // Three groups: the last varies fastest, then the first, the middle one slowest (hostlist.c
    // recurses on the prefix from its last group leftwards).
    expect(expandHostlist("a[1-2]b[1-2]c[1-2]")).toEqual(["a1b1c1", "a1b1c2", "a2b1c1", "a2b1c2", "a1b2c1", "a1b2c2", "a2b2c1", "a2b2c2"]);
  });

  it.each([
    [
      "gpu-[5-3]",
      "expected a node name or a Slurm hostlist such as gpu-[001-064] (the range 5-3 in [5-3] runs backwards, so it names no node)",
    ],
    ["gpu-[001-004", 'expected a node name or a Slurm hostlist such as gpu-[001-064] ("[" at character 5 has no closing "]")'],
    ["gpu-001]", 'expected a node name or a Slurm hostlist such as gpu-[001-064] ("]" at character 8 has no opening "[")'],
    ["gpu-[1-2]]", 'expected a node name or a Slurm hostlist such as gpu-[001-064] ("]" at character 10 has no opening "[")'],
    ["gpu-[[1-2]]", 'expected a node name or a Slurm hostlist such as gpu-[001-064] ("[" at character 6 opens brackets inside brackets)'],
    ["gpu-[]", "expected a node name or a Slurm hostlist such as gpu-[001-064] (empty brackets at character 5)"],
    ["gpu-[1,]", "expected a node name or a Slurm hostlist such as gpu-[001-064] (an empty range between commas in [1,])"],
    [
      "gpu-[1-a]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("1-a" in [1-a] is not a number or a range of numbers such as 001-064)',
    ],
    [
      "gpu-[-1-2]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("-1-2" in [-1-2] is not a number or a range of numbers such as 001-064)',
    ],
    [
      "gpu-[1-2-3]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("1-2-3" in [1-2-3] is not a number or a range of numbers such as 001-064)',
    ],
    [
      "gpu-[0x1-0x2]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("0x1-0x2" in [0x1-0x2] is not a number or a range of numbers such as 001-064)',
    ],
    ["a,,b", "expected a node name or a Slurm hostlist such as gpu-[001-064] (an empty name between commas)"],
    ["a,", "expected a node name or a Slurm hostlist such as gpu-[001-064] (an empty name between commas)"],
    [
      "gpu-[1 2]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("1 2" in [1 2] is not a number or a range of numbers such as 001-064)',
    ],
    [
      "gpu-[1-2] gpu-5",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("gpu-[1-2] gpu-5" holds a space: separate names with commas)',
    ],
    [
      "n[1-9999999999999999]",
      "expected a node name or a Slurm hostlist such as gpu-[001-064] (the number 9999999999999999 in [1-9999999999999999] is too large)",
    ],
    ["gpu-[001-004,003]", "expected each node once, but it names gpu-003 more than once"],
    ["gpu-[001-004],gpu-[003-004]", "expected each node once, but it names gpu-[003-004] more than once"],
    ["gpu-[0-99999999]", `expected at most ${MAX_HOSTLIST_NAMES} node names in a node set, but it gives 100000000`],
    ["a[0-9999]b[0-9999]", `expected at most ${MAX_HOSTLIST_NAMES} node names in a node set, but it gives 100000000`],
  ])("refuses %s", (expr, message) => {
    let error: unknown;
    try {
      expandHostlist(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HostlistError);
    expect((error as Error).message).toBe(message);
  });

  it("refuses an expression over the cap before building any name", () => {
    const t0 = performance.now();
    expect(() => expandHostlist("n[0-999999999999999]")).toThrow("but it gives 1000000000000000");
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(expandHostlist(`n[1-${MAX_HOSTLIST_NAMES}]`)).toHaveLength(MAX_HOSTLIST_NAMES);
    expect(() => expandHostlist(`n[0-${MAX_HOSTLIST_NAMES}]`)).toThrow(HostlistError);
  });
});

describe("compressHostlist", () => {
  it.each([
    ["one name", ["gpu-001"], "gpu-001"],
    ["a run and a single", [...seq("gpu-", 1, 4, 3), "gpu-010"], "gpu-[001-004,010]"],
    ["names out of order", ["gpu-010", "gpu-003", "gpu-001", "gpu-002", "gpu-004"], "gpu-[001-004,010]"],
    ["12,500 padded names", seq("gpu-", 1, 12500, 5), "gpu-[00001-12500]"],
    ["four full racks", expandHostlist("rack[01-04]-node[01-32]"), "rack[01-04]-node[01-32]"],
    [
      "four full racks and half a rack",
      expandHostlist("rack[01-04]-node[01-32],rack05-node[01-16]"),
      "rack[01-04]-node[01-32],rack05-node[01-16]",
    ],
    ["unpadded numbers across a power of ten", ["n8", "n9", "n10", "n11"], "n[8-11]"],
    ["a padded run going on past its width", ["n098", "n099", "n100", "n101"], "n[098-101]"],
    ["one number in three paddings", ["n1", "n01", "n001"], "n[1,01,001]"],
    ["two prefixes", ["cpu-1", "gpu-001", "gpu-002"], "cpu-1,gpu-[001-002]"],
    ["a suffix after the number", ["gpu-1-ib", "gpu-2-ib"], "gpu-[1-2]-ib"],
    ["a repeated name", ["gpu-001", "gpu-001"], "gpu-001"],
  ])("writes %s as %s", (_what, names, expr) => {
    expect(compressHostlist(names)).toBe(expr);
    expect(new Set(expandHostlist(expr))).toEqual(new Set(names));
  });

  it("round-trips: expand(compress(x)) holds exactly the names of x", () => {
    // Names built from parts that exercise the edge cases: padded and unpadded numbers around a
    // power of ten, several numbers per name, suffixes after the number, names with no number.
    const digits = fc.oneof(
      fc.integer({ min: 0, max: 120 }).map(String),
      fc.tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1, max: 4 })).map(([n, w]) => String(n).padStart(w, "0")),
      fc.constantFrom("9", "09", "099", "10", "010", "100", "0", "00", "999", "1000"),
    );
    const word = fc.constantFrom("gpu-", "n", "rack", "-node", ".", "a", "-ib", "");
    const name = fc
      .array(fc.oneof(word, digits), { minLength: 1, maxLength: 5 })
      .map((parts) => parts.join(""))
      .filter((n) => n !== "");
    fc.assert(
      fc.property(fc.array(name, { maxLength: 60 }), (names) => {
        const expr = compressHostlist(names);
        const back = names.length === 0 ? [] : expandHostlist(expr);
        expect(new Set(back)).toEqual(new Set(names));
        expect(back.length).toBe(new Set(names).size);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips dense blocks: the set of any Slurm hostlist comes back whole", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 4 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (ranges) => {
          const names = new Set(ranges.flatMap(([lo, len, width]) => seq("gpu-", lo, lo + len, width)));
          const expr = compressHostlist(names);
          expect(new Set(expandHostlist(expr))).toEqual(names);
          // Compact: never longer than the names written out with commas.
          expect(expr.length).toBeLessThanOrEqual([...names].join(",").length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("orders names as people read them", () => {
    expect(["n10", "n9", "n09", "m1"].sort(naturalCompare)).toEqual(["m1", "n9", "n09", "n10"]);
  });
});

describe("node sets in stack files (lease/node-set.ts)", () => {
  it("takes a string, a list of names, or a list of hostlists, and gives the names", () => {
    expect(nodeSet.parse("gpu-[001-003]")).toEqual(["gpu-001", "gpu-002", "gpu-003"]);
    expect(nodeSet.parse(["gpu-001", "gpu-002"])).toEqual(["gpu-001", "gpu-002"]);
    expect(nodeSet.parse(["gpu-001", "gpu-[002-003]"])).toEqual(["gpu-001", "gpu-002", "gpu-003"]);
  });

  it("refuses a node in two items, a name that is not a node name, and a set over the cap, naming the item", () => {
    expect(expandNodeSet(["gpu-001", "gpu-001"]).issues).toEqual([
      { path: [1], message: "expected a unique node, but [0] has it too", input: "gpu-001" },
    ]);
    expect(expandNodeSet(["gpu-[001-004]", "gpu-[003-005]"]).issues).toEqual([
      { path: [1], message: "expected a unique node, but [0] has gpu-[003-004] too", input: "gpu-[003-005]" },
    ]);
    expect(expandNodeSet(["GPU-[1-2]"]).issues).toEqual([
      {
        path: [0],
        message:
          "expected a node name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'), but it gives GPU-1 and 1 more such name(s)",
        input: "GPU-[1-2]",
      },
    ]);
    expect(expandNodeSet("gpu-[001-004,003]").issues).toEqual([
      { path: [], message: "expected each node once, but it names gpu-003 more than once", input: "gpu-[001-004,003]" },
    ]);
    expect(expandNodeSet(["n[1-6]", "m[1-6]"], 10).issues).toEqual([
      {
        path: [1],
        message: "expected at most 10 node names in a node set, but it gives 6 after 6 from the items before it",
        input: "m[1-6]",
      },
    ]);
    expect(expandNodeSet([7]).issues[0]!.message).toBe("expected a node name (a DNS-1123 subdomain)");
    expect(nodeSet.safeParse(7).error?.issues[0]?.message).toBe(
      "expected a node name, a Slurm hostlist such as gpu-[001-064], or a list of them",
    );
  });

  it("maps an index into the expanded set back to the item that was written", () => {
    const config = {
      pools: [{ nodes: nodeSet.parse(["gpu-001", "gpu-[002-009]"]) }, { nodes: nodeSet.parse("gpu-[010-019]") }],
    };
    expect(writtenPath(config, ["pools", 0, "nodes", 0])).toEqual(["pools", 0, "nodes", 0]);
    expect(writtenPath(config, ["pools", 0, "nodes", 5])).toEqual(["pools", 0, "nodes", 1]);
    expect(writtenPath(config, ["leasehold:pools", 1, "nodes", 4])).toEqual(["leasehold:pools", 1, "nodes"]);
    expect(writtenPath(config, ["pools", 1, "name"])).toEqual(["pools", 1, "name"]);
  });
});
