import * as fs from "node:fs";
import * as path from "node:path";
import * as jsyaml from "js-yaml";
import { isMap, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { mergeCatalog, type GpuCatalog } from "./catalog";
import { fromPulumiTimes } from "./fields";
import { checkFleet } from "./fleet";
import { didYouMean, formatPath, showValue, zodMessages, type Problem } from "./problems";
import { cliHazards, divergences, readStackYaml, Unreadable, type Divergence } from "./stack-yaml";
import { showNodes, writtenPathOf } from "./node-set";
import { platformKeys, platformRules, tenantKeys, tenantRules, type PlatformConfig, type TenantConfig } from "./schema";

/** A platform stack file, parsed and valid on its own. */
export interface PlatformStack {
  /** The stack's `leasehold:role`. */
  readonly role: "platform";
  /** The stack name, from the file name `Pulumi.<name>.yaml`. */
  readonly name: string;
  /** The file as the caller named it. */
  readonly file: string;
  /** The typed `leasehold:*` config. */
  readonly config: PlatformConfig;
  /** The built-in catalog with this platform's `leasehold:gpuTypes`. */
  readonly catalog: GpuCatalog;
  /** The 1-based line of a config path (`["leasehold:pools", 0, "name"]`) in the file. */
  readonly locate: Locate;
}

/** Finds the line of a config path in a stack file. */
export type Locate = (path: readonly PropertyKey[]) => number | undefined;

/** A tenant stack file, parsed and valid on its own. */
export interface TenantStack {
  /** The stack's `leasehold:role`. */
  readonly role: "tenant";
  /** The stack name, from the file name `Pulumi.<name>.yaml`. */
  readonly name: string;
  /** The file as the caller named it. */
  readonly file: string;
  /** The typed `leasehold:*` config. */
  readonly config: TenantConfig;
  /** The 1-based line of a config path in the file. */
  readonly locate: Locate;
}

/** A stack of either role. */
export type Stack = PlatformStack | TenantStack;

/** The loader's answer: the typed stack, or every problem of the file. */
export type LoadResult = { ok: true; stack: Stack } | { ok: false; problems: Problem[] };

const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;
/** The longest stack name the Pulumi CLI accepts (pkg/tokens: "a stack name cannot exceed 100 characters"). */
const MAX_STACK_NAME = 100;
const PREFIX = "leasehold:";

/** A zod schema as the walks below read it: zod 4's internal definition (`_zod.def`), only the fields they use. */
interface SchemaNode {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      element?: SchemaNode;
      valueType?: SchemaNode;
      in?: SchemaNode;
      shape?: Record<string, SchemaNode>;
      options?: SchemaNode[];
      discriminator?: string;
      values?: unknown[];
    };
  };
}

/** The stack name a file name carries (`Pulumi.tenant-acme.yaml` -> `tenant-acme`), or undefined. */
export function stackNameOf(file: string): string | undefined {
  return STACK_FILE.exec(path.basename(file))?.[1];
}

/** The file a stack lives in, inside a stacks folder. */
export function stackFile(dir: string, stack: string): string {
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** Reads and checks one stack file. Never throws for a user mistake: a missing file is a problem too. */
export function loadStackFile(file: string): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a stack file" : String((e as Error).message);
    return { ok: false, problems: [{ file, path: "", message: `cannot read the file: ${why}` }] };
  }
  return loadStackText(file, text);
}

/**
 * Checks the text of one stack file: YAML syntax, the `leasehold:*` keys against the schema of the
 * file's role, and the stack name. Every problem is reported at once.
 */
