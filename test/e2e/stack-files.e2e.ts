import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { fromPulumiTimes } from "../../lease/fields";
import { loadStackText } from "../../lease/load";
import { readAsPulumiCli, readStackYaml } from "../../lease/stack-yaml";
import { pulumi, pulumiEnv, ROOT } from "../../scripts/local/toolchain";
import { INFINITIES, PLAIN_SCALARS } from "../fixtures/yaml-scalars";

// One reading of a stack file: the real Pulumi CLI (`pulumi config --json`, which is what the
// program is handed) against leasehold's loader, on the example stacks, the cases from bug
// reports and a corpus of plain scalars. Needs only the CLI and a file backend.

const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-stack-files-"));
const STACK = "probe";
const stackPath = path.join(work, `Pulumi.${STACK}.yaml`);
let env: NodeJS.ProcessEnv;

interface CliValue {
  value?: string;
  objectValue?: unknown;
}
/** The config the Pulumi CLI reads from `text`, or its error. */
function cliConfig(text: string): { ok: true; config: Record<string, CliValue> } | { ok: false; stderr: string } {
  fs.writeFileSync(stackPath, text);
  const r = pulumi(work, env, ["config", "--json", "--stack", STACK], true);
  return r.code === 0 ? { ok: true, config: JSON.parse(r.stdout) as Record<string, CliValue> } : { ok: false, stderr: r.stderr };
}
/** What the program gets for a key: a structure as parsed JSON, a scalar as text; times as RFC 3339. */
const asProgramSees = (v: CliValue) => fromPulumiTimes(v.objectValue !== undefined ? v.objectValue : v.value);
const asFileSays = (v: unknown) => fromPulumiTimes(typeof v === "object" && v !== null ? v : String(v));

const stackFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
    .map((f) => path.join(dir, f));
const CASES = path.join(ROOT, "test/fixtures/cases/agreement/stack-files");
const ATTACKS = path.join(ROOT, "test/fixtures/attack-stack-files");

beforeAll(() => {
  const { PATH } = inject("e2e");
  env = pulumiEnv({ ...process.env, PATH }, path.join(work, "home"), "stack-files");
  fs.writeFileSync(path.join(work, "Pulumi.yaml"), "name: leasehold\nruntime: nodejs\n");
  fs.mkdirSync(path.join(work, "state"));
  pulumi(work, env, ["login", `file://${path.join(work, "state")}`]);
  fs.writeFileSync(stackPath, "config: {}\n");
  pulumi(work, env, ["stack", "init", STACK]);
});

