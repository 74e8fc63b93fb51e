import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile, loadStackText } from "../../lease/load";
import { divergences, goResolve, readAsPulumiCli, readStackYaml, Unreadable } from "../../lease/stack-yaml";
import { PLAIN_SCALARS } from "../fixtures/yaml-scalars";

// The Pulumi CLI's reading of plain scalars (gopkg.in/yaml.v3), as predicted here; the e2e suite
// checks the prediction against the real CLI (`pulumi config --json`) on a corpus.

const CASES = path.resolve(__dirname, "../fixtures/cases/agreement/stack-files");

describe("goResolve: yaml.v3's reading of a plain scalar", () => {
  it.each([
    ["010", 8],
    ["-010", -8],
    ["0777", 511],
    ["08", 8],
    ["0b101", 5],
    ["0o17", 15],
    ["0x1F", 31],
    ["1_000", 1000],
    ["1.5_0", 1.5],
    ["+.5", 0.5],
    ["2027-1-2", "2027-01-02T00:00:00Z"],
    ["2027-01-01 10:00:00", "2027-01-01T10:00:00Z"],
    ["2027-01-01T00:00:00+00:00", "2027-01-01T00:00:00Z"],
    ["2027-01-01T00:00:00.500Z", "2027-01-01T00:00:00.5Z"],
  ])("reads %s as %j", (s, v) => {
    expect(goResolve(s)).toEqual(v);
  });

  it.each(["yes", "on", "1:30", "0o8", "0b102", "2027-13-01", "2027-01-01T00:00:00z", "1e400", "10.40.0.0/16", "h100-80gb"])(
    "leaves %s a string",
    (s) => {
      expect(goResolve(s)).toBeUndefined();
    },
  );

  it("marks .inf and .nan, which the CLI cannot hand to a program", () => {
    expect(goResolve(".inf")).toBeInstanceOf(Unreadable);
    expect(goResolve("-.Inf")).toBeInstanceOf(Unreadable);
    expect(goResolve(".NaN")).toBeInstanceOf(Unreadable);
  });
});

describe("the cheap scan that skips the second parse", () => {
  it("misses no divergent scalar, in every place a plain scalar can stand", () => {
    const places = [
      (v: string) => `k: ${v}`,
      (v: string) => `k:\n      - ${v}`,
      (v: string) => `k: [a, ${v}]`,
      (v: string) => `k: {a: ${v}}`,
      (v: string) => `k: &anchor ${v}`,
      (v: string) => `k:\n      ${v}`,
      (v: string) => `k: [&a ${v}]`,
    ];
    let divergent = 0;
    for (const s of PLAIN_SCALARS) {
      for (const place of places) {
        const text = `config:\n  leasehold:probe:\n    ${place(s)}\n`;
        let ours: unknown;
        try {
          ours = readStackYaml(text);
        } catch {
          continue;
        }
        const all = divergences(text, ours, undefined, false);
        if (all.length > 0) divergent++;
        expect(divergences(text, ours).length, `${JSON.stringify(text)}`).toBe(all.length);
      }
    }
    expect(divergent).toBeGreaterThan(100);
  });
});