export function loadStackText(file: string, text: string): LoadResult {
  const problems: Problem[] = [];
  const name = stackNameOf(file);
  if (name === undefined) {
    problems.push({ file, path: "", message: `expected a stack file named Pulumi.<stack>.yaml, got ${showValue(path.basename(file))}` });
  } else if (name.length > MAX_STACK_NAME) {
    // The Pulumi CLI: "a stack name cannot exceed 100 characters".
    problems.push({
      file,
      path: "",
      message: `expected a stack name of at most ${MAX_STACK_NAME} characters (the Pulumi CLI's limit), got ${name.length}: ${showValue(name)}`,
    });
  }
  // Reading: js-yaml's core schema (YAML 1.2 types: times stay strings), about ten times faster
  // than a full Document parse, which matters for fleets of thousands of stacks. Line numbers
  // come from the `yaml` Document API, built only when a problem needs one.
  let root: unknown;
  try {
    root = readStackYaml(text, file);
  } catch (e) {
    if (!(e instanceof jsyaml.YAMLException)) throw e;
    const line = e.mark ? e.mark.line + 1 : undefined;
    const col = e.mark ? e.mark.column + 1 : undefined;
    problems.push({
      file,
      path: "",
      line,
      message: `invalid YAML${line ? ` at line ${line}, column ${col}` : ""}: ${e.reason}${hostlistInFlowHint(text, e.mark?.line)}`,
    });
    return { ok: false, problems };
  }
  let yamlDoc: { doc: Document; lines: LineCounter } | undefined;
  const document = () => {
    if (!yamlDoc) {
      const lines = new LineCounter();
      yamlDoc = { doc: parseDocument(text, { lineCounter: lines }), lines };
    }
    return yamlDoc;
  };
  const lineOf: Locate = (p) => lineAt(document().doc, document().lines, p);
  if (!isPlainObject(root) || !isPlainObject(root.config)) {
    problems.push({
      file,
      path: "config",
      line: 1,
      message: `expected a map of config keys under "config:", got ${showValue(isPlainObject(root) ? root.config : root)}`,
    });
    return { ok: false, problems };
  }

  // The program gets its config from the Pulumi CLI, which reads some plain scalars otherwise.
  for (const d of divergences(text, root, (key) => key.startsWith(PREFIX))) {
    problems.push({ file, path: formatPath(d.path), line: lineOf(d.path), message: divergenceMessage(d, document().doc) });
  }
  for (const h of cliHazards(text)) problems.push({ file, path: h.path ? formatPath(h.path) : "", line: h.line, message: h.message });
  for (const key of Object.keys(root.config)) {
    // The Pulumi CLI gives a key without a namespace the project's (leasehold), and refuses two colons.
    if (!key.includes(":")) {
      problems.push({
        file,
        path: key,
        line: lineOf([key]),
        message: `a config key without a namespace is ${PREFIX}${key} for the Pulumi CLI (the project's namespace) but not for leasehold: write ${PREFIX}${key}`,
      });
    } else if (key.indexOf(":") !== key.lastIndexOf(":")) {
      problems.push({
        file,
        path: key,
        line: lineOf([key]),
        message: "a config key with two colons: the Pulumi CLI cannot read it (expected namespace:name)",
      });
    }
  }

  // Split the leasehold namespace from the others (kubernetes:context, aws:region, ...).
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(root.config)) {
    if (key.startsWith(PREFIX)) own[key.slice(PREFIX.length)] = value;
  }
  const parsed = parseConfig(file, own, lineOf);
  if (!parsed.ok) problems.push(...parsed.problems);
  if (problems.length > 0 || !parsed.ok) return { ok: false, problems: sortProblems(problems) };
  return parsed;
}

/**
 * Checks the `leasehold:*` values of a stack (keys without the prefix), wherever they come from:
 * a stack file, or the Pulumi runtime's config in a program. `file` names the stack file in
 * messages; its name gives the stack name.
 */