describe("stack files: leasehold reads what the Pulumi CLI hands the program", () => {
  it(`predicts the Pulumi CLI's reading of ${PLAIN_SCALARS.length} plain scalars, and refuses exactly those YAML 1.2 reads otherwise`, () => {
    const text = ["config:", "  leasehold:probe:", ...PLAIN_SCALARS.map((s, i) => `    k${i}: ${s}`)].join("\n") + "\n";
    const cli = cliConfig(text);
    if (!cli.ok) throw new Error(cli.stderr);
    const real = asProgramSees(cli.config["leasehold:probe"]!) as Record<string, unknown>;
    const predicted = fromPulumiTimes((readAsPulumiCli(text) as { config: Record<string, unknown> }).config["leasehold:probe"]) as Record<
      string,
      unknown
    >;
    const ours = fromPulumiTimes((readStackYaml(text) as { config: Record<string, unknown> }).config["leasehold:probe"]) as Record<
      string,
      unknown
    >;
    const wrong = PLAIN_SCALARS.flatMap((s, i) =>
      JSON.stringify(real[`k${i}`]) === JSON.stringify(predicted[`k${i}`])
        ? []
        : [`${s}: the CLI reads ${JSON.stringify(real[`k${i}`])}, predicted ${JSON.stringify(predicted[`k${i}`])}`],
    );
    expect(wrong).toEqual([]);
    // The loader refuses a scalar exactly when the CLI's reading differs from YAML 1.2's.
    const differs = PLAIN_SCALARS.filter((_, i) => JSON.stringify(real[`k${i}`]) !== JSON.stringify(ours[`k${i}`]));
    const loaded = loadStackText(path.join(work, "Pulumi.tenant-probe.yaml"), text);
    const refused = loaded.ok
      ? []
      : loaded.problems
          .filter((p) => p.message.includes("the plain YAML scalar"))
          .map((p) => PLAIN_SCALARS[Number(p.path.replace("leasehold:probe.k", ""))]);
    expect(refused.sort()).toEqual(differs.sort());
    console.info(
      `[stack-files] ${PLAIN_SCALARS.length} plain scalars: the Pulumi CLI's reading predicted for all; ${differs.length} read otherwise than YAML 1.2, all refused`,
    );
    expect(differs.length).toBeGreaterThan(20);
  });

  it("refuses the plain scalars the Pulumi CLI cannot read at all (.inf, .nan)", () => {
    for (const s of INFINITIES) {
      const text = `config:\n  leasehold:probe: {x: ${s}}\n`;
      const cli = cliConfig(text);
      expect(cli.ok, s).toBe(false);
      const loaded = loadStackText(path.join(work, "Pulumi.tenant-probe.yaml"), text);
      expect(loaded.ok, s).toBe(false);
      expect(JSON.stringify(loaded.ok ? [] : loaded.problems), s).toContain("cannot pass to the program");
    }
  });

  it("reads every leasehold key of the example stacks and the cases as the Pulumi CLI does, or refuses the file where they differ", () => {
    const files = [...stackFiles(path.join(ROOT, "stacks")), ...fs.readdirSync(CASES).flatMap((d) => stackFiles(path.join(CASES, d)))];
    // Variants written the ways people write YAML: merge keys, unquoted times, CRLF and a BOM.
    const acme = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.tenant-acme.yaml"), "utf8");
    const variants: [string, string][] = [
      ["unquoted times", acme.replace(/"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"/g, "$1")],
      ["CRLF and a byte order mark", `\uFEFF${acme.replace(/\n/g, "\r\n")}`],
      [
        "a merge key",
        acme
          .replace("config:\n", "defaults: &notice {noticeHours: 72}\nconfig:\n")
          .replace(/reclaim:\n(\s+)noticeHours: 72/, "reclaim:\n$1<<: *notice"),
      ],
      ["a leading zero", acme.replace(/noticeHours: 72/, "noticeHours: 072")],
    ];
    expect(variants.map(([, t]) => t).every((t) => t !== acme)).toBe(true);
    // And every input an attack on this reading found (each once read otherwise, or unreadable by the CLI).
    // (Not environment-import.yaml: a file backend cannot read an ESC environment at all; on Pulumi
    // Cloud the program refuses leasehold:* keys one sets, see test/components/programs.test.ts.)
    const attacks = fs
      .readdirSync(ATTACKS)
      .filter((f) => f.endsWith(".yaml") && f !== "environment-import.yaml")
      .map((f): [string, string] => [`attack: ${f}`, fs.readFileSync(path.join(ATTACKS, f), "utf8")]);
    const inputs: [string, string][] = [
      ...files.map((f): [string, string] => [path.relative(ROOT, f), fs.readFileSync(f, "utf8")]),
      ...variants,
      ...attacks,
    ];
    const disagreements: string[] = [];
    let keys = 0;
    let refusedFiles = 0;
    for (const [what, text] of inputs) {
      const cli = cliConfig(text);
      const loaded = loadStackText(
        path.join(work, path.basename(what.endsWith(".yaml") && !what.startsWith("attack") ? what : "Pulumi.tenant-acme.yaml")),
        text,
      );
      const cliProblems = loaded.ok ? [] : loaded.problems.filter((p) => p.message.includes("Pulumi CLI"));
      // A construct the CLI cannot read, or one that changes keys (a bare key): the whole file is refused.
      const wholeFile = cliProblems.some((p) => !p.path.startsWith("leasehold:"));
      if (!cli.ok || wholeFile) {
        refusedFiles++;
        if (cliProblems.length === 0)
          disagreements.push(
            `${what}: the Pulumi CLI ${cli.ok ? "reads it" : `cannot read it (${cli.stderr.trim()})`}, leasehold says nothing of the CLI`,
          );
        continue;
      }
      const refusedKeys = new Set(cliProblems.map((p) => p.path.split(/[.[]/)[0]));
      const file = (readStackYaml(text) as { config: Record<string, unknown> }).config;
      for (const key of Object.keys(file).filter((k) => k.startsWith("leasehold:"))) {
        keys++;
        const same = isDeepStrictEqual(asFileSays(file[key]), asProgramSees(cli.config[key] ?? {}));
        // Tags are refused as a rule, also where both happen to read a tagged value alike (`!!int 16`).
        const byRule = cliProblems.some((p) => p.path.startsWith(key) && p.message.includes("takes no tags"));
        if (same === refusedKeys.has(key) && !(same && byRule))
          disagreements.push(`${what}: ${key}: ${same ? "read alike, but refused" : "read otherwise by the Pulumi CLI, but accepted"}`);
      }
    }
    console.info(
      `[stack-files] ${inputs.length} stack files: ${keys} leasehold keys compared with \`pulumi config --json\`, ${refusedFiles} files refused whole (the CLI cannot read them, or they rename keys)`,
    );
    expect(disagreements).toEqual([]);
  });
});
