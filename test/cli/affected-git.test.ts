import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run, runBin } from "./helpers";

// `leasehold affected --base` against a real git repository: a copy of the project's stack files
// and a bit of shared code, committed, then changed the ways pull requests change them.

function repo(): { dir: string; git: (...args: string[]) => string; commit: (message: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-git-"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.cpSync(path.join(ROOT, "stacks"), path.join(dir, "stacks"), { recursive: true });
  fs.mkdirSync(path.join(dir, "lease"));
  fs.writeFileSync(path.join(dir, "lease", "quantity.ts"), "export const x = 1;\n");
  fs.writeFileSync(path.join(dir, "README.md"), "# fleet\n");
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "-c", "init.defaultBranch=main", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  git("init", "-q");
  const commit = (message: string) => {
    git("add", "-A");
    git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD");
  };
  commit("base");
  return { dir, git, commit };
}

const affected = (dir: string, ...args: string[]) => run("affected", "--stacks", path.join(dir, "stacks"), ...args);
const lines = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter((l) => l.length > 0);
const edit = (dir: string, file: string, from: string, to: string) => {
  const p = path.join(dir, file);
  const text = fs.readFileSync(p, "utf8");
  if (!text.includes(from)) throw new Error(`${file} lacks ${from}`);
  fs.writeFileSync(p, text.replace(from, to));
};

describe("leasehold affected --base (a git diff)", () => {
  it("names the tenant whose stack file changed, and only it", async () => {
    const { dir, git, commit } = repo();
    const base = git("rev-parse", "HEAD");
    edit(dir, "stacks/Pulumi.tenant-acme.yaml", "noticeHours: 72", "noticeHours: 96");
    commit("acme negotiates a longer notice");
    const r = await affected(dir, "--base", base);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual(["tenant-acme"]);
    expect(r.stderr).toContain("tenant-acme: stacks/Pulumi.tenant-acme.yaml changed");
  });

  it("reaches every tenant of a changed platform (and no other), platforms first", async () => {
    const { dir, git, commit } = repo();
    const base = git("rev-parse", "HEAD");
    edit(dir, "stacks/Pulumi.platform-local.yaml", "nodes: [l40s-001, l40s-002]", "nodes: [l40s-001, l40s-002, l40s-003]");
    commit("a third L40S server");
    const r = await affected(dir, "--base", base, "--json");
    const out = JSON.parse(r.stdout);
    expect(out.platforms).toEqual(["platform-local"]);
    expect(out.tenants).toEqual(["tenant-acme", "tenant-bluefin", "tenant-corvid"]);
    expect(out.stacks.map((a: { stack: string }) => a.stack)).toEqual(["platform-local", "tenant-acme", "tenant-bluefin", "tenant-corvid"]);
    expect(out.stacks[1].reasons).toEqual(["its platform platform-local: stacks/Pulumi.platform-local.yaml changed"]);
  });

  it("affects every stack when shared code changes, and none for documentation alone", async () => {
    const { dir, git, commit } = repo();
    const base = git("rev-parse", "HEAD");
    fs.writeFileSync(path.join(dir, "README.md"), "# fleet\n\nmore words\n");
    const docs = commit("docs");
    expect(lines((await affected(dir, "--base", base, "--head", docs)).stdout)).toEqual([]);
    fs.writeFileSync(path.join(dir, "lease", "quantity.ts"), "export const x = 2;\n");
    commit("a domain change");
    const r = await affected(dir, "--base", base);
    expect(lines(r.stdout)).toEqual(["platform-aws", "platform-local", "tenant-acme", "tenant-bluefin", "tenant-corvid", "tenant-delta"]);
    expect(r.stderr).toContain("tenant-delta: shared code changed (lease/quantity.ts)");
  });

  it("names a renamed stack under its new name and reports the old one as removed; a deletion is removed only", async () => {
    const { dir, git, commit } = repo();
    const base = git("rev-parse", "HEAD");
    git("mv", "stacks/Pulumi.tenant-corvid.yaml", "stacks/Pulumi.tenant-crow.yaml");
    edit(dir, "stacks/Pulumi.tenant-crow.yaml", "name: corvid", "name: crow");
    git("rm", "-q", "stacks/Pulumi.tenant-delta.yaml");
    commit("corvid becomes crow; delta leaves");
    const r = await affected(dir, "--base", base, "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stacks.map((a: { stack: string }) => a.stack)).toEqual(["tenant-crow"]);
    expect(out.removed).toEqual(["tenant-corvid", "tenant-delta"]);
    const text = await affected(dir, "--base", base);
    expect(text.stderr).toContain("tenant-delta: its stack file was removed");
  });

  it("compares from the merge base, so later changes on the base branch are not the pull request's", async () => {
    const { dir, git, commit } = repo();
    git("checkout", "-q", "-b", "feature");
    edit(dir, "stacks/Pulumi.tenant-acme.yaml", "noticeHours: 72", "noticeHours: 96");
    commit("the pull request");
    git("checkout", "-q", "main");
    edit(dir, "stacks/Pulumi.tenant-bluefin.yaml", "noticeHours: 24", "noticeHours: 48");
    commit("meanwhile on main");
    git("checkout", "-q", "feature");
    expect(lines((await affected(dir, "--base", "main")).stdout)).toEqual(["tenant-acme"]);
  });

  it("treats an all-zero base (a branch's first push) as every stack", async () => {
    const { dir } = repo();
    expect(lines((await affected(dir, "--base", "0".repeat(40))).stdout)).toHaveLength(6);
  });

  it("affects every stack when the CLI or its launcher changes: every workflow runs them", async () => {
    for (const file of ["cli/affected.ts", "bin/leasehold.js"]) {
      const { dir, git, commit } = repo();
      const base = git("rev-parse", "HEAD");
      fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), "// changed\n");
      commit(`a change to ${file}`);
      const r = await affected(dir, "--base", base, "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(
        JSON.parse(r.stdout).stacks.map((a: { stack: string }) => a.stack),
        file,
      ).toHaveLength(6);
      expect(JSON.parse(r.stdout).stacks[0].reasons, file).toEqual([`shared code changed (${file})`]);
    }
  });
});