export function parseConfig(file: string, raw: Record<string, unknown>, lineOf: Locate = () => undefined): LoadResult {
  const own = fromPulumiTimes(raw) as Record<string, unknown>;
  const problems: Problem[] = [];
  const name = stackNameOf(file);
  const role = own.role;
  if (role !== "platform" && role !== "tenant") {
    problems.push({
      file,
      path: "leasehold:role",
      line: lineOf(["leasehold:role"]),
      message: role === undefined ? "is required (expected platform or tenant)" : `expected platform or tenant, got ${showValue(role)}`,
    });
    return { ok: false, problems };
  }
  const keys: Record<string, z.ZodType> = role === "platform" ? platformKeys : tenantKeys;
  const allowed = Object.keys(keys);
  for (const key of Object.keys(own)) {
    if (!allowed.includes(key)) {
      const hint = didYouMean(key, allowed);
      problems.push({
        file,
        path: PREFIX + key,
        line: lineOf([PREFIX + key]),
        message: `unknown key for a ${role} stack${hint ? ` (did you mean ${PREFIX}${hint}?)` : ""}; expected one of ${allowed.map((k) => PREFIX + k).join(", ")}`,
      });
    }
  }

  // Each key on its own, so that a broken cluster does not hide a broken pool.
  const parts: Record<string, unknown> = {};
  let failed = false;
  for (const key of allowed) {
    const schema = keys[key]!;
    const value = own[key];
    const element = (schema as unknown as SchemaNode)._zod.def.innerType?._zod.def.element as z.ZodType | undefined;
    if (element && Array.isArray(value)) {
      // Lists element by element: the rules still see the good pools or leases of a file with a bad one.
      parts[key] = value.map((item, i) => {
        const parsed = element.safeParse(item, { reportInput: true, error: zodMessages });
        if (parsed.success) return parsed.data;
        failed = true;
        for (const iss of parsed.error.issues) {
          problems.push(...toProblems(file, key, schema, value, { ...iss, path: [i, ...iss.path] } as z.core.$ZodIssue, lineOf));
        }
        return undefined;
      });
      continue;
    }
    const parsed = schema.safeParse(value, { reportInput: true, error: zodMessages });
    if (parsed.success) {
      // An optional key that is absent stays absent (no `purge: undefined` in the typed config).
      if (parsed.data !== undefined) parts[key] = parsed.data;
    } else {
      failed = true;
      for (const iss of parsed.error.issues) problems.push(...toProblems(file, key, schema, value, iss, lineOf));
    }
  }
  // Problems of one rule at one written node set item (`nodes: gpu-[001-064]` in two pools) are
  // one problem naming every node, not one per node.
  const byWrittenNodes = new Map<string, { problem: Problem; message: string; inputs: string[] }>();
  const sink = {
    add(p: (string | number)[], message: string, input: unknown) {
      // An index into an expanded node set names the item that was written (lease/node-set.ts).
      const written = writtenPathOf(parts, p);
      const full = [PREFIX + String(written.path[0]), ...written.path.slice(1)];
      const problem: Problem = { file, path: formatPath(full), line: lineOf(full), message: withValue(message, input) };
      const key = `${problem.path}\0${message}`;
      const same = written.inNodeSet && typeof input === "string" && message.startsWith("expected") ? byWrittenNodes.get(key) : undefined;
      if (same) {
        same.inputs.push(input as string);
        return;
      }
      if (written.inNodeSet && typeof input === "string") byWrittenNodes.set(key, { problem, message, inputs: [input] });
      problems.push(problem);
    },
  };
  if (role === "platform") platformRules(parts as Partial<PlatformConfig>, sink);
  else tenantRules(own, sink);
  for (const { problem, message, inputs } of byWrittenNodes.values()) {
    if (inputs.length > 1) problem.message = `${message}, got ${showNodes(inputs)}`;
  }

  // Needs only leasehold:tenant, so it runs whatever else in the file is wrong.
  const tenantPart = parts.tenant as TenantConfig["tenant"] | undefined;
  if (role === "tenant" && name !== undefined && tenantPart !== undefined) {
    const cfg = { tenant: tenantPart };
    if (!name.startsWith("tenant-") || name !== `tenant-${cfg.tenant.name}`) {
      problems.push({
        file,
        path: "leasehold:tenant.name",
        line: lineOf([`${PREFIX}tenant`, "name"]),
        message: `expected the tenant of stack ${name} to be named after it (stack tenant-${cfg.tenant.name} holds tenant ${cfg.tenant.name}), got ${showValue(cfg.tenant.name)}`,
      });
    }
  }
  if (problems.length > 0 || failed || name === undefined) return { ok: false, problems };
  if (role === "platform") {
    const config = parts as unknown as PlatformConfig;
    return { ok: true, stack: { role, name, file, config, catalog: mergeCatalog(config.gpuTypes), locate: lineOf } };
  }
  return { ok: true, stack: { role, name, file, config: parts as unknown as TenantConfig, locate: lineOf } };
}

