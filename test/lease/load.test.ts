import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { listStackFiles, loadStackFile, loadStackText, type LoadResult } from "../../lease/load";
import { formatProblem, type Problem } from "../../lease/problems";

// The loader's answers as a user reads them: the file, the key path, the line and a message with
// the bad value; every problem of a file at once; never an exception for a user mistake.

const STACKS = path.resolve(__dirname, "../../stacks");
const TENANT_FILE = "stacks/Pulumi.tenant-acme.yaml";

function problems(r: LoadResult): Problem[] {
  if (r.ok) throw new Error("expected the stack to be refused, but it loaded");
  return r.problems;
}

/** The problem at `p`, failing the test when there is none. */
function at(ps: Problem[], p: string): Problem {
  const found = ps.find((x) => x.path === p);
  if (!found) throw new Error(`no problem at ${p}; got:\n${ps.map(formatProblem).join("\n")}`);
  return found;
}

const VALID_TENANT = `# acme
config:
  leasehold:role: tenant
  leasehold:platform: platform-local
  leasehold:tenant:
    name: acme
  leasehold:leases:
    - id: acme-h100-2026q4
      gpu: {type: h100-80gb, count: 16}
      window: {start: "2026-12-01T00:00:00Z", end: "2027-06-01T00:00:00Z"}
      placement:
        pool: h100-a
        nodes: [gpu-001, gpu-002]
      reclaim:
        noticeHours: 72
`;

describe("the base text of these tests", () => {
  it("loads as a valid tenant stack", () => {
    const r = loadStackText(TENANT_FILE, VALID_TENANT);
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
    expect(r.ok && r.stack.role).toBe("tenant");
  });
});

describe("YAML syntax", () => {
  it("reports invalid YAML with its line, in the message and in the line field", () => {
    const text = "config:\n  leasehold:role: tenant\n  leasehold:platform: [a, b\n  leasehold:tenant: x\n";
    const ps = problems(loadStackText(TENANT_FILE, text));
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatchObject({ file: TENANT_FILE, path: "", line: 4 });
    expect(ps[0]!.message).toMatch(/^invalid YAML at line 4, column 3: /);
  });

  it("reports bad indentation at the line it is on", () => {
    const text = "config:\n  leasehold:role: tenant\n  leasehold:platform: a: b\n";
    const ps = problems(loadStackText(TENANT_FILE, text));
    expect(ps).toHaveLength(1);
    expect(ps[0]!.line).toBe(3);
    expect(ps[0]!.message).toContain("invalid YAML at line 3");
  });

  it("refuses a key written twice, at the line of the second", () => {
    const text = "config:\n  leasehold:role: tenant\n  leasehold:platform: p\n  leasehold:platform: q\n";
    const ps = problems(loadStackText(TENANT_FILE, text));
    expect(ps).toHaveLength(1);
    expect(ps[0]!.line).toBe(4);
    expect(ps[0]!.message).toContain("invalid YAML at line 4");
    expect(ps[0]!.message).toContain("duplicated mapping key");
  });
});

describe("the shape of the file", () => {
  it('refuses a file without "config:"', () => {
    const ps = problems(loadStackText(TENANT_FILE, "leasehold:role: tenant\n"));
    expect(ps).toEqual([
      { file: TENANT_FILE, path: "config", line: 1, message: 'expected a map of config keys under "config:", got nothing' },
    ]);
  });

  it("refuses an empty file", () => {
    const ps = problems(loadStackText(TENANT_FILE, ""));
    expect(ps).toHaveLength(1);
    expect(ps[0]!.path).toBe("config");
  });

  it('refuses a "config:" that is a list, showing it', () => {
    const ps = problems(loadStackText(TENANT_FILE, "config: [a, b]\n"));
    expect(ps).toHaveLength(1);
    expect(ps[0]!.message).toBe('expected a map of config keys under "config:", got ["a","b"]');
  });

  it("refuses a file not named Pulumi.<stack>.yaml, naming the file", () => {
    const ps = problems(loadStackText("stacks/tenant-acme.yaml", VALID_TENANT));
    expect(ps).toEqual([
      { file: "stacks/tenant-acme.yaml", path: "", message: 'expected a stack file named Pulumi.<stack>.yaml, got "tenant-acme.yaml"' },
    ]);
  });

  it("refuses the .yml extension", () => {
    const ps = problems(loadStackText("stacks/Pulumi.tenant-acme.yml", VALID_TENANT));
    expect(ps.map((p) => p.message)).toEqual(['expected a stack file named Pulumi.<stack>.yaml, got "Pulumi.tenant-acme.yml"']);
  });

  it("reports a bad file name together with the config's own problems", () => {
    const ps = problems(loadStackText("stacks/acme.yaml", VALID_TENANT.replace("count: 16", "count: sixty")));
    expect(ps.map((p) => p.path).sort()).toEqual(["", "leasehold:leases[0].gpu.count"]);
  });

  it("takes the stack name from the file name", () => {
    const r = loadStackText("some/dir/Pulumi.tenant-acme.yaml", VALID_TENANT);
    expect(r.ok && r.stack.name).toBe("tenant-acme");
  });
});

