import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadStackText, type LoadResult } from "../../lease/load";
import type { Problem } from "../../lease/problems";
import { acceleratorResources } from "../../lease/catalog";

// Every rule of the stack schemas, each with a case it refuses and a case it accepts, through the
// real loader. Configs are built as objects from a valid base and written out as YAML, so each test
// changes exactly the key it is about.

const TENANT_FILE = "stacks/Pulumi.tenant-acme.yaml";
const PLATFORM_FILE = "stacks/Pulumi.platform-local.yaml";

type Obj = Record<string, any>;

function tenantBase(): Obj {
  return {
    role: "tenant",
    platform: "platform-local",
    tenant: {
      name: "acme",
      access: { admins: ["acme:admins"], viewers: ["acme:viewers"] },
      network: { egress: [{ cidr: "0.0.0.0/0", except: ["169.254.169.254/32"], ports: [443] }] },
      resources: { storage: "200Ti" },
    },
    leases: [
      {
        id: "acme-h100-2026q4",
        gpu: { type: "h100-80gb", count: 16 },
        window: { start: "2026-12-01T00:00:00Z", end: "2027-06-01T00:00:00Z" },
        placement: { pool: "h100-a", nodes: ["gpu-001", "gpu-002"] },
        reclaim: { noticeHours: 72 },
      },
    ],
  };
}

function platformBase(): Obj {
  return {
    role: "platform",
    cluster: { provider: "existing" },
    pools: [
      { name: "h100-a", gpuType: "h100-80gb", nodes: ["gpu-001", "gpu-002"] },
      { name: "l40s-a", gpuType: "l40s", nodes: ["l40s-001"] },
    ],
  };
}

function eksBase(): Obj {
  return {
    role: "platform",
    cluster: {
      provider: "eks",
      name: "gpu-prod",
      version: "1.33",
      vpcCidr: "10.40.0.0/16",
      availabilityZones: ["us-east-2a", "us-east-2b"],
    },
    pools: [{ name: "h100-a", gpuType: "h100-80gb", instanceType: "p5.48xlarge", maxNodes: 4 }],
  };
}

/** The YAML text of a stack whose `leasehold:*` keys are `own` (keys without the prefix). */
function text(own: Obj): string {
  const config: Obj = {};
  for (const [k, v] of Object.entries(own)) if (v !== undefined) config[`leasehold:${k}`] = v;
  return stringify({ config });
}

function tenant(edit: (c: Obj) => void = () => {}, file = TENANT_FILE): LoadResult {
  const c = tenantBase();
  edit(c);
  return loadStackText(file, text(c));
}

function platform(edit: (c: Obj) => void = () => {}, base: () => Obj = platformBase, file = PLATFORM_FILE): LoadResult {
  const c = base();
  edit(c);
  return loadStackText(file, text(c));
}

function eks(edit: (c: Obj) => void = () => {}): LoadResult {
  return platform(edit, eksBase);
}

/** The problems of a result that must have failed. */
function problems(r: LoadResult): Problem[] {
  if (r.ok) throw new Error("expected the stack to be refused, but it loaded");
  return r.problems;
}

/** The one problem of a refused stack; fails the test when there are none or several. */
function only(r: LoadResult): Problem {
  const ps = problems(r);
  expect(ps.map((p) => `${p.path}: ${p.message}`)).toHaveLength(1);
  return ps[0]!;
}

/** Asserts a refused stack has exactly one problem, at `path`, whose message contains each of `parts`. */
function refused(r: LoadResult, path: string, ...parts: string[]): void {
  const p = only(r);
  expect(p.path).toBe(path);
  for (const part of parts) expect(p.message).toContain(part);
}

/** Asserts a stack loads, showing its problems when it does not. */
function accepted(r: LoadResult): void {
  expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([]);
  expect(r.ok).toBe(true);
}

describe("the valid bases", () => {
  it("accepts the tenant base config", () => accepted(tenant()));
  it("accepts the existing-cluster platform base config", () => accepted(platform()));
  it("accepts the EKS platform base config", () => accepted(eks()));
});