/**
 * The platform stack `name` of a folder. A missing file is reported at the referring tenant
 * stack's `leasehold:platform` when there is one; a stack of another role is a problem too.
 */
export function loadPlatformStack(dir: string, name: string, referrer?: string): PlatformStack | Problem[] {
  const file = stackFile(dir, name);
  if (referrer !== undefined && !fs.existsSync(file)) {
    return [
      {
        file: referrer,
        path: "leasehold:platform",
        message: `expected a platform stack of ${dir}, got ${showValue(name)} (no file ${file})`,
      },
    ];
  }
  const r = loadStackFile(file);
  if (!r.ok) return r.problems;
  if (r.stack.role !== "platform") return [{ file, path: "leasehold:role", message: `expected platform, got "${r.stack.role}"` }];
  return r.stack;
}

/**
 * A stack of a folder and the platform it runs on (itself, for a platform stack), or every
 * problem in the way: the file's own, its platform's, and the fleet rules between the two (a
 * lease on a pool the platform lacks, of another GPU type, on nodes not in the pool, a name too
 * long for the platform's cloud), with the same messages as `check`.
 */
export function loadWithPlatform(dir: string, name: string): { stack: Stack; platform: PlatformStack } | Problem[] {
  const r = loadStackFile(stackFile(dir, name));
  if (!r.ok) return r.problems;
  if (r.stack.role === "platform") return { stack: r.stack, platform: r.stack };
  const platform = loadPlatformStack(dir, r.stack.config.platform, r.stack.file);
  if (Array.isArray(platform)) return platform;
  const problems = checkFleet([platform, r.stack]);
  return problems.length > 0 ? problems : { stack: r.stack, platform };
}

/** The stack files of a folder, sorted by name. */
export function listStackFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => STACK_FILE.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function toProblems(
  file: string,
  key: string,
  schema: z.ZodType,
  data: unknown,
  iss: z.core.$ZodIssue,
  lineOf: (p: readonly PropertyKey[]) => number | undefined,
): Problem[] {
  const rel = iss.path as PropertyKey[];
  const full = [PREFIX + key, ...rel];
  if (iss.code === "unrecognized_keys") {
    const known = knownKeysAt(schema, rel, data);
    return iss.keys.map((k) => {
      const hint = known ? didYouMean(k, known) : undefined;
      const list = known ? `; expected one of ${known.join(", ")}` : "";
      return {
        file,
        path: formatPath([...full, k]),
        line: lineOf([...full, k]),
        message: `unknown key${hint ? ` (did you mean ${hint}?)` : ""}${list}`,
      };
    });
  }
  let input: unknown = "input" in iss ? iss.input : undefined;
  // A discriminated union reports the whole object; show the discriminator the user wrote.
  if (iss.code === "invalid_union" && isPlainObject(input) && typeof iss.path.at(-1) === "string") input = input[iss.path.at(-1) as string];
  else if (iss.code === "invalid_union" && isPlainObject(input) && "provider" in input) {
    full.push("provider");
    input = input.provider;
  }
  return [{ file, path: formatPath(full), line: lineOf(full), message: withValue(iss.message, input) }];
}

/** Completes an "expected ..." message with the value found: ", got 7", or "is required" when absent. */
function withValue(message: string, input: unknown): string {
  if (!message.startsWith("expected")) return message;
  return input === undefined ? `is required (${message})` : `${message}, got ${showValue(input)}`;
}

/** The keys the strict object at `at` accepts: walks the schema along the data. */
function knownKeysAt(schema: z.ZodType, at: readonly PropertyKey[], data: unknown): string[] | undefined {
  let s: SchemaNode | undefined = schema as unknown as SchemaNode;
  let d: unknown = data;
  for (let i = 0; ; i++) {
    s = unwrap(s, d);
    if (!s) return undefined;
    if (i === at.length) return s._zod.def.type === "object" ? Object.keys(s._zod.def.shape!) : undefined;
    const seg = at[i]!;
    const def = s._zod.def;
    if (def.type === "object") s = def.shape![seg as string];
    else if (def.type === "array") s = def.element;
    else if (def.type === "record") s = def.valueType;
    else return undefined;
    d = (d as Record<PropertyKey, unknown> | null | undefined)?.[seg];
  }
}

