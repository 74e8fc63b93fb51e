import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readAsPulumiCli, readStackYaml } from "../../lease/stack-yaml";
import { run, runBin, snapshot } from "./helpers";

// Node sets written as Slurm hostlists (`nodes: gpu-[001-016]`), through the CLI as a user runs
// it: validate, check and request on fixture folders of this file's own (never the example stacks).

const PLATFORM = `# An existing cluster whose pools are written as Slurm hostlists.
config:
  leasehold:role: platform
  leasehold:cluster:
    provider: existing
  leasehold:pools:
    - name: h100-a
      gpuType: h100-80gb
      nodes: gpu-[001-016]
    - name: l40s-a
      gpuType: l40s
      nodes:
        - l40s-001
        - l40s-[002-004]
`;

const TENANT = (name: string, leases: string) => `config:
  leasehold:role: tenant
  leasehold:platform: platform-hpc
  leasehold:tenant:
    name: ${name}
  leasehold:leases:
${leases}`;

const LEASE = (id: string, nodes: string, count: number, start = "2027-01-01T00:00:00Z", end = "2027-02-01T00:00:00Z", pool = "h100-a") =>
  `    - id: ${id}
      gpu: {type: ${pool === "h100-a" ? "h100-80gb" : "l40s"}, count: ${count}}
      window: {start: "${start}", end: "${end}"}
      placement:
        pool: ${pool}
        nodes: ${nodes}
      reclaim:
        noticeHours: 72
`;

/** A fresh folder holding the given stack files (name -> text). */
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-hostlist-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}

const noTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |TypeError/);

