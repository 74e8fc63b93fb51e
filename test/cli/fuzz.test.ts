import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { isMap, isSeq, parseDocument, type Document } from "yaml";
import { describe, expect, it } from "vitest";
import { listStackFiles, stackNameOf } from "../../lease/load";
import { run, ROOT } from "./helpers";

// No stack trace for any config mistake: mutated copies of the example stack folder go through
// validate, check, render (the program under Pulumi's mocks) and policy-config. Every answer is
// exit 0 or 1 with one-line problems; none throws. Half the runs only make edits that keep a fleet
// valid (times moved, counts lowered, tenants renamed, files re-laid out), so the fleet assertion
// (a fleet `check` passes renders and configures every stack) is exercised, not vacuous.

const STACKS = path.join(ROOT, "stacks");
const AT = "2026-12-20T00:00:00Z";

/** Values a careless landlord or a hostile tenant writes. */
const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  8,
  64,
  1e9,
  "",
  " ",
  "x",
  "h100",
  "h100-80gb",
  "l40s",
  "h100-a",
  "l40s-a",
  "h100-cb",
  "gpu-001",
  "l40s-002",
  "nope",
  "2027-01-01T00:00:00Z",
  "2027-02-30T00:00:00Z",
  "2026-12-20T00:00:00+14:00",
  "yesterday",
  "0.0.0.0/0",
  "169.254.169.254/32",
  "fd00:ec2::254/128",
  "a".repeat(63),
  "a".repeat(64),
  "Tenant_A",
  "eks",
  "existing",
  "platform-local",
  "platform-aws",
  "tenant-acme",
  true,
  false,
  [],
  {},
  [1, 2],
  { a: 1 },
];
/** Plain scalars the Pulumi CLI reads otherwise than YAML 1.2. */
const DIVERGENT_SCALARS = ["010", "0x10", "1_000", "2027-1-2", ".inf", "0b11"];

type Doc = Document.Parsed;
type Path = (string | number)[];

/** Every path under `config:` of a stack file, maps and lists included. */
function pathsOf(doc: Doc): Path[] {
  const out: Path[] = [];
  const walk = (node: unknown, at: Path) => {
    out.push(at);
    if (isMap(node)) for (const item of node.items) walk(item.value, [...at, String((item.key as { value?: unknown })?.value ?? item.key)]);
    else if (isSeq(node)) node.items.forEach((v, i) => walk(v, [...at, i]));
  };
  const config = doc.get("config", true);
  if (isMap(config)) for (const item of config.items) walk(item.value, [String((item.key as { value?: unknown }).value)]);
  return out;
}

/** A mutation of one stack file of the folder. */
type Mutation =
  | { kind: "set"; file: number; path: number; value: unknown }
  | { kind: "delete"; file: number; path: number }
  | { kind: "divergent"; file: number; path: number; scalar: string }
  | { kind: "truncate"; file: number; at: number }
  | { kind: "borrow"; file: number; path: number; from: number; fromPath: number }
  | { kind: "retarget"; file: number; lease: number; field: number; value: string }
  | { kind: "shift-windows"; file: number; days: number }
  | { kind: "lower-count"; file: number; lease: number; by: number }
  | { kind: "notice-hours"; file: number; hours: number }
  | { kind: "rename-tenant"; file: number; name: string }
  | { kind: "layout"; file: number; crlf: boolean; bom: boolean; quote: boolean };

