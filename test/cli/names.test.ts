import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { exampleStacks, run } from "./helpers";

// A lease id that is a valid DNS-1123 label (63 characters) but too long for the node group EKS
// gets for it: `leasehold check` refuses it with one line, exit 1, before any `pulumi up`.

/** The example fleet with delta's first lease (on the EKS platform) renamed to `id`. */
function fleetWithDeltaLease(id: string): { dir: string; file: string } {
  const dir = exampleStacks();
  const file = path.join(dir, "Pulumi.tenant-delta.yaml");
  const text = fs.readFileSync(file, "utf8");
  expect(text).toContain("- id: delta-h100-2027q1\n");
  fs.writeFileSync(file, text.replace("- id: delta-h100-2027q1\n", `- id: ${id}\n`));
  return { dir, file };
}

describe("leasehold check: names too long for EKS", () => {
  it("refuses a 63-character lease id on an EKS platform, naming the file, key, node group name and limit", async () => {
    const id = `delta-h100-2027q1-${"x".repeat(45)}`;
    expect(id).toHaveLength(63);
    const { dir, file } = fleetWithDeltaLease(id);
    // validate judges the file with the platform of its folder, as check does: the same line.
    const v = await run("validate", file);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`${file}: leasehold:leases[0].id: on EKS (platform platform-aws) the lease's node group name would be`);
    const r = await run("check", "--stacks", dir);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toEqual([
      `${file}: leasehold:leases[0].id: on EKS (platform platform-aws) the lease's node group name would be "${id}-nodes-xxxxxxx" (xxxxxxx: Pulumi's random suffix): 77 characters, over the limit of 63 for an EKS node group name (Amazon EKS User Guide, Create a managed node group; @pulumi/aws eks.NodeGroup nodeGroupName); on this platform expected a lease id of at most 49 characters, got "${id}"`,
      "fleet check failed: 1 problem(s) in 6 stack file(s)",
    ]);
    const json = JSON.parse((await run("check", "--stacks", dir, "--json")).stdout);
    expect(json.problems).toEqual([expect.objectContaining({ file, path: "leasehold:leases[0].id", line: 17 })]);
  });

  it("accepts the longest lease id that fits (49 characters) and refuses 50", async () => {
    const id49 = `delta-h100-2027q1-${"x".repeat(31)}`;
    expect((await run("check", "--stacks", fleetWithDeltaLease(id49).dir)).code).toBe(0);
    const r = await run("check", "--stacks", fleetWithDeltaLease(`${id49}x`).dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("64 characters, over the limit of 63 for an EKS node group name");
  });
});