describe("hostlist node sets: validate and check", () => {
  it("accepts pools and leases written as hostlists, a string or list items, and reads them as the Pulumi CLI does", async () => {
    const tenant = TENANT(
      "acme",
      LEASE("acme-a", "gpu-[001-004]", 32) +
        LEASE("acme-b", "[gpu-005, gpu-006]", 16) +
        LEASE("acme-c", "\n          - gpu-007\n          - gpu-[008-009]", 24) +
        LEASE("acme-d", '["l40s-[001-002]"]', 16, undefined, undefined, "l40s-a"),
    );
    const dir = folder({ "platform-hpc": PLATFORM, "tenant-acme": tenant });
    for (const text of [PLATFORM, tenant]) {
      // One reading: the Pulumi CLI's (yaml.v3) and leasehold's agree on every hostlist scalar.
      expect(readAsPulumiCli(text)).toEqual(readStackYaml(text));
    }
    const v = await run("validate", "--stacks", dir);
    expect(v.stderr).toBe("");
    expect(v.code).toBe(0);
    const c = await run("check", "--stacks", dir, "--at", "2027-01-15T00:00:00Z", "--json");
    expect(c.code, c.stderr).toBe(0);
    const out = JSON.parse(c.stdout);
    expect(out.pools).toEqual([
      { platform: "platform-hpc", pool: "h100-a", gpuType: "h100-80gb", capacity: 128, leased: 72 },
      { platform: "platform-hpc", pool: "l40s-a", gpuType: "l40s", capacity: 32, leased: 16 },
    ]);
  });

  it("refuses two leases on one node at once with one line naming every shared node compactly", async () => {
    const dir = folder({
      "platform-hpc": PLATFORM,
      "tenant-acme": TENANT("acme", LEASE("acme-a", "gpu-[001-008]", 64)),
      "tenant-bolt": TENANT("bolt", LEASE("bolt-a", "gpu-[005-010]", 48, "2027-01-20T00:00:00Z", "2027-03-01T00:00:00Z")),
    });
    const before = snapshot(dir);
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    const bolt = path.join(dir, "Pulumi.tenant-bolt.yaml");
    const acme = path.join(dir, "Pulumi.tenant-acme.yaml");
    expect(r.stderr.split("\n")).toContain(
      `${bolt}: leasehold:leases[0].placement.nodes: nodes gpu-[005-008] are leased to acme-a (${acme}) until 2027-02-01T00:00:00Z, but this lease takes them from 2027-01-20T00:00:00Z`,
    );
    expect(r.stderr).toContain("fleet check failed: 1 problem(s)");
    noTrace(r.stderr);
    expect(snapshot(dir)).toEqual(before);
  });

  it("names the list item that holds a shared node", async () => {
    const dir = folder({
      "platform-hpc": PLATFORM,
      "tenant-acme": TENANT("acme", LEASE("acme-a", "gpu-[001-002]", 16)),
      "tenant-bolt": TENANT("bolt", LEASE("bolt-a", "[gpu-010, gpu-[001-002]]".replace("gpu-[001-002]", '"gpu-[001-002]"'), 24)),
    });
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path.join(dir, "Pulumi.tenant-bolt.yaml")}: leasehold:leases[0].placement.nodes[1]: nodes gpu-[001-002] are leased to acme-a`,
    );
  });

  const BAD: [string, string, string][] = [
    [
      "a reversed range",
      "gpu-[5-3]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] (the range 5-3 in [5-3] runs backwards, so it names no node), got "gpu-[5-3]"',
    ],
    [
      "an unclosed bracket",
      "gpu-[001-004",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("[" at character 5 has no closing "]"), got "gpu-[001-004"',
    ],
    [
      "a stray bracket",
      "gpu-001]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("]" at character 8 has no opening "["), got "gpu-001]"',
    ],
    [
      "nested brackets",
      "gpu-[0[1-2]]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("[" at character 7 opens brackets inside brackets), got "gpu-[0[1-2]]"',
    ],
    [
      "empty brackets",
      "gpu-[]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] (empty brackets at character 5), got "gpu-[]"',
    ],
    [
      "a letter in a range",
      "gpu-[1-x]",
      'expected a node name or a Slurm hostlist such as gpu-[001-064] ("1-x" in [1-x] is not a number or a range of numbers such as 001-064), got "gpu-[1-x]"',
    ],
    [
      "an overlap inside one expression",
      "gpu-[001-004,003]",
      'expected each node once, but it names gpu-003 more than once, got "gpu-[001-004,003]"',
    ],
    [
      "an expression over the cap",
      "gpu-[0-99999999]",
      'expected at most 100000 node names in a node set, but it gives 100000000, got "gpu-[0-99999999]"',
    ],
    [
      "names that are not node names",
      "GPU-[1-2]",
      `expected a node name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'), but it gives GPU-1 and 1 more such name(s), got "GPU-[1-2]"`,
    ],
    ["a number", "7", "expected a node name, a Slurm hostlist such as gpu-[001-064], or a list of them, got 7"],
  ];

  it.each(BAD)("refuses %s in a platform pool with file, key path and value, exit 1", async (_what, nodes, message) => {
    const dir = folder({ "platform-hpc": PLATFORM.replace("nodes: gpu-[001-016]", `nodes: ${nodes}`) });
    const file = path.join(dir, "Pulumi.platform-hpc.yaml");
    for (const cmd of ["validate", "check"]) {
      const r = await run(cmd, "--stacks", dir);
      expect(r.code, cmd).toBe(1);
      expect(r.stderr.split("\n"), cmd).toContain(`${file}: leasehold:pools[0].nodes: ${message}`);
      noTrace(r.stderr);
    }
  });

  it.each(BAD.filter(([what]) => what !== "a number"))(
    "refuses %s in a list item of a lease, naming the item",
    async (_what, nodes, message) => {
      const dir = folder({
        "platform-hpc": PLATFORM,
        "tenant-acme": TENANT("acme", LEASE("acme-a", `\n          - gpu-016\n          - "${nodes}"`, 16)),
      });
      const file = path.join(dir, "Pulumi.tenant-acme.yaml");
      const r = await run("validate", "--stacks", dir);
      expect(r.code).toBe(1);
      // The cap counts the whole node set: the item before this one gave one name.
      const counted = message.replace("but it gives 100000000,", "but it gives 100000000 after 1 from the items before it,");
      expect(r.stderr.split("\n")).toContain(`${file}: leasehold:leases[0].placement.nodes[1]: ${counted}`);
      noTrace(r.stderr);
    },
  );

  it("refuses the same node in two items of a list, naming both items", async () => {
    const dir = folder({
      "platform-hpc": PLATFORM.replace("nodes: gpu-[001-016]", "nodes: [gpu-001, gpu-002]"),
      "tenant-acme": TENANT("acme", LEASE("acme-a", '["gpu-[001-004]", "gpu-[003-005]", gpu-001]', 40)),
    });
    const file = path.join(dir, "Pulumi.tenant-acme.yaml");
    const r = await run("validate", "--stacks", dir);
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n");
    expect(lines).toContain(
      `${file}: leasehold:leases[0].placement.nodes[1]: expected a unique node, but [0] has gpu-[003-004] too, got "gpu-[003-005]"`,
    );
    expect(lines).toContain(`${file}: leasehold:leases[0].placement.nodes[2]: expected a unique node, but [0] has it too, got "gpu-001"`);
  });

  it("refuses a node in two pools, naming the hostlist that holds it", async () => {
    const dir = folder({ "platform-hpc": PLATFORM.replace("- l40s-[002-004]", "- gpu-[015-017]") });
    const r = await run("validate", "--stacks", dir);
    expect(r.code).toBe(1);
    const file = path.join(dir, "Pulumi.platform-hpc.yaml");
    // One line for the item, naming every node it shares (not one line per node).
    expect(r.stderr).toContain(
      `${file}: leasehold:pools[1].nodes[1]: expected a node in one pool only, but pool h100-a has it too, got gpu-[015-016]`,
    );
    expect(r.stderr.split("\n").filter((l) => l.includes("one pool only"))).toHaveLength(1);
  });

  it("says to quote a hostlist written unquoted inside a YAML flow list, which neither reader can read", async () => {
    const dir = folder({ "platform-hpc": PLATFORM.replace("nodes: gpu-[001-016]", "nodes: [gpu-001, gpu-[002-016]]") });
    const r = runBin(dir, "validate", "--stacks", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path.join(dir, "Pulumi.platform-hpc.yaml")}: invalid YAML at line 9, column 28: missed comma between flow collection entries (a Slurm hostlist inside a YAML flow list [...] or map {...} must be quoted: write "gpu-[002-016]", or the whole node set as one unquoted hostlist, such as nodes: gpu-[001-004,010])`,
    );
    noTrace(r.stderr);
  });

  it("keeps check fast on a pool of gpu-[00001-12500] with a lease of 8,192 of its nodes", async () => {
    const dir = folder({
      "platform-hpc": PLATFORM.replace("nodes: gpu-[001-016]", "nodes: gpu-[00001-12500]"),
      "tenant-acme": TENANT(
        "acme",
        LEASE("acme-big", "gpu-[00001-08192]", 8192 * 8, "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z") +
          LEASE("acme-next", "gpu-[08193-12500]", 4308 * 8, "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"),
      ),
      "tenant-bolt": TENANT("bolt", LEASE("bolt-after", "gpu-[00001-08192]", 8192 * 8, "2027-07-01T00:00:00Z", "2027-09-01T00:00:00Z")),
    });
    const t0 = performance.now();
    const r = await run("check", "--stacks", dir, "--at", "2027-02-01T00:00:00Z");
    const ms = performance.now() - t0;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 3 stacks (1 platform, 2 tenant), 3 leases");
    console.info(`[hostlist] check of a 12,500-node pool with leases of 8,192 + 4,308 + 8,192 nodes: ${ms.toFixed(0)} ms`);

    // And a clash there is one line that names all 8,192 nodes (besides the pool's GPUs, oversubscribed for that day).
    fs.writeFileSync(
      path.join(dir, "Pulumi.tenant-bolt.yaml"),
      TENANT("bolt", LEASE("bolt-after", "gpu-[00001-08192]", 8192 * 8, "2027-06-30T00:00:00Z", "2027-09-01T00:00:00Z")),
    );
    const t1 = performance.now();
    const clash = await run("check", "--stacks", dir);
    console.info(`[hostlist] the same check with 8,192 clashing nodes: ${(performance.now() - t1).toFixed(0)} ms`);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("leasehold:leases[0].placement.nodes: nodes gpu-[00001-08192] are leased to acme-big");
    expect(clash.stderr).toContain("fleet check failed: 2 problem(s)");
  });
});

describe("hostlist node sets: request", () => {
  const WINDOW = ["--start", "2027-04-01T00:00:00Z", "--end", "2027-05-01T00:00:00Z"];
  const H100 = ["--gpu-type", "h100-80gb", "--pool", "h100-a"];

  it("writes the nodes it picks as one compact hostlist, which check then reads back", async () => {
    const dir = folder({
      "platform-hpc": PLATFORM,
      "tenant-acme": TENANT("acme", LEASE("acme-a", "gpu-[001-002,005]", 24, "2027-03-01T00:00:00Z", "2027-06-01T00:00:00Z")),
    });
    const r = await run("request", "--stacks", dir, "--tenant", "echo", "--gpus", "40", ...H100, ...WINDOW);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, "Pulumi.tenant-echo.yaml");
    expect(r.stdout).toContain(`added lease echo-h100-80gb-20270401: 40 x h100-80gb in pool h100-a on gpu-[003-004,006-008]`);
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain("        nodes: gpu-[003-004,006-008]\n");
    expect(parse(text).config["leasehold:leases"][0].placement.nodes).toBe("gpu-[003-004,006-008]");
    expect(readAsPulumiCli(text)).toEqual(readStackYaml(text));
    const c = await run("check", "--stacks", dir);
    expect(c.code, c.stderr).toBe(0);
  });

  it("takes --nodes as a hostlist and writes it compactly", async () => {
    const dir = folder({ "platform-hpc": PLATFORM });
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "echo",
      "--gpus",
      "32",
      ...H100,
      ...WINDOW,
      "--nodes",
      "gpu-[010-011],gpu-012, gpu-013",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "Pulumi.tenant-echo.yaml"), "utf8")).toContain("        nodes: gpu-[010-013]\n");
  });

  it("names the free nodes compactly when there are too few", async () => {
    const dir = folder({
      "platform-hpc": PLATFORM,
      "tenant-acme": TENANT("acme", LEASE("acme-a", "gpu-[001-013]", 104, "2027-03-01T00:00:00Z", "2027-06-01T00:00:00Z")),
    });
    const before = snapshot(dir);
    const r = await run("request", "--stacks", dir, "--tenant", "echo", "--gpus", "32", ...H100, ...WINDOW);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "pool h100-a has 3 node(s) free from 2027-04-01T00:00:00Z to 2027-05-01T00:00:00Z (gpu-[014-016]), but 32 h100-80gb GPUs need 4 (8 per node)",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it.each([
    [
      "gpu-[5-3]",
      '--nodes: expected a node name or a Slurm hostlist such as gpu-[001-064] (the range 5-3 in [5-3] runs backwards, so it names no node), got "gpu-[5-3]"',
    ],
    [
      "gpu-[001-004",
      '--nodes: expected a node name or a Slurm hostlist such as gpu-[001-064] ("[" at character 5 has no closing "]"), got "gpu-[001-004"',
    ],
    ["gpu-[001-002],gpu-002", '--nodes: expected each node once, but it names gpu-002 more than once, got "gpu-[001-002],gpu-002"'],
    ["gpu-[0-99999999]", '--nodes: expected at most 100000 node names in a node set, but it gives 100000000, got "gpu-[0-99999999]"'],
    ["GPU-1", `--nodes: expected a node name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'), got "GPU-1"`],
  ])("refuses --nodes %s as a usage error (exit 2), touching no file", async (nodes, message) => {
    const dir = folder({ "platform-hpc": PLATFORM });
    const before = snapshot(dir);
    const r = await run("request", "--stacks", dir, "--tenant", "echo", "--gpus", "8", ...H100, ...WINDOW, "--nodes", nodes);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    noTrace(r.stderr);
    expect(snapshot(dir)).toEqual(before);
  });
});