// Unbiased: fast-check prefers small integers, which would keep the mutations on the first files and paths.
const fileIx = fc.noBias(fc.nat(20));
const pathIx = fc.noBias(fc.nat(500));
const breaking = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    file: fileIx,
    path: pathIx,
    value: fc.oneof(fc.constantFrom(...ODD_VALUES), fc.integer(), fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 2 })),
  }),
  fc.record({ kind: fc.constant("delete" as const), file: fileIx, path: pathIx }),
  fc.record({ kind: fc.constant("divergent" as const), file: fileIx, path: pathIx, scalar: fc.constantFrom(...DIVERGENT_SCALARS) }),
  fc.record({ kind: fc.constant("truncate" as const), file: fileIx, at: fc.nat(3000) }),
  // A value of another place of the fleet (another platform's pool, another tenant's node): the cross-stack mistakes.
  fc.record({ kind: fc.constant("borrow" as const), file: fileIx, path: pathIx, from: fileIx, fromPath: pathIx }),
  // A lease aimed at what its platform lacks, or at another platform's pool, type or node.
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("retarget" as const),
      file: fileIx,
      lease: fc.noBias(fc.nat(5)),
      field: fc.noBias(fc.nat(4)),
      value: fc.constantFrom(
        "h100-a",
        "l40s-a",
        "h100-cb",
        "l40s-od",
        "h100-zz",
        "h100",
        "h100-80gb",
        "l40s",
        "gpu-001",
        "l40s-002",
        "node-9",
        "platform-aws",
        "platform-local",
        "platform-zz",
      ),
    }),
  },
);
const keeping = fc.oneof(
  fc.record({ kind: fc.constant("shift-windows" as const), file: fileIx, days: fc.integer({ min: 365 * 3, max: 365 * 5 }) }),
  fc.record({ kind: fc.constant("lower-count" as const), file: fileIx, lease: fc.nat(5), by: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("notice-hours" as const), file: fileIx, hours: fc.integer({ min: 0, max: 24 * 90 }) }),
  fc.record({ kind: fc.constant("rename-tenant" as const), file: fileIx, name: fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/) }),
  fc.record({ kind: fc.constant("layout" as const), file: fileIx, crlf: fc.boolean(), bom: fc.boolean(), quote: fc.boolean() }),
);

/** A copy of the example folder with the mutations applied: the folder, and the stacks changed. */
function mutatedFolder(mutations: Mutation[]): { dir: string; touched: Set<string> } {
  const touched = new Set<string>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-fuzz-"));
  for (const f of fs.readdirSync(STACKS)) fs.copyFileSync(path.join(STACKS, f), path.join(dir, f));
  for (const m of mutations) {
    const all = listStackFiles(dir);
    // A lease is retargeted in a tenant stack.
    const files = m.kind === "retarget" ? all.filter((f) => stackNameOf(f)!.startsWith("tenant-")) : all;
    const file = files[m.file % files.length]!;
    touched.add(stackNameOf(file)!);
    let text = fs.readFileSync(file, "utf8");
    const doc = parseDocument(text);
    const paths = pathsOf(doc);
    const config = ["config"];
    if (paths.length === 0 && (m.kind === "set" || m.kind === "delete" || m.kind === "borrow")) continue;
    switch (m.kind) {
      case "set":
        doc.setIn([...config, ...paths[m.path % paths.length]!], doc.createNode(m.value));
        text = doc.toString();
        break;
      case "delete":
        doc.deleteIn([...config, ...paths[m.path % paths.length]!]);
        text = doc.toString();
        break;
      case "divergent": {
        const leaves = paths.filter((p) => !isMap(doc.getIn([...config, ...p], true)) && !isSeq(doc.getIn([...config, ...p], true)));
        if (leaves.length === 0) break;
        doc.setIn([...config, ...leaves[m.path % leaves.length]!], "__DIVERGENT__");
        text = doc.toString().replace("__DIVERGENT__", m.scalar);
        break;
      }
      case "borrow": {
        const other = parseDocument(fs.readFileSync(all[m.from % all.length]!, "utf8"));
        const from = pathsOf(other);
        if (from.length === 0) break;
        doc.setIn(
          [...config, ...paths[m.path % paths.length]!],
          doc.createNode(other.getIn([...config, ...from[m.fromPath % from.length]!])),
        );
        text = doc.toString();
        break;
      }
      case "retarget": {
        const leases = doc.getIn([...config, "leasehold:leases"]);
        if (!isSeq(leases) || leases.items.length === 0) break;
        const at = [...config, "leasehold:leases", m.lease % leases.items.length];
        const field = [["placement", "pool"], ["gpu", "type"], ["placement", "nodes", 0], ["placement", "pool"], []][m.field]!;
        if (field.length === 0) doc.setIn([...config, "leasehold:platform"], m.value);
        else doc.setIn([...at, ...field], m.value);
        text = doc.toString();
        break;
      }
      case "truncate":
        text = text.slice(0, m.at % (text.length + 1));
        break;
      case "shift-windows":
        // Every window of the file moves years ahead, past every other lease: overlaps cannot appear.
        text = text.replace(/(\d{4})(-\d{2}-\d{2}T)/g, (_, y: string, rest: string) => `${Number(y) + Math.round(m.days / 365)}${rest}`);
        break;
      case "lower-count": {
        const count = doc.getIn([...config, "leasehold:leases", m.lease, "gpu", "count"]);
        // Stays above the nodes the lease holds minus one: the node rules still hold.
        if (typeof count === "number" && count - m.by > count - (count % 8 || 8))
          doc.setIn([...config, "leasehold:leases", m.lease, "gpu", "count"], count - m.by);
        text = doc.toString();
        break;
      }
      case "notice-hours": {
        const leases = doc.getIn([...config, "leasehold:leases"]);
        if (isSeq(leases))
          leases.items.forEach(
            (_, i) =>
              doc.hasIn([...config, "leasehold:leases", i, "reclaim", "noticeHours"]) &&
              doc.setIn([...config, "leasehold:leases", i, "reclaim", "noticeHours"], m.hours),
          );
        text = doc.toString();
        break;
      }
      case "rename-tenant": {
        const old = doc.getIn([...config, "leasehold:tenant", "name"]);
        if (typeof old !== "string" || fs.existsSync(path.join(dir, `Pulumi.tenant-${m.name}.yaml`))) break;
        doc.setIn([...config, "leasehold:tenant", "name"], m.name);
        text = doc.toString();
        fs.rmSync(file);
        fs.writeFileSync(path.join(dir, `Pulumi.tenant-${m.name}.yaml`), text);
        touched.add(`tenant-${m.name}`);
        continue;
      }
      case "layout":
        if (m.quote) text = text.replace(/: ([a-z][a-z0-9-]*)$/gm, ': "$1"');
        if (m.crlf) text = text.replace(/\r?\n/g, "\r\n");
        if (m.bom && !text.startsWith("\uFEFF")) text = `\uFEFF${text}`;
        break;
    }
    fs.writeFileSync(file, text);
  }
  return { dir, touched };
}

