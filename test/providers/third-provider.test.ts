import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PROVIDERS } from "../../providers";
import type { PlatformProvider } from "../../providers/types";
import type { ExistingCluster } from "../../providers/existing";

// A third platform provider (test/fixtures/providers/bare, written as it would stand in
// providers/bare/) added the way a real one is: the project is copied, the folder dropped into
// providers/, and one entry (with its import) added to providers/registry.ts. Nothing else
// changes; the copy type-checks, and its CLI reads the new provider's config, applies its rules
// and capacity arithmetic, renders its programs and writes its policy contract.

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.join(ROOT, "test/fixtures/providers/bare");
const PROJECT_PARTS = [
  "bin",
  "cli",
  "components",
  "lease",
  "policies",
  "programs",
  "providers",
  "index.ts",
  "package.json",
  "tsconfig.json",
  "Pulumi.yaml",
];

let copy: string;
let stacks: string;

/** The registry file with the new provider's import and entry, and the lines that changed. */
function addToRegistry(text: string): { text: string; added: string[] } {
  const lines = text.split("\n");
  const lastImport = lines.map((l) => l.startsWith("import ")).lastIndexOf(true);
  const entries = lines.findIndex((l) => l.includes("registry({"));
  const close = lines.findIndex((l, i) => i > entries && l.startsWith("});"));
  const added = ['import { bare } from "./bare";', "  bare,"];
  const out = [...lines.slice(0, lastImport + 1), added[0]!, ...lines.slice(lastImport + 1, close), added[1]!, ...lines.slice(close)];
  return { text: out.join("\n"), added };
}

function leasehold(...argv: string[]) {
  const r = spawnSync(process.execPath, [path.join(copy, "bin/leasehold.js"), ...argv], { cwd: copy, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const platform = (
  pools: object[] = [{ name: "a", gpuType: "h100-80gb", maxNodes: 1 }],
  cluster: object = { provider: "bare", rack: "r12" },
) => stringify({ config: { "leasehold:role": "platform", "leasehold:cluster": cluster, "leasehold:pools": pools } });

const tenant = (name: string, count: number) =>
  stringify({
    config: {
      "leasehold:role": "tenant",
      "leasehold:platform": "platform-bare",
      "leasehold:tenant": { name, access: { admins: [`${name}:admins`], viewers: [] } },
      "leasehold:leases": [
        {
          id: `${name}-1`,
          gpu: { type: "h100-80gb", count },
          window: { start: "2027-01-01T00:00:00Z", end: "2027-02-01T00:00:00Z" },
          placement: { pool: "a" },
          reclaim: { noticeHours: 72 },
        },
      ],
    },
  });

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bare-stacks-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}

beforeAll(() => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-third-provider-"));
  for (const part of PROJECT_PARTS)
    fs.cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true, filter: (src) => !src.includes("node_modules") });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
  fs.cpSync(FIXTURE, path.join(copy, "providers/bare"), { recursive: true });
  const registry = path.join(copy, "providers/registry.ts");
  fs.writeFileSync(registry, addToRegistry(fs.readFileSync(registry, "utf8")).text);
  stacks = folder({ "platform-bare": platform(), "tenant-a": tenant("a", 3) });
});

afterAll(() => {
  fs.rmSync(copy, { recursive: true, force: true });
  fs.rmSync(stacks, { recursive: true, force: true });
});

describe("a third provider is its folder and one registry entry", () => {
  it("changes providers/registry.ts by its import and its entry only", () => {
    const before = fs.readFileSync(path.join(ROOT, "providers/registry.ts"), "utf8").split("\n");
    const after = fs.readFileSync(path.join(copy, "providers/registry.ts"), "utf8").split("\n");
    expect(after.filter((l) => !before.includes(l))).toEqual(['import { bare } from "./bare";', "  bare,"]);
    expect(before.filter((l) => !after.includes(l))).toEqual([]);
  });

  it("type-checks with nothing else changed", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", copy], {
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 180_000);

  it("reads its cluster config and refuses what its rules refuse, by key", () => {
    expect(leasehold("validate", "--stacks", stacks)).toMatchObject({ code: 0 });
    const bad = folder({ "platform-bare": platform([{ name: "a", gpuType: "h100-80gb", nodes: ["n1"] }]) });
    const r = leasehold("validate", "--stacks", bad);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain("leasehold:pools[0].nodes: is not for provider: bare");
    expect(r.stderr + r.stdout).toContain("leasehold:pools[0].maxNodes: is required for a bare pool");
    const rack = leasehold("validate", "--stacks", folder({ "platform-bare": platform(undefined, { provider: "bare", rack: "12" }) }));
    expect(rack.stderr + rack.stdout).toContain("leasehold:cluster.rack: expected a rack such as r12");
    const unknown = leasehold("validate", "--stacks", folder({ "platform-bare": platform(undefined, { provider: "gke" }) }));
    expect(unknown.stderr + unknown.stdout).toContain("expected provider: existing, provider: eks or provider: bare");
  }, 60_000);

  it("gives check its capacity arithmetic: whole nodes", () => {
    // Two leases of 3 GPUs fit an 8-GPU pool counted in GPUs, but not a 1-node pool counted in nodes.
    const two = folder({ "platform-bare": platform(), "tenant-a": tenant("a", 3), "tenant-b": tenant("b", 3) });
    const r = leasehold("check", "--stacks", two);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(
      "pool a of platform-bare holds 1 node of 8 GPUs (maxNodes), but from 2027-01-01T00:00:00Z its leases in force would take 2 nodes",
    );
    expect(leasehold("check", "--stacks", stacks)).toMatchObject({ code: 0 });
  }, 60_000);

  it("renders its program parts and writes its policy contract", () => {
    const p = leasehold("render", "--stack", "platform-bare", "--stacks", stacks, "--at", "2027-01-15T00:00:00Z");
    expect(p.stderr).toBe("");
    expect(p.stdout).toContain("kind: ValidatingAdmissionPolicy");
    const t = leasehold("render", "--stack", "tenant-a", "--stacks", stacks, "--at", "2027-01-15T00:00:00Z");
    expect(t.stderr).toBe("");
    expect(t.stdout).toContain("kind: ResourceQuota");
    expect(t.stdout).not.toContain("kind: Node\n");
    const c = leasehold("policy-config", "--stack", "tenant-a", "--stacks", stacks, "--at", "2027-01-15T00:00:00Z");
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)["pool-capacity"].contract.platform.cluster).toEqual({ provider: "bare", rack: "r12" });
  }, 60_000);

  it("must supply every part: a provider without its policy checks does not compile", () => {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- destructured only to leave it out of `withoutPolicy`
    const { policy: _policy, ...withoutPolicy } = PROVIDERS.existing;
    // @ts-expect-error: `policy` is missing, so this is not a PlatformProvider
    const incomplete: PlatformProvider<ExistingCluster> = withoutPolicy;
    expect(incomplete).not.toHaveProperty("policy");
  });
});
