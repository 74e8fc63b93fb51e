import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers";

// ../shared/cases/round3/renewal: a tenant renews back to back on the same node (acme-jan ends at
// 2027-02-01, acme-feb starts then). Offline, the tenant's manifest and the node's taint must be
// the same on both sides of the boundary: only the lease label changes. (The e2e suite runs the
// pod through such a renewal on the scheduler with kwok nodes.)

const CASE = path.join(ROOT, "test/fixtures/cases/round3/renewal");
const STACKS = path.join(CASE, "stacks");
const BEFORE = "2027-01-20T00:00:00Z";
const AFTER = "2027-02-01T00:10:00Z";

async function nodeAt(at: string) {
  const r = await run("render", "--stacks", STACKS, "--stack", "tenant-acme", "--at", at);
  expect(r.code, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: { taints?: object[] } })
    .find((o) => o.kind === "Node" && o.metadata.name === "gpu-001")!;
}

describe("a renewal on the same node (round3/renewal)", () => {
  it("passes the fleet check", async () => {
    const r = await run("check", "--stacks", STACKS, "--at", BEFORE);
    expect(r.code, r.stderr).toBe(0);
  });

  it("admits the tenant's manifest before and after the boundary, unchanged", async () => {
    for (const at of [BEFORE, AFTER]) {
      const r = await run("admit", "--stacks", STACKS, "--stack", "tenant-acme", "--at", at, "--json", "-f", path.join(CASE, "pod.yaml"));
      expect(r.code, `${at}: ${r.stdout}`).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ allowed: true, violations: [], warnings: [] });
    }
  });

  it("keeps gpu-001's taint across the boundary (nothing to evict); only its lease label changes", async () => {
    const before = await nodeAt(BEFORE);
    const after = await nodeAt(AFTER);
    expect(before.spec!.taints).toEqual([{ key: "leasehold.io/tenant", value: "acme", effect: "NoExecute" }]);
    expect(after.spec!.taints).toEqual(before.spec!.taints);
    expect(before.metadata.labels).toEqual({ "leasehold.io/lease": "acme-jan", "leasehold.io/tenant": "acme" });
    expect(after.metadata.labels).toEqual({ "leasehold.io/lease": "acme-feb", "leasehold.io/tenant": "acme" });
  });

  it("still refuses, before the boundary, a toleration of the lease that has not started (only leases in force)", async () => {
    const r = await run(
      "admit",
      "--stacks",
      STACKS,
      "--stack",
      "tenant-acme",
      "--at",
      BEFORE,
      "--json",
      "-f",
      path.join(CASE, "pod-by-lease.yaml"),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("not one of tenant acme's leases in force");
  });
});