describe("strict objects", () => {
  it("refuses an unknown top-level key (leasehold:leese) and suggests leasehold:leases", () => {
    refused(
      tenant((c) => {
        c.leese = c.leases;
        delete c.leases;
      }),
      "leasehold:leese",
      "unknown key for a tenant stack",
      "(did you mean leasehold:leases?)",
      "expected one of leasehold:role, leasehold:platform, leasehold:tenant, leasehold:leases",
    );
  });

  it("refuses a platform key in a tenant stack (leasehold:pools)", () => {
    refused(
      tenant((c) => (c.pools = [])),
      "leasehold:pools",
      "unknown key for a tenant stack",
    );
  });

  it("refuses an unknown nested key (leasehold:tenant.nmae), listing the keys it accepts", () => {
    refused(
      tenant((c) => {
        c.tenant.nmae = c.tenant.name;
      }),
      "leasehold:tenant.nmae",
      "unknown key",
      "expected one of name, access, network, resources",
    );
  });

  it("suggests the nested key a one-letter typo meant (leasehold:tenant.acess -> access)", () => {
    refused(
      tenant((c) => {
        c.tenant.acess = c.tenant.access;
        delete c.tenant.access;
      }),
      "leasehold:tenant.acess",
      "unknown key (did you mean access?)",
    );
  });

  it("refuses an unknown key deep inside a lease (leasehold:leases[0].gpu.cuont)", () => {
    const ps = problems(tenant((c) => (c.leases[0].gpu.cuont = 8)));
    expect(ps.map((p) => p.path)).toContain("leasehold:leases[0].gpu.cuont");
    expect(ps.find((p) => p.path === "leasehold:leases[0].gpu.cuont")!.message).toContain("did you mean count?");
  });

  it("refuses an unknown key in a pool (leasehold:pools[0].gpu)", () => {
    refused(
      platform((c) => (c.pools[0].gpu = "h100-80gb")),
      "leasehold:pools[0].gpu",
      "unknown key",
    );
  });
});

describe("leasehold:role", () => {
  it("refuses a stack without a role", () => {
    refused(
      tenant((c) => delete c.role),
      "leasehold:role",
      "is required (expected platform or tenant)",
    );
  });

  it("refuses a role that is neither platform nor tenant, naming it", () => {
    refused(
      tenant((c) => (c.role = "landlord")),
      "leasehold:role",
      'expected platform or tenant, got "landlord"',
    );
  });

  it("accepts both roles (tenant and platform)", () => {
    accepted(tenant());
    accepted(platform());
  });
});

describe("DNS-1123 labels", () => {
  const long63 = "a".repeat(63);
  const long64 = "a".repeat(64);

  it("refuses an upper-case tenant name", () => {
    refused(
      tenant((c) => (c.tenant.name = "Acme")),
      "leasehold:tenant.name",
      "expected a DNS-1123 label",
      'got "Acme"',
    );
  });

  it("refuses a tenant name with an underscore", () => {
    refused(
      tenant((c) => (c.tenant.name = "ac_me")),
      "leasehold:tenant.name",
      "expected a DNS-1123 label",
      'got "ac_me"',
    );
  });

  it("refuses a tenant name of 64 characters", () => {
    refused(
      tenant((c) => (c.tenant.name = long64), `stacks/Pulumi.tenant-${long64}.yaml`),
      "leasehold:tenant.name",
      "at most 63 characters",
    );
  });

  it("accepts a tenant name of 63 characters", () => {
    accepted(tenant((c) => (c.tenant.name = long63), `stacks/Pulumi.tenant-${long63}.yaml`));
  });

  it("refuses a tenant name starting with '-'", () => {
    refused(
      tenant((c) => (c.tenant.name = "-acme")),
      "leasehold:tenant.name",
      "starting and ending with a letter or digit",
      'got "-acme"',
    );
  });

  it("refuses a lease id that is upper-case, has an underscore, is 64 characters or starts with '-'", () => {
    for (const bad of ["Acme-1", "acme_1", long64, "-acme"]) {
      refused(
        tenant((c) => (c.leases[0].id = bad)),
        "leasehold:leases[0].id",
        "expected a DNS-1123 label",
        `got ${JSON.stringify(bad)}`,
      );
    }
  });

  it("accepts a lease id of 63 characters with digits and '-'", () => {
    accepted(tenant((c) => (c.leases[0].id = `a-1${"b".repeat(60)}`)));
  });

  it("refuses a pool name that is upper-case, has an underscore, is 64 characters or starts with '-'", () => {
    for (const bad of ["H100-a", "h100_a", long64, "-h100"]) {
      refused(
        platform((c) => (c.pools[0].name = bad)),
        "leasehold:pools[0].name",
        "expected a DNS-1123 label",
        `got ${JSON.stringify(bad)}`,
      );
    }
  });

  it("accepts a pool name of 63 characters", () => {
    accepted(platform((c) => (c.pools[0].name = long63)));
  });
});