function unwrap(s: SchemaNode | undefined, d: unknown): SchemaNode | undefined {
  for (;;) {
    const def = s?._zod?.def;
    if (!def) return undefined;
    if (def.type === "optional" || def.type === "default" || def.type === "nullable" || def.type === "prefault") s = def.innerType;
    else if (def.type === "pipe") s = def.in;
    else if (def.type === "union") {
      const disc: string | undefined = def.discriminator;
      const data = d as Record<string, unknown> | null | undefined;
      s = def.options!.find((o) => disc && o._zod.def.shape?.[disc]?._zod.def.values?.includes(data?.[disc])) ?? def.options![0];
    } else return s;
  }
}

/** The 1-based line of the deepest node of `p` under `config:` that exists in the document. */
function lineAt(doc: Document, lines: LineCounter, p: readonly PropertyKey[]): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(["config", ...p.slice(0, n)], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return lines.linePos(node.range[0]).line;
    if (n === 0 && isMap(doc.contents)) return 1;
  }
  return undefined;
}

/** Why the Pulumi CLI reads a plain scalar otherwise, and how to write it so both read it the same. */
function divergenceMessage(d: Divergence, doc: Document): string {
  const node = doc.getIn(["config", ...d.path], true) as { source?: string; type?: string } | undefined;
  const written = node && typeof node === "object" && typeof node.source === "string" ? node.source : undefined;
  if (d.path.length === 0 && d.cli instanceof Unreadable) return d.cli.why;
  if (written === undefined) {
    return `reads as ${showValue(d.ours)} in leasehold (YAML 1.2) but as ${showValue(d.cli)} in the Pulumi CLI (gopkg.in/yaml.v3), which hands the program its config: quote the keys and values that are text`;
  }
  const cli =
    d.cli instanceof Unreadable ? d.cli.why : `the Pulumi CLI, which hands the program its config, reads it as ${showValue(d.cli)}`;
  const why = /^\d{4}-/.test(written)
    ? "an unquoted date or time is a YAML timestamp there"
    : /^[-+]?0[0-9]/.test(written)
      ? "a leading 0 makes a number octal there"
      : /^[-+]?0[bBoOxX]/.test(written)
        ? "a 0b/0o/0x prefix makes a binary, octal or hex number there"
        : written.includes("_")
          ? "underscores are digit separators there"
          : "gopkg.in/yaml.v3 reads plain scalars the YAML 1.1 way";
  const fix =
    typeof d.ours === "number"
      ? `write ${d.ours} if you mean ${d.ours}, or quote it if it is text`
      : typeof d.cli === "number"
        ? `write ${d.cli} if you mean ${d.cli}, or quote it ("${written}") if it is text`
        : `quote it ("${written}")`;
  return `the plain YAML scalar ${written} is ${showValue(d.ours)} in YAML 1.2 (leasehold), but ${cli} (${why}): ${fix}`;
}

/**
 * A hint for a Slurm hostlist written unquoted inside a YAML flow list or map (`nodes: [gpu-[001-004]]`):
 * there `[` opens a list, so neither reader (YAML 1.2 here, yaml.v3 in the Pulumi CLI) can read it.
 */
function hostlistInFlowHint(text: string, line0: number | undefined): string {
  if (line0 === undefined) return "";
  const line = text.split(/\r\n|\r|\n/)[line0] ?? "";
  const m = /[{[,][ \t]*([^\s"'[\]{},#]+\[[^\]\s]*\][^\s,\]}#]*)/.exec(line);
  if (!m) return "";
  const expr = m[1]!;
  return ` (a Slurm hostlist inside a YAML flow list [...] or map {...} must be quoted: write "${expr}", or the whole node set as one unquoted hostlist, such as nodes: gpu-[001-004,010])`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortProblems(ps: Problem[]): Problem[] {
  return ps.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
