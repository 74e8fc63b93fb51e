import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diffArrays } from "diff";
import { afterEach, describe, expect, it } from "vitest";
import { inOriginalLayout } from "../../cli/yaml-edit";
import { run, ROOT } from "./helpers";

// A stack file saved by a Windows editor (a UTF-8 byte-order mark, CRLF line ends) edited by
// request, reclaim and purge: it keeps both, and only the lines the edit is about differ.

const CASE = path.join(ROOT, "test/fixtures/cases/agreement/stack-files/bom-crlf");
const FILE = "Pulumi.tenant-bom.yaml";

function caseFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-layout-"));
  for (const f of fs.readdirSync(CASE)) fs.copyFileSync(path.join(CASE, f), path.join(dir, f));
  return dir;
}

/** The lines of `after` that are not lines of `before` (in order), after checking the layout is kept. */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  expect(after.startsWith("\uFEFF"), "byte-order mark kept").toBe(true);
  expect(after.replace(/\r\n/g, "").includes("\n"), "every line ends with CRLF").toBe(false);
  const lines = (t: string) => t.slice(1).split("\r\n");
  const parts = diffArrays(lines(before), lines(after));
  return { added: parts.filter((p) => p.added).flatMap((p) => p.value), removed: parts.filter((p) => p.removed).flatMap((p) => p.value) };
}

afterEach(() => {
  delete process.env.LEASEHOLD_AT;
});

describe("edits keep a stack file's byte-order mark and line ends", () => {
  it("reclaim adds only the notice's lines", async () => {
    const dir = caseFolder();
    const before = fs.readFileSync(path.join(dir, FILE), "utf8");
    process.env.LEASEHOLD_AT = "2027-09-10T00:00:00Z";
    const r = await run("reclaim", "--stacks", dir, "--stack", "tenant-bom", "--lease", "bom-l40s", "--reason", "maintenance");
    expect(r.code, r.stderr).toBe(0);
    const { added, removed } = changedLines(before, fs.readFileSync(path.join(dir, FILE), "utf8"));
    expect(removed).toEqual(["      reclaim: {noticeHours: 24}"]);
    expect(added).toEqual([
      '      reclaim: {noticeHours: 24, notice: {issuedAt: "2027-09-10T00:00:00Z", effectiveAt: "2027-09-11T00:00:00Z", reason: maintenance}}',
    ]);
    expect((await run("check", "--stacks", dir)).code).toBe(0);
  });

  it("request adds only the new lease's lines", async () => {
    const dir = caseFolder();
    const before = fs.readFileSync(path.join(dir, FILE), "utf8");
    const r = await run(
      "request",
      "--stacks",
      dir,
      "--tenant",
      "bom",
      "--gpus",
      "8",
      "--gpu-type",
      "l40s",
      "--pool",
      "l40s-a",
      "--start",
      "2027-11-01T00:00:00Z",
      "--end",
      "2027-12-01T00:00:00Z",
    );
    expect(r.code, r.stderr).toBe(0);
    const { added, removed } = changedLines(before, fs.readFileSync(path.join(dir, FILE), "utf8"));
    expect(removed).toEqual([]);
    expect(added[0]).toMatch(/^ {4}- id: bom-l40s-/);
    expect(added.length).toBeGreaterThan(3);
  });

  it("purge adds only the marker's lines", async () => {
    const dir = caseFolder();
    const before = fs.readFileSync(path.join(dir, FILE), "utf8");
    process.env.LEASEHOLD_AT = "2027-10-02T00:00:00Z";
    const r = await run("purge", "--stacks", dir, "--stack", "tenant-bom", "--tenant", "bom", "--confirm", "bom");
    expect(r.code, r.stderr).toBe(0);
    const { added, removed } = changedLines(before, fs.readFileSync(path.join(dir, FILE), "utf8"));
    expect(removed).toEqual([]);
    expect(added).toEqual(["  leasehold:purge:", "    tenant: bom", '    confirmedAt: "2027-10-02T00:00:00Z"']);
  });
});

describe("a file with old-Mac line ends (a lone CR)", () => {
  it("is edited by reclaim like any other (it once made the edit fail with an internal error), keeping its CRs", async () => {
    const dir = caseFolder();
    const file = path.join(dir, FILE);
    const before = fs
      .readFileSync(file, "utf8")
      .replace(/^\uFEFF/, "")
      .replace(/\r\n/g, "\r");
    fs.writeFileSync(file, before);
    process.env.LEASEHOLD_AT = "2027-09-10T00:00:00Z";
    const r = await run("reclaim", "--stacks", dir, "--stack", "tenant-bom", "--lease", "bom-l40s", "--reason", "maintenance");
    expect(r.code, r.stderr).toBe(0);
    const after = fs.readFileSync(file, "utf8");
    expect(after.includes("\n")).toBe(false);
    const parts = diffArrays(before.split("\r"), after.split("\r"));
    expect(parts.filter((p) => p.removed).flatMap((p) => p.value)).toEqual(["      reclaim: {noticeHours: 24}"]);
    expect(parts.filter((p) => p.added).flatMap((p) => p.value)).toHaveLength(1);
  });
});

describe("values the Pulumi CLI would read otherwise", () => {
  it("are written quoted by an edit: a reclaim reason of 1_000 stays text for the CLI too", async () => {
    const dir = caseFolder();
    process.env.LEASEHOLD_AT = "2027-09-10T00:00:00Z";
    const r = await run("reclaim", "--stacks", dir, "--stack", "tenant-bom", "--lease", "bom-l40s", "--reason", "1_000");
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, FILE), "utf8")).toContain('reason: "1_000"');
    expect((await run("check", "--stacks", dir)).code).toBe(0);
  });
});

describe("inOriginalLayout", () => {
  it("keeps untouched lines byte for byte, even with mixed line ends, and gives new lines the file's usual line end", () => {
    const original = "a: 1\r\nb: 2\nc: 3\r\nd: 4";
    expect(inOriginalLayout(original, "a: 1\nb: 2\nc: 30\nd: 4\ne: 5\n")).toBe("a: 1\r\nb: 2\nc: 30\r\nd: 4\r\ne: 5\r\n");
    expect(inOriginalLayout("x: 1\n", "x: 1\ny: 2\n")).toBe("x: 1\ny: 2\n");
    expect(inOriginalLayout("\uFEFFx: 1\r\n", "x: 2\n")).toBe("\uFEFFx: 2\r\n");
  });
});