describe("Kubernetes quantities in leasehold:tenant.resources", () => {
  for (const good of ["1024", "500m", "8Ti", "1.5Gi", "2e3"]) {
    it(`accepts cpu and memory ${good}`, () => {
      accepted(tenant((c) => (c.tenant.resources = { cpu: good, memory: good, storage: good })));
    });
  }

  it("accepts a quantity YAML reads as a number (cpu: 96)", () => {
    accepted(tenant((c) => (c.tenant.resources.cpu = 96)));
  });

  it("refuses a word (memory: lots), naming it", () => {
    refused(
      tenant((c) => (c.tenant.resources.memory = "lots")),
      "leasehold:tenant.resources.memory",
      "expected a Kubernetes quantity",
      'got "lots"',
    );
  });

  it("refuses a negative quantity (cpu: -1)", () => {
    refused(
      tenant((c) => (c.tenant.resources.cpu = "-1")),
      "leasehold:tenant.resources.cpu",
      "expected a quantity of zero or more",
      'got "-1"',
    );
  });

  it("refuses a negative quantity YAML reads as a number (storage: -5)", () => {
    refused(
      tenant((c) => (c.tenant.resources.storage = -5)),
      "leasehold:tenant.resources.storage",
      "expected a quantity of zero or more",
    );
  });

  it("refuses pods that are not a positive integer (pods: 0)", () => {
    refused(
      tenant((c) => (c.tenant.resources.pods = 0)),
      "leasehold:tenant.resources.pods",
      "expected a positive integer, got 0",
    );
  });

  it("refuses an unknown resource key (gpus)", () => {
    refused(
      tenant((c) => (c.tenant.resources.gpus = 8)),
      "leasehold:tenant.resources.gpus",
      "unknown key",
    );
  });
});

describe("RFC 3339 times", () => {
  const start = (v: string) => tenant((c) => (c.leases[0].window.start = v));

  it("accepts a UTC time with Z", () => accepted(start("2026-12-01T00:00:00Z")));

  it("accepts a time with a +09:00 offset", () => accepted(start("2026-12-01T09:00:00+09:00")));

  it("accepts fractional seconds and a lower-case z", () => accepted(start("2026-12-01t00:00:00.5z")));

  it("refuses a time without an offset", () => {
    refused(
      start("2026-12-01T00:00:00"),
      "leasehold:leases[0].window.start",
      "expected an RFC 3339 time with an offset",
      'got "2026-12-01T00:00:00"',
    );
  });

  it("refuses a date without a time (and, written plain, says the Pulumi CLI reads it as a timestamp)", () => {
    const r = start("2026-12-01");
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'leasehold:leases[0].window.start: the plain YAML scalar 2026-12-01 is "2026-12-01" in YAML 1.2 (leasehold), but the Pulumi CLI, which hands the program its config, reads it as "2026-12-01T00:00:00Z" (an unquoted date or time is a YAML timestamp there): quote it ("2026-12-01")',
      'leasehold:leases[0].window.start: expected an RFC 3339 time with an offset, such as 2026-12-01T00:00:00Z, got "2026-12-01"',
    ]);
  });

  it("refuses February 30 rather than rolling over to March", () => {
    refused(
      start("2027-02-30T00:00:00Z"),
      "leasehold:leases[0].window.start",
      "expected a real calendar time",
      'got "2027-02-30T00:00:00Z"',
    );
  });

  it("accepts February 29 of a leap year and refuses it in other years", () => {
    accepted(tenant((c) => (c.leases[0].window = { start: "2028-02-29T00:00:00Z", end: "2028-06-01T00:00:00Z" })));
    refused(
      tenant((c) => (c.leases[0].window = { start: "2027-02-29T00:00:00Z", end: "2027-06-01T00:00:00Z" })),
      "leasehold:leases[0].window.start",
      "expected a real calendar time",
    );
  });

  it("refuses hour 24", () => {
    refused(
      start("2026-12-01T24:00:00Z"),
      "leasehold:leases[0].window.start",
      "expected a real calendar time",
      'got "2026-12-01T24:00:00Z"',
    );
  });

  it("refuses an offset beyond 23:59 (+24:00)", () => {
    refused(start("2026-12-01T00:00:00+24:00"), "leasehold:leases[0].window.start", "offset is at most ±23:59");
  });

  it("refuses a time that is not a string (a number)", () => {
    refused(start(20261201 as unknown as string), "leasehold:leases[0].window.start", "expected an RFC 3339 time", "got 20261201");
  });
});