describe("leasehold affected --base: mistakes, one line each and exit 2", () => {
  /** A usage error as the CLI prints it: one line, no stack trace. */
  const oneLine = (r: { code: number; stdout: string; stderr: string }) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^leasehold: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return r.stderr.trim();
  };

  it("names an unknown revision and says how to fetch it", async () => {
    const { dir } = repo();
    const err = oneLine(await affected(dir, "--base", "no-such-branch"));
    expect(err).toContain('--base: unknown revision "no-such-branch"');
    expect(err).toContain("git fetch");
    expect(err).toContain("fetch-depth: 0");
    expect(oneLine(await affected(dir, "--base", "HEAD", "--head", "nope"))).toContain('--head: unknown revision "nope"');
  });

  it("says so when the clone is shallow (a CI checkout without fetch-depth: 0)", async () => {
    const { dir: origin, commit } = repo();
    edit(origin, "stacks/Pulumi.tenant-acme.yaml", "noticeHours: 72", "noticeHours: 96");
    commit("second");
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-shallow-"));
    const r = spawnSync("git", ["clone", "-q", "--depth", "1", `file://${origin}`, clone], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const err = oneLine(await affected(clone, "--base", "HEAD~1"));
    expect(err).toContain('--base: unknown revision "HEAD~1"');
    expect(err).toContain("this clone is shallow");
    expect(err).toContain("fetch-depth: 0");
  });

  it("never lets a revision starting with - reach git as an option", async () => {
    const { dir } = repo();
    const out = path.join(dir, "written-by-git");
    const err = oneLine(await affected(dir, "--base", `--output=${out}`));
    expect(err).toContain(`--base: unknown revision "--output=${out}"`);
    expect(oneLine(await affected(dir, "--base", "HEAD", "--head", `--output=${out}`))).toContain("--head: unknown revision");
    expect(fs.existsSync(out)).toBe(false);
  });

  it("refuses an empty revision (an event that gave none)", async () => {
    const { dir } = repo();
    expect(oneLine(await affected(dir, "--base", ""))).toContain("--base: an empty revision");
  });

  it("refuses a project outside any git repository", async () => {
    const { dir } = repo();
    fs.rmSync(path.join(dir, ".git"), { recursive: true });
    expect(oneLine(await affected(dir, "--base", "HEAD"))).toContain("is not in a git repository");
  });

  it("refuses --head without --base instead of ignoring it", async () => {
    const { dir } = repo();
    for (const other of [[], ["--all"], ["--at", "now", "--since", "2026-01-01T00:00:00Z"]]) {
      expect(oneLine(await affected(dir, "--head", "HEAD", ...other))).toContain(
        "--head is the revision compared with --base: give --base REF too",
      );
    }
  });

  it("prints the same one line through the installed command, with no stack trace", () => {
    const { dir } = repo();
    const r = runBin(dir, "affected", "--base", "no-such-branch");
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^leasehold: --base: unknown revision "no-such-branch"/);
  });
});