/** Runs a command and checks it answered as a tool should: exit 0 or 1, no stack trace. */
async function answer(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await run(...argv);
  expect([0, 1], `${argv.join(" ")}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  expect(r.stderr, argv.join(" ")).not.toMatch(/TypeError|ReferenceError|RangeError|\n\s+at \S+ \(|Cannot read propert/);
  return r;
}

describe("fuzz: mutated stack folders", () => {
  it("get exit 0 or 1 with one-line problems from validate, check, render and policy-config; every fleet check passes renders", async () => {
    let valid = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.array(breaking, { minLength: 1, maxLength: 3 }), fc.array(keeping, { minLength: 1, maxLength: 3 })),
        async (mutations) => {
          runs++;
          const { dir, touched } = mutatedFolder(mutations as Mutation[]);
          process.env.LEASEHOLD_AT = AT;
          try {
            await answer("validate", "--stacks", dir);
            const checked = await answer("check", "--stacks", dir);
            const stacks = listStackFiles(dir).map((f) => stackNameOf(f)!);
            if (checked.code === 0) valid++;
            // A fleet check passes is a fleet every stack of which renders and configures the pack.
            // Every stack of a valid fleet; of another, the stacks changed and the tenants of a changed platform.
            const platformOf = (s: string) =>
              /leasehold:platform: (\S+)/.exec(fs.readFileSync(path.join(dir, `Pulumi.${s}.yaml`), "utf8"))?.[1];
            const judged = checked.code === 0 ? stacks : stacks.filter((s) => touched.has(s) || touched.has(platformOf(s) ?? ""));
            for (const stack of judged) {
              const rendered = await answer("render", "--stacks", dir, "--stack", stack, "--json");
              const configured = await answer("policy-config", "--stacks", dir, "--stack", stack);
              if (checked.code === 0) {
                expect(rendered.code, `${stack} of a fleet check passes: ${rendered.stderr}`).toBe(0);
                expect(configured.code, `${stack}: ${configured.stderr}`).toBe(0);
              }
            }
          } finally {
            delete process.env.LEASEHOLD_AT;
            fs.rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 80, seed: 20261130, endOnFailure: true },
    );
    console.info(`[fuzz] ${runs} mutated folders, ${valid} of them valid fleets`);
    // The valid-keeping edits must produce valid fleets, or the fleet assertion above proves nothing.
    expect(valid).toBeGreaterThanOrEqual(runs / 5);
  }, 300_000);
});