describe("window: end after start, compared as instants", () => {
  const window = (start: string, end: string) => tenant((c) => (c.leases[0].window = { start, end }));

  it("refuses an end equal to the start", () => {
    refused(
      window("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
      "leasehold:leases[0].window.end",
      "must be after start (2027-01-01T00:00:00Z <= 2027-01-01T00:00:00Z)",
    );
  });

  it("refuses an end before the start", () => {
    refused(window("2027-06-01T00:00:00Z", "2027-01-01T00:00:00Z"), "leasehold:leases[0].window.end", "must be after start");
  });

  it("refuses the same instant written in two offsets (09:00+09:00 = 00:00Z)", () => {
    refused(window("2027-01-01T09:00:00+09:00", "2027-01-01T00:00:00Z"), "leasehold:leases[0].window.end", "must be after start");
  });

  it("accepts an end one second after the start", () => {
    accepted(window("2027-01-01T09:00:00+09:00", "2027-01-01T00:00:01Z"));
  });

  it("accepts an end whose text sorts before the start but whose instant is later", () => {
    // 10:00+09:00 is 01:00Z, so an end at 02:00Z is an hour later.
    accepted(window("2027-01-01T10:00:00+09:00", "2027-01-01T02:00:00Z"));
  });

  it("refuses an end whose text sorts after the start but whose instant is earlier", () => {
    // 04:00+05:00 is 2026-12-31T23:00Z, four hours before a start at 03:00Z.
    refused(window("2027-01-01T03:00:00Z", "2027-01-01T04:00:00+05:00"), "leasehold:leases[0].window.end", "must be after start");
  });
});

describe("egress CIDRs", () => {
  const egress = (rule: Obj) => tenant((c) => (c.tenant.network.egress = [rule]));

  it("accepts the IPv4 block 0.0.0.0/0", () => accepted(egress({ cidr: "0.0.0.0/0" })));

  it("accepts the IPv6 block fd00::/8", () => accepted(egress({ cidr: "fd00::/8" })));

  it("refuses an IPv4 prefix longer than 32 (10.0.0.0/33)", () => {
    refused(
      egress({ cidr: "10.0.0.0/33" }),
      "leasehold:tenant.network.egress[0].cidr",
      "expected a CIDR in canonical form",
      'got "10.0.0.0/33"',
    );
  });

  it("refuses an address without a prefix (10.0.0.1)", () => {
    refused(egress({ cidr: "10.0.0.1" }), "leasehold:tenant.network.egress[0].cidr", "expected a CIDR in canonical form", 'got "10.0.0.1"');
  });

  it("refuses an IPv6 prefix longer than 128 (fd00::/129)", () => {
    refused(
      egress({ cidr: "fd00::/129" }),
      "leasehold:tenant.network.egress[0].cidr",
      "expected a CIDR in canonical form",
      'got "fd00::/129"',
    );
  });

  it("refuses an invalid CIDR in except (10.0.0.0/33)", () => {
    refused(egress({ cidr: "10.0.0.0/8", except: ["10.0.0.0/33"] }), "leasehold:tenant.network.egress[0].except[0]", 'got "10.0.0.0/33"');
  });

  it("refuses a cloud metadata endpoint as the destination", () => {
    refused(egress({ cidr: "169.254.169.254/32" }), "leasehold:tenant.network.egress[0].cidr", "must not be a cloud metadata endpoint");
    refused(egress({ cidr: "fd00:ec2::254/128" }), "leasehold:tenant.network.egress[0].cidr", "must not be a cloud metadata endpoint");
  });

  it("accepts a block that contains the metadata endpoint without being it (169.254.0.0/16)", () => {
    accepted(egress({ cidr: "169.254.0.0/16", except: ["169.254.169.254/32"] }));
  });
});

describe("except: strictly inside cidr", () => {
  const egress = (rule: Obj) => tenant((c) => (c.tenant.network.egress = [rule]));

  it("accepts a smaller block inside (10.1.0.0/16 in 10.0.0.0/8; fd00:1::/32 in fd00::/8)", () => {
    accepted(egress({ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }));
    accepted(egress({ cidr: "fd00::/8", except: ["fd00:1::/32"] }));
  });

  it("refuses a block outside the cidr", () => {
    refused(
      egress({ cidr: "10.0.0.0/8", except: ["192.168.0.0/16"] }),
      "leasehold:tenant.network.egress[0].except[0]",
      "expected a block strictly inside 10.0.0.0/8 (ipv4)",
      'got "192.168.0.0/16"',
    );
  });

  it("refuses a block of the other address family", () => {
    refused(
      egress({ cidr: "10.0.0.0/8", except: ["fd00::/16"] }),
      "leasehold:tenant.network.egress[0].except[0]",
      "strictly inside 10.0.0.0/8 (ipv4)",
      'got "fd00::/16"',
    );
  });

  it("refuses a block equal to the cidr", () => {
    refused(
      egress({ cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] }),
      "leasehold:tenant.network.egress[0].except[0]",
      "strictly inside 10.0.0.0/8",
      'got "10.0.0.0/8"',
    );
  });

  it("refuses a larger block that contains the cidr", () => {
    refused(
      egress({ cidr: "10.1.0.0/16", except: ["10.0.0.0/8"] }),
      "leasehold:tenant.network.egress[0].except[0]",
      "strictly inside 10.1.0.0/16",
    );
  });

  it("reports the index of the bad block among good ones", () => {
    refused(
      egress({ cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "11.0.0.0/16"] }),
      "leasehold:tenant.network.egress[0].except[1]",
      'got "11.0.0.0/16"',
    );
  });
});