describe("one reading of a stack file", () => {
  it("refuses the leading-zero case with the file, the key and a hint, and nothing for canonical values", () => {
    const r = loadStackFile(path.join(CASES, "leading-zero", "Pulumi.tenant-oct.yaml"));
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems.map((p) => p.path)).toEqual(["leasehold:leases[0].gpu.count", "leasehold:leases[0].reclaim.noticeHours"]);
    expect(problems[0]!.message).toBe(
      "the plain YAML scalar 010 is 10 in YAML 1.2 (leasehold), but the Pulumi CLI, which hands the program its config, reads it as 8 (a leading 0 makes a number octal there): write 10 if you mean 10, or quote it if it is text",
    );
    expect(problems[0]!.line).toBe(11);
  });

  it("reads Slurm hostlists written as plain scalars as the Pulumi CLI does, and expands them (the hostlist case)", () => {
    const dir = path.join(CASES, "hostlist");
    for (const f of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, f), "utf8");
      const ours = readStackYaml(text);
      expect(divergences(text, ours, undefined, false), f).toEqual([]);
      expect(readAsPulumiCli(text), f).toEqual(ours);
    }
    const platform = loadStackFile(path.join(dir, "Pulumi.platform-local.yaml"));
    const tenant = loadStackFile(path.join(dir, "Pulumi.tenant-hpc.yaml"));
    if (!platform.ok || platform.stack.role !== "platform" || !tenant.ok || tenant.stack.role !== "tenant")
      throw new Error("expected both to load");
    expect(platform.stack.config.pools.map((p) => p.nodes)).toEqual([
      ["gpu-001", "gpu-002", "gpu-003", "gpu-004", "gpu-010", "gpu-011", "gpu-012"],
      ["l40s-001", "l40s-002", "l40s-003", "rack1-l40s-01", "rack1-l40s-02", "rack2-l40s-01", "rack2-l40s-02"],
    ]);
    expect(tenant.stack.config.leases.map((l) => l.placement.nodes)).toEqual([
      ["gpu-001", "gpu-002", "gpu-003", "gpu-010", "gpu-011"],
      ["l40s-001", "rack1-l40s-01", "rack2-l40s-01"],
    ]);
  });

  it("reads merge keys as the Pulumi CLI does", () => {
    const text = "defaults: &d {noticeHours: 24}\nconfig:\n  leasehold:x:\n    reclaim: {<<: *d, extra: 1}\n";
    expect((readStackYaml(text) as { config: Record<string, unknown> }).config["leasehold:x"]).toEqual({
      reclaim: { noticeHours: 24, extra: 1 },
    });
    expect(divergences(text, readStackYaml(text))).toEqual([]);
  });

  it("judges only leasehold keys, and reads a byte-order mark and CRLF line ends", () => {
    const text =
      "\uFEFFconfig:\r\n  aws:region: 010\r\n  leasehold:role: platform\r\n  leasehold:cluster: {provider: existing}\r\n  leasehold:pools: []\r\n";
    const r = loadStackText("stacks/Pulumi.platform-x.yaml", text);
    expect(r.ok ? [] : r.problems).toEqual([]);
  });

  it("accepts every example stack as it is", () => {
    const dir = path.resolve(__dirname, "../../stacks");
    for (const f of fs.readdirSync(dir)) expect(loadStackFile(path.join(dir, f)).ok, f).toBe(true);
  });
});

describe("what an attack on the loader found, against the real Pulumi CLI (test/fixtures/attack-stack-files)", () => {
  const ATTACKS = path.resolve(__dirname, "../fixtures/attack-stack-files");
  // Left alone: a `secure:` map in another namespace (the CLI's own secrets), and an ESC environment.
  const ALLOWED = ["secure-shaped-map-other-key.yaml", "environment-import.yaml"];
  it.each(fs.readdirSync(ATTACKS).filter((f) => f.endsWith(".yaml") && !ALLOWED.includes(f)))(
    "%s is refused, naming the Pulumi CLI",
    (f) => {
      const r = loadStackText("stacks/Pulumi.tenant-acme.yaml", fs.readFileSync(path.join(ATTACKS, f), "utf8"));
      expect(r.ok).toBe(false);
      const said = r.ok ? [] : r.problems.filter((p) => p.message.includes("Pulumi CLI"));
      expect(said.length, JSON.stringify(r.ok ? [] : r.problems)).toBeGreaterThan(0);
      expect(said.every((p) => p.line !== undefined && !p.message.includes('"the file"'))).toBe(true);
    },
  );

  it("says what a tag does, not that the file has duplicate keys (!!int 16)", () => {
    const r = loadStackText(
      "stacks/Pulumi.tenant-acme.yaml",
      fs.readFileSync(path.join(ATTACKS, "int-tag-refused-same-reading.yaml"), "utf8"),
    );
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "leasehold:leases[0].gpu.count: a YAML tag (!!int) here: leasehold takes no tags under its keys, as the Pulumi CLI (gopkg.in/yaml.v3) resolves some tagged values otherwise (`! 010` is 8 there): drop the tag, and quote the value if it is text",
    ]);
  });
});