describe("loadStackFile", () => {
  it("answers a missing file with a problem, not an exception", () => {
    const file = path.join(STACKS, "Pulumi.tenant-nobody.yaml");
    let r: LoadResult | undefined;
    expect(() => (r = loadStackFile(file))).not.toThrow();
    expect(problems(r!)).toEqual([{ file, path: "", message: "cannot read the file: no such file" }]);
  });

  it("answers a directory with a problem, not an exception", () => {
    const ps = problems(loadStackFile(STACKS));
    expect(ps).toHaveLength(1);
    expect(ps[0]!.message).toBe("cannot read the file: is a directory, not a stack file");
  });

  it("keeps the file name as the caller wrote it", () => {
    const file = path.relative(process.cwd(), path.join(STACKS, "Pulumi.tenant-acme.yaml"));
    const r = loadStackFile(file);
    expect(r.ok && r.stack.file).toBe(file);
  });
});

describe("every problem of a file at once", () => {
  // Line numbers are those of this text (1-based).
  const text = [
    /*  1 */ "config:",
    /*  2 */ "  leasehold:role: tenant",
    /*  3 */ "  leasehold:platfrom: platform-local",
    /*  4 */ "  leasehold:tenant:",
    /*  5 */ "    name: acme",
    /*  6 */ "    resources:",
    /*  7 */ "      cpu: lots",
    /*  8 */ "    network:",
    /*  9 */ "      egress:",
    /* 10 */ "        - cidr: 10.0.0.0/33",
    /* 11 */ "  leasehold:leases:",
    /* 12 */ "    - id: acme-h100-2026q4",
    /* 13 */ "      gpu:",
    /* 14 */ "        type: h100-80gb",
    /* 15 */ "        count: sixty",
    /* 16 */ '      window: {start: "2027-06-01T00:00:00Z", end: "2027-01-01T00:00:00Z"}',
    /* 17 */ "      placement:",
    /* 18 */ "        pool: h100-a",
    /* 19 */ "        nodes: [gpu-001, gpu-001]",
    /* 20 */ "      reclaim:",
    /* 21 */ "        noticeHours: -1",
    /* 22 */ "    - id: acme-h100-2026q4",
    /* 23 */ "      gpu: {type: h100-80gb, count: 8}",
    /* 24 */ '      window: {start: "2026-12-01T00:00:00Z", end: "2027-06-01T00:00:00Z"}',
    /* 25 */ "      placement: {pool: h100-a, nodes: [gpu-003]}",
    /* 26 */ "      reclaim: {noticeHours: 72}",
    "",
  ].join("\n");

  const ps = () => problems(loadStackText(TENANT_FILE, text));

  it("reports at least five problems for five mistakes in different keys", () => {
    expect(ps().length).toBeGreaterThanOrEqual(5);
  });

  it("reports each mistake at its key path with the bad value", () => {
    const all = ps();
    expect(at(all, "leasehold:platfrom").message).toContain("did you mean leasehold:platform?");
    expect(at(all, "leasehold:platform").message).toContain("is required");
    expect(at(all, "leasehold:tenant.resources.cpu").message).toContain('got "lots"');
    expect(at(all, "leasehold:tenant.network.egress[0].cidr").message).toContain('got "10.0.0.0/33"');
    expect(at(all, "leasehold:leases[0].gpu.count").message).toBe('expected a positive integer, got "sixty"');
    expect(at(all, "leasehold:leases[0].window.end").message).toContain("must be after start");
    expect(at(all, "leasehold:leases[0].placement.nodes[1]").message).toContain('got "gpu-001"');
    expect(at(all, "leasehold:leases[0].reclaim.noticeHours").message).toContain("got -1");
    expect(at(all, "leasehold:leases[1].id").message).toContain("expected a unique lease id");
  });

  it("gives each problem the 1-based line of its value", () => {
    const all = ps();
    const lines = Object.fromEntries(all.map((p) => [p.path, p.line]));
    expect(lines).toMatchObject({
      "leasehold:platfrom": 3,
      "leasehold:tenant.resources.cpu": 7,
      "leasehold:tenant.network.egress[0].cidr": 10,
      "leasehold:leases[0].gpu.count": 15,
      "leasehold:leases[0].window.end": 16,
      "leasehold:leases[0].placement.nodes[1]": 19,
      "leasehold:leases[0].reclaim.noticeHours": 21,
      "leasehold:leases[1].id": 22,
    });
  });

  it("lists the problems in the order of their lines", () => {
    const lines = ps().map((p) => p.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("ties every problem to the file", () => {
    for (const p of ps()) expect(p.file).toBe(TENANT_FILE);
  });
});

describe("line numbers", () => {
  it("counts comment lines above config (line 1 is the first line of the file)", () => {
    const text = "# one\n# two\n# three\n" + VALID_TENANT.replace("count: 16", "count: 0");
    const p = at(problems(loadStackText(TENANT_FILE, text)), "leasehold:leases[0].gpu.count");
    // VALID_TENANT has the gpu line at line 9; three comment lines push it to 12.
    expect(p.line).toBe(12);
  });

  it("points an unknown nested key at its own line", () => {
    const text = VALID_TENANT.replace("    name: acme\n", "    name: acme\n    nmae: acme\n");
    const p = at(problems(loadStackText(TENANT_FILE, text)), "leasehold:tenant.nmae");
    expect(p.line).toBe(7);
  });

  it("points a wrong role at the role's line", () => {
    const p = at(problems(loadStackText(TENANT_FILE, VALID_TENANT.replace("role: tenant", "role: landlord"))), "leasehold:role");
    expect(p.line).toBe(3);
  });
});

describe("formatProblem", () => {
  it("prints file: path: message exactly as DESIGN.md shows", () => {
    const ps = problems(loadStackText(TENANT_FILE, VALID_TENANT.replace("count: 16", "count: sixty")));
    expect(ps.map(formatProblem)).toEqual([
      'stacks/Pulumi.tenant-acme.yaml: leasehold:leases[0].gpu.count: expected a positive integer, got "sixty"',
    ]);
  });

  it("prints file: message for a whole-file problem", () => {
    const ps = problems(loadStackText(TENANT_FILE, "nothing: here\n"));
    expect(formatProblem(ps[0]!)).toBe(
      'stacks/Pulumi.tenant-acme.yaml: config: expected a map of config keys under "config:", got nothing',
    );
    expect(formatProblem({ file: "f.yaml", path: "", message: "cannot read the file: no such file" })).toBe(
      "f.yaml: cannot read the file: no such file",
    );
  });
});

describe("other config namespaces", () => {
  it("ignores kubernetes:context, aws:region and other namespaces, whatever their values", () => {
    const text = VALID_TENANT.replace(
      "config:\n",
      "config:\n  kubernetes:context: kind-leasehold\n  aws:region: us-east-2\n  aws:defaultTags: {tags: {team: gpu}}\n  pulumi:disable-default-providers: ['*']\n",
    );
    const r = loadStackText(TENANT_FILE, text);
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
    if (!r.ok) return;
    expect(Object.keys(r.stack.config).sort()).toEqual(["leases", "platform", "role", "tenant"]);
  });

  it("still checks leasehold keys beside other namespaces", () => {
    const text = VALID_TENANT.replace("config:\n", "config:\n  aws:region: us-east-2\n  leasehold:regoin: x\n");
    const ps = problems(loadStackText(TENANT_FILE, text));
    expect(ps.map((p) => p.path)).toEqual(["leasehold:regoin"]);
  });
});

describe("the example stacks", () => {
  const files = listStackFiles(STACKS);

  it("are the six stacks of the repository", () => {
    expect(files.map((f) => path.basename(f))).toEqual([
      "Pulumi.platform-aws.yaml",
      "Pulumi.platform-local.yaml",
      "Pulumi.tenant-acme.yaml",
      "Pulumi.tenant-bluefin.yaml",
      "Pulumi.tenant-corvid.yaml",
      "Pulumi.tenant-delta.yaml",
    ]);
  });

  for (const name of ["platform-aws", "platform-local", "tenant-acme", "tenant-bluefin", "tenant-corvid", "tenant-delta"]) {
    it(`loads stacks/Pulumi.${name}.yaml without a problem`, () => {
      const r = loadStackFile(path.join(STACKS, `Pulumi.${name}.yaml`));
      expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
      expect(r.ok && r.stack.name).toBe(name);
      expect(r.ok && r.stack.role).toBe(name.startsWith("platform-") ? "platform" : "tenant");
    });
  }

  it("reads the corvid reclaim notice and the platform's pools as typed values", () => {
    const corvid = loadStackFile(path.join(STACKS, "Pulumi.tenant-corvid.yaml"));
    if (!corvid.ok || corvid.stack.role !== "tenant") throw new Error("expected the corvid tenant stack");
    expect(corvid.stack.config.leases[1]!.reclaim.notice).toMatchObject({ effectiveAt: "2026-11-30T09:00:00Z" });
    const platform = loadStackFile(path.join(STACKS, "Pulumi.platform-local.yaml"));
    if (!platform.ok || platform.stack.role !== "platform") throw new Error("expected the platform stack");
    expect(platform.stack.config.pools.map((p) => p.name)).toEqual(["h100-a", "l40s-a"]);
  });
});