describe("ports: 1-65535", () => {
  const ports = (ps: unknown[]) => tenant((c) => (c.tenant.network.egress = [{ cidr: "10.0.0.0/8", ports: ps }]));

  it("accepts 1 and 65535", () => accepted(ports([1, 65535])));

  it("refuses 0", () => {
    refused(ports([0]), "leasehold:tenant.network.egress[0].ports[0]", "expected a port number from 1 to 65535, got 0");
  });

  it("refuses 65536", () => {
    refused(ports([443, 65536]), "leasehold:tenant.network.egress[0].ports[1]", "expected a port number from 1 to 65535, got 65536");
  });

  it("refuses 1.5", () => {
    refused(ports([1.5]), "leasehold:tenant.network.egress[0].ports[0]", "expected a port number from 1 to 65535, got 1.5");
  });

  it("refuses a port given as text", () => {
    refused(ports(["443"]), "leasehold:tenant.network.egress[0].ports[0]", 'expected a port number from 1 to 65535, got "443"');
  });

  it("accepts the protocols TCP, UDP and SCTP and refuses others", () => {
    for (const protocol of ["TCP", "UDP", "SCTP"]) accepted(tenant((c) => (c.tenant.network.egress = [{ cidr: "10.0.0.0/8", protocol }])));
    refused(
      tenant((c) => (c.tenant.network.egress = [{ cidr: "10.0.0.0/8", protocol: "ICMP" }])),
      "leasehold:tenant.network.egress[0].protocol",
      'got "ICMP"',
    );
  });
});

describe("leases: counts and notice hours", () => {
  it("refuses a GPU count that is not a positive integer", () => {
    refused(
      tenant((c) => (c.leases[0].gpu.count = "sixty")),
      "leasehold:leases[0].gpu.count",
      'expected a positive integer, got "sixty"',
    );
    refused(
      tenant((c) => (c.leases[0].gpu.count = 0)),
      "leasehold:leases[0].gpu.count",
      "expected a positive integer, got 0",
    );
    refused(
      tenant((c) => (c.leases[0].gpu.count = 2.5)),
      "leasehold:leases[0].gpu.count",
      "expected a positive integer, got 2.5",
    );
  });

  it("accepts noticeHours 0", () => accepted(tenant((c) => (c.leases[0].reclaim.noticeHours = 0))));

  it("refuses noticeHours -1", () => {
    refused(
      tenant((c) => (c.leases[0].reclaim.noticeHours = -1)),
      "leasehold:leases[0].reclaim.noticeHours",
      "expected the notice in hours, zero or more, got -1",
    );
  });

  it("refuses a lease without a reclaim clause", () => {
    refused(
      tenant((c) => delete c.leases[0].reclaim),
      "leasehold:leases[0].reclaim",
      "is required",
    );
  });
});

describe("uniqueness inside a tenant stack", () => {
  it("refuses a lease id used twice in one file, pointing at the second", () => {
    refused(
      tenant((c) => c.leases.push({ ...structuredClone(c.leases[0]), placement: { pool: "h100-a", nodes: ["gpu-003"] } })),
      "leasehold:leases[1].id",
      "expected a unique lease id, but [0] has it too",
      'got "acme-h100-2026q4"',
    );
  });

  it("accepts two leases with different ids", () => {
    accepted(tenant((c) => c.leases.push({ ...structuredClone(c.leases[0]), id: "acme-h100-2027q2" })));
  });

  it("refuses a node listed twice in one lease, pointing at the second", () => {
    refused(
      tenant((c) => (c.leases[0].placement.nodes = ["gpu-001", "gpu-002", "gpu-001"])),
      "leasehold:leases[0].placement.nodes[2]",
      "expected a unique node, but [0] has it too",
      'got "gpu-001"',
    );
  });
});

