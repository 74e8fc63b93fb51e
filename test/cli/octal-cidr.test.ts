import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers";

// ../shared/cases/round3/octal-cidr: an egress block with a leading zero in an octet. Kubernetes
// reads 169.254.169.0254 as the metadata address 169.254.169.254 (decimal), a JavaScript reader as
// 169.254.169.172 (octal), so it was neither refused as metadata nor excepted. Every CIDR is now
// taken in its canonical spelling only (lease/address.ts; the e2e suite checks the readings
// against Go's net/netip and the API server).

const CASE = path.join(ROOT, "test/fixtures/cases/round3/octal-cidr");
const FILE = `${CASE}/Pulumi.tenant-oct.yaml`;

describe("CIDRs in other spellings than the canonical one (round3/octal-cidr)", () => {
  it("validate refuses each, naming the file, the key path, what Kubernetes reads and the value; exit 1", async () => {
    const r = await run("validate", "--stacks", CASE);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${FILE}: leasehold:tenant.network.egress[0].cidr: expected a CIDR in canonical form such as 10.0.0.0/8 or fd00::/8; this one has a leading zero in an IPv4 field, and Kubernetes reads it as 169.254.169.254/32, got "169.254.169.0254/32"`,
    );
    expect(r.stderr).toContain(`${FILE}: leasehold:tenant.network.egress[1].cidr:`);
    expect(r.stderr).toContain('Kubernetes reads it as 169.254.169.252/30, got "169.254.169.0252/30"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("check and render refuse it too, rendering nothing", async () => {
    expect((await run("check", "--stacks", CASE)).code).toBe(1);
    const render = await run("render", "--stacks", CASE, "--stack", "tenant-oct");
    expect(render.code).toBe(1);
    expect(render.stdout).toBe("");
    expect(render.stderr).toContain("leasehold:tenant.network.egress[0].cidr: expected a CIDR in canonical form");
  });
});