describe("reclaim notice", () => {
  // noticeHours 72; issued 2026-11-27T09:00Z, so the full notice is due 2026-11-30T09:00Z.
  const notice = (n: Obj, hours = 72) =>
    tenant((c) => {
      c.leases[0].reclaim = { noticeHours: hours, notice: { issuedAt: "2026-11-27T09:00:00Z", reason: "capacity moves", ...n } };
    });

  it("accepts a notice that gives exactly the hours the lease requires", () => {
    accepted(notice({ effectiveAt: "2026-11-30T09:00:00Z" }));
  });

  it("accepts a notice that gives more than the hours the lease requires", () => {
    accepted(notice({ effectiveAt: "2026-12-15T00:00:00Z" }));
  });

  it("refuses a notice shorter than noticeHours without emergency, saying how short", () => {
    refused(
      notice({ effectiveAt: "2026-11-28T09:00:00Z" }),
      "leasehold:leases[0].reclaim.notice.effectiveAt",
      "gives 24 hours of notice but the lease requires 72",
      "emergency",
    );
  });

  it("refuses a notice one second short, compared as instants across offsets", () => {
    // 2026-11-30T17:59:59+09:00 is 08:59:59Z, one second before the notice is due.
    refused(
      notice({ effectiveAt: "2026-11-30T17:59:59+09:00" }),
      "leasehold:leases[0].reclaim.notice.effectiveAt",
      "the lease requires 72",
    );
  });

  it("accepts a short notice marked emergency: true", () => {
    accepted(notice({ effectiveAt: "2026-11-28T09:00:00Z", emergency: true }));
  });

  it("refuses emergency: true on a notice that gives the full hours", () => {
    refused(
      notice({ effectiveAt: "2026-11-30T09:00:00Z", emergency: true }),
      "leasehold:leases[0].reclaim.notice.emergency",
      "must not be set: the notice gives the full 72 hours",
    );
  });

  it("accepts emergency: false on a notice that gives the full hours", () => {
    accepted(notice({ effectiveAt: "2026-11-30T09:00:00Z", emergency: false }));
  });

  it("refuses an effectiveAt before issuedAt, even as an emergency", () => {
    refused(
      notice({ effectiveAt: "2026-11-26T09:00:00Z", emergency: true }),
      "leasehold:leases[0].reclaim.notice.effectiveAt",
      "must not be before issuedAt (2026-11-27T09:00:00Z)",
    );
  });

  it("refuses a notice without a reason", () => {
    refused(
      notice({ effectiveAt: "2026-11-30T09:00:00Z", reason: "" }),
      "leasehold:leases[0].reclaim.notice.reason",
      "expected a non-empty reason",
    );
  });
});

describe("platform: pools of an existing cluster", () => {
  it("refuses a pool without nodes", () => {
    refused(
      platform((c) => delete c.pools[0].nodes),
      "leasehold:pools[0].nodes",
      "expected the pool's node names",
    );
  });

  it("refuses a pool with an empty node list", () => {
    refused(
      platform((c) => (c.pools[0].nodes = [])),
      "leasehold:pools[0].nodes",
      "expected the pool's node names",
    );
  });

  for (const [key, value] of [
    ["instanceType", "p5.48xlarge"],
    ["maxNodes", 4],
    ["capacityReservation", { id: "cr-0123456789abcdef0", kind: "odcr" }],
    ["efa", true],
    ["placementGroup", true],
  ] as const) {
    it(`refuses the EKS-only key ${key} on an existing pool`, () => {
      refused(
        platform((c) => (c.pools[0][key] = value)),
        `leasehold:pools[0].${key}`,
        "is only for provider: eks",
      );
    });
  }

  it("refuses a pool name used twice, pointing at the second", () => {
    refused(
      platform((c) => (c.pools[1].name = "h100-a")),
      "leasehold:pools[1].name",
      "expected a unique pool name, but [0] has it too",
      'got "h100-a"',
    );
  });

  it("refuses a node in two pools, naming the pool that has it", () => {
    refused(
      platform((c) => (c.pools[1].nodes = ["l40s-001", "gpu-002"])),
      "leasehold:pools[1].nodes[1]",
      "expected a node in one pool only, but pool h100-a has it too",
      'got "gpu-002"',
    );
  });

  it("refuses a GPU type not in the catalog, listing the catalog", () => {
    refused(
      platform((c) => (c.pools[0].gpuType = "h100")),
      "leasehold:pools[0].gpuType",
      "expected a GPU type of the catalog (h100-80gb, h200-141gb, b200, a100-80gb, a100-40gb, l40s, a10g)",
      'got "h100"',
    );
  });

  it("accepts every built-in GPU type", () => {
    for (const gpuType of ["h100-80gb", "h200-141gb", "b200", "a100-80gb", "a100-40gb", "l40s", "a10g"]) {
      accepted(platform((c) => (c.pools[0].gpuType = gpuType)));
    }
  });

  it("refuses a cluster provider other than existing or eks", () => {
    refused(
      platform((c) => (c.cluster = { provider: "gke" })),
      "leasehold:cluster.provider",
      "expected provider: existing or provider: eks",
      'got "gke"',
    );
  });
});

describe("platform: EKS clusters and pools", () => {
  it("refuses an EKS pool without maxNodes", () => {
    refused(
      eks((c) => delete c.pools[0].maxNodes),
      "leasehold:pools[0].maxNodes",
      "is required for an EKS pool",
    );
  });

  it("refuses node names on an EKS pool", () => {
    refused(
      eks((c) => (c.pools[0].nodes = ["gpu-001"])),
      "leasehold:pools[0].nodes",
      "is only for provider: existing",
    );
  });

  it("accepts instanceType p5.48xlarge for h100-80gb", () => {
    accepted(eks((c) => (c.pools[0].instanceType = "p5.48xlarge")));
  });

  it("accepts an EKS pool without instanceType (the catalog's default)", () => {
    accepted(eks((c) => delete c.pools[0].instanceType));
  });

  it("refuses instanceType g5.48xlarge for h100-80gb, naming the types that carry it", () => {
    refused(
      eks((c) => (c.pools[0].instanceType = "g5.48xlarge")),
      "leasehold:pools[0].instanceType",
      "expected an instance type that carries h100-80gb (p5.48xlarge)",
      'got "g5.48xlarge"',
    );
  });

  it("refuses placementGroup: true together with a capacityReservation", () => {
    refused(
      eks((c) =>
        Object.assign(c.pools[0], {
          placementGroup: true,
          capacityReservation: {
            id: "cr-0123456789abcdef0",
            kind: "capacity-block",
            availabilityZone: "us-east-2a",
            start: "2027-01-01T11:30:00Z",
            end: "2027-01-15T11:30:00Z",
          },
        }),
      ),
      "leasehold:pools[0].placementGroup",
      "must not be true together with a capacityReservation",
    );
  });

  it("accepts placementGroup: true without a reservation, and a reservation with efa", () => {
    accepted(eks((c) => (c.pools[0].placementGroup = true)));
    accepted(
      eks((c) =>
        Object.assign(c.pools[0], {
          efa: true,
          capacityReservation: {
            id: "cr-0123456789abcdef0",
            kind: "capacity-block",
            availabilityZone: "us-east-2a",
            start: "2027-01-01T11:30:00Z",
            end: "2027-01-15T11:30:00Z",
          },
        }),
      ),
    );
  });

  it("accepts capacity reservation ids of 17 and 8 hex digits", () => {
    accepted(eks((c) => (c.pools[0].capacityReservation = { id: "cr-0123456789abcdef0", kind: "odcr", availabilityZone: "us-east-2a" })));
    accepted(eks((c) => (c.pools[0].capacityReservation = { id: "cr-01234567", kind: "odcr", availabilityZone: "us-east-2b" })));
  });

  it("requires the availability zone of a capacity reservation on EKS, naming the cluster's zones", () => {
    refused(
      eks((c) => (c.pools[0].capacityReservation = { id: "cr-0123456789abcdef0", kind: "odcr" })),
      "leasehold:pools[0].capacityReservation.availabilityZone",
      "is required: a capacity reservation lives in one availability zone",
    );
  });

  it("refuses a capacity reservation id of the wrong form", () => {
    for (const id of ["cr-123", "cr-0123456789ABCDEF0", "0123456789abcdef0", "cr-0123456789abcdef"]) {
      refused(
        eks((c) => (c.pools[0].capacityReservation = { id, kind: "odcr" })),
        "leasehold:pools[0].capacityReservation.id",
        "expected a capacity reservation id such as cr-0123456789abcdef0",
        `got ${JSON.stringify(id)}`,
      );
    }
  });

  it("refuses a capacity reservation kind other than capacity-block or odcr", () => {
    refused(
      eks((c) => (c.pools[0].capacityReservation = { id: "cr-0123456789abcdef0", kind: "spot" })),
      "leasehold:pools[0].capacityReservation.kind",
      'expected capacity-block or odcr, got "spot"',
    );
  });

  it('refuses an unquoted version (1.33 read as a number) and accepts "1.33"', () => {
    refused(
      eks((c) => (c.cluster.version = 1.33)),
      "leasehold:cluster.version",
      'expected a Kubernetes version such as "1.33" (quoted), got 1.33',
    );
    accepted(eks((c) => (c.cluster.version = "1.33")));
  });

  it("refuses a version that is not 1.<minor> (v1.33, 2.0)", () => {
    for (const v of ["v1.33", "2.0"])
      refused(
        eks((c) => (c.cluster.version = v)),
        "leasehold:cluster.version",
        `got ${JSON.stringify(v)}`,
      );
  });

  it("refuses a single availability zone and accepts two", () => {
    refused(
      eks((c) => (c.cluster.availabilityZones = ["us-east-2a"])),
      "leasehold:cluster.availabilityZones",
      "expected at least two availability zones",
    );
    accepted(eks((c) => (c.cluster.availabilityZones = ["us-east-2a", "us-east-2b"])));
  });

  it("refuses an availability zone of the wrong form", () => {
    refused(
      eks((c) => (c.cluster.availabilityZones = ["us-east-2a", "east"])),
      "leasehold:cluster.availabilityZones[1]",
      'expected an availability zone such as us-east-2a, got "east"',
    );
  });

  it("refuses an IPv6 VPC CIDR", () => {
    refused(
      eks((c) => (c.cluster.vpcCidr = "fd00::/8")),
      "leasehold:cluster.vpcCidr",
      "expected an IPv4 CIDR",
    );
  });

  it("refuses an EKS cluster without a name", () => {
    refused(
      eks((c) => delete c.cluster.name),
      "leasehold:cluster.name",
      "is required",
    );
  });
});

describe("platform: accelerators and PriorityClasses tenants may use", () => {
  it("accepts a MIG profile as a catalog type's resource, and puts it in the platform's accelerators", () => {
    const r = platform((c) => (c.gpuTypes = { "a100-80gb": { resource: "nvidia.com/mig-1g.10gb", gpusPerNode: 56 } }));
    accepted(r);
    if (!r.ok || r.stack.role !== "platform") throw new Error("expected a platform stack");
    expect(acceleratorResources(r.stack.catalog)).toEqual(["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"]);
  });

  it("refuses a resource that is not an extended resource name", () => {
    refused(
      platform((c) => (c.gpuTypes = { "a100-80gb": { resource: "gpu" } })),
      "leasehold:gpuTypes.a100-80gb.resource",
      "expected an extended resource name such as nvidia.com/gpu",
    );
  });

  it("accepts tenantPriorityClasses and refuses the system- classes and malformed names", () => {
    accepted(platform((c) => (c.cluster = { provider: "existing", tenantPriorityClasses: ["tenant-batch", "tenant-serving"] })));
    refused(
      platform((c) => (c.cluster = { provider: "existing", tenantPriorityClasses: ["system-node-critical"] })),
      "leasehold:cluster.tenantPriorityClasses[0]",
      "the system- PriorityClasses are the cluster's own",
    );
    refused(
      platform((c) => (c.cluster = { provider: "existing", tenantPriorityClasses: ["Batch"] })),
      "leasehold:cluster.tenantPriorityClasses[0]",
      "expected a PriorityClass name",
    );
  });
});

describe("platform: leasehold:gpuTypes", () => {
  it("accepts an override of a built-in type that gives only pricePerGpuHour", () => {
    accepted(platform((c) => (c.gpuTypes = { "h100-80gb": { pricePerGpuHour: 5.5 } })));
  });

  it("uses the override in the loaded catalog, keeping the built-in fields", () => {
    const r = platform((c) => (c.gpuTypes = { "h100-80gb": { pricePerGpuHour: 5.5 } }));
    if (!r.ok || r.stack.role !== "platform") throw new Error("expected a platform stack");
    expect(r.stack.catalog["h100-80gb"]!.pricePerGpuHour).toBe(5.5);
    expect(r.stack.catalog["h100-80gb"]!.gpusPerNode).toBe(8);
  });

  it("refuses a new type that is missing fields, naming each missing one", () => {
    refused(
      platform((c) => (c.gpuTypes = { mi300x: { gpusPerNode: 8, pricePerGpuHour: 4 } })),
      "leasehold:gpuTypes.mi300x",
      "is not a built-in GPU type, so it needs every field; missing instanceTypes, boardPowerWatts, perGpu",
    );
  });

  it("refuses a new type whose perGpu is partial, naming the missing perGpu fields", () => {
    refused(
      platform(
        (c) =>
          (c.gpuTypes = { mi300x: { gpusPerNode: 8, instanceTypes: [], boardPowerWatts: 750, pricePerGpuHour: 4, perGpu: { cpu: "24" } } }),
      ),
      "leasehold:gpuTypes.mi300x",
      "missing perGpu.memory, perGpu.storage, perGpu.pods",
    );
  });

  it("accepts a full new type, and a pool of that type", () => {
    accepted(
      platform((c) => {
        c.gpuTypes = {
          mi300x: {
            gpusPerNode: 8,
            instanceTypes: [],
            boardPowerWatts: 750,
            pricePerGpuHour: 4,
            perGpu: { cpu: "24", memory: "256Gi", storage: "3576Gi", pods: 32 },
          },
        };
        c.pools.push({ name: "mi300x-a", gpuType: "mi300x", nodes: ["mi-001"] });
      }),
    );
  });

  it("refuses an unknown field in a catalog entry", () => {
    refused(
      platform((c) => (c.gpuTypes = { "h100-80gb": { pricePerHour: 5 } })),
      "leasehold:gpuTypes.h100-80gb.pricePerHour",
      "unknown key (did you mean pricePerGpuHour?)",
    );
  });
});

describe("tenant stack named after its tenant", () => {
  it("refuses tenant bluefin in Pulumi.tenant-acme.yaml", () => {
    refused(
      tenant((c) => (c.tenant.name = "bluefin")),
      "leasehold:tenant.name",
      "expected the tenant of stack tenant-acme to be named after it",
      'got "bluefin"',
    );
  });

  it("refuses a tenant config in a stack not named tenant-<name>", () => {
    refused(
      tenant(() => {}, PLATFORM_FILE),
      "leasehold:tenant.name",
      "expected the tenant of stack platform-local to be named after it",
      'got "acme"',
    );
  });

  it("accepts tenant acme in Pulumi.tenant-acme.yaml", () => {
    const r = tenant();
    accepted(r);
    if (r.ok) expect(r.stack.name).toBe("tenant-acme");
  });
});
