import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { deployInstantFrom, fromPulumiTimes } from "../lease/fields";
import {
  loadPlatformStack,
  loadStackText,
  parseConfig,
  type LoadResult,
  type PlatformStack,
  type Stack,
  type TenantStack,
} from "../lease/load";
import { checkFleet } from "../lease/fleet";
import { readStackYaml } from "../lease/stack-yaml";
import { formatProblem } from "../lease/problems";

/** The folder of stack files (Pulumi.yaml's stackConfigDir). */
export const STACKS_DIR = path.join(__dirname, "..", "stacks");
const PREFIX = "leasehold:";

/**
 * The running stack, read from its stack file through the same loader as `check`, `render` and
 * the policy pack's contract, so that the program sees what they judged. The loader refuses the
 * plain scalars the Pulumi CLI reads otherwise (`010`, `1_000`, `2027-1-2`), and the config the
 * CLI hands the program must then equal the file's: a value from elsewhere (an environment,
 * `--config-file`) is refused rather than silently judged on one reading and deployed on another.
 * Problems stop the program with one line each, naming the file and the key, and no stack trace.
 */
export function stackFromRuntime(stacksDir = STACKS_DIR): Stack {
  const runtime: Record<string, string> = {};
  for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) if (key.startsWith(PREFIX)) runtime[key] = raw;
  const full = path.join(stacksDir, `Pulumi.${pulumi.getStack()}.yaml`);
  const file = path.relative(process.cwd(), full) || full;
  if (!fs.existsSync(full)) {
    // No stack file (config set by the Automation API in memory): the CLI's values are all there is.
    const own = Object.fromEntries(Object.entries(runtime).map(([k, v]) => [k.slice(PREFIX.length), /^\s*[[{]/.test(v) ? safeJson(v) : v]));
    return orStop(parseConfig(file, own), "the stack's config is invalid");
  }
  const text = fs.readFileSync(full, "utf8");
  const stack = orStop(loadStackText(file, text), "the stack's config is invalid");
  const inFile = (readStackYaml(text) as { config: Record<string, unknown> }).config;
  const differ = [...new Set([...Object.keys(runtime), ...Object.keys(inFile).filter((k) => k.startsWith(PREFIX))])].filter(
    (k) => !sameValue(inFile[k], runtime[k]),
  );
  if (differ.length > 0) {
    throw new pulumi.RunError(
      `the config the Pulumi CLI hands the program differs from the stack file ${file} in ${differ.join(", ")}: leasehold deploys what its stack file says, ` +
        "as check, render and the policy pack read it; put leasehold:* keys in the stack file only (not in an environment, --config-file or as secrets)",
    );
  }
  return stack;
}

/**
 * The platform stack a tenant runs on, read from its stack file (same project, same folder), with
 * the fleet rules between the two run as `check` runs them: a lease on a pool the platform lacks
 * stops the program with `check`'s one-line message, before any resource is declared.
 */
export function platformStack(tenant: TenantStack, stacksDir = STACKS_DIR): PlatformStack {
  const name = tenant.config.platform;
  const r = loadPlatformStack(stacksDir, name, tenant.file);
  if (Array.isArray(r)) throw new pulumi.RunError(`the platform stack ${name} is invalid:\n${r.map(formatProblem).join("\n")}`);
  const problems = checkFleet([r, tenant]);
  if (problems.length > 0)
    throw new pulumi.RunError(`the stack does not fit its platform ${name}:\n${problems.map(formatProblem).join("\n")}`);
  return r;
}

/** The deploy instant: LEASEHOLD_AT (RFC 3339) when set, else now. */
export function deployInstant(env = process.env): number {
  const at = deployInstantFrom(env);
  if (typeof at === "string") throw new pulumi.RunError(at);
  return at;
}

/** A stack file's value and the CLI's text of it are the same value (times compared as the CLI writes them). */
function sameValue(inFile: unknown, runtime: string | undefined): boolean {
  if (inFile === undefined || runtime === undefined) return inFile === runtime;
  if (typeof inFile !== "object" || inFile === null)
    return String(fromPulumiTimes(inFile)) === String(fromPulumiTimes(runtime)) || (inFile === null && runtime === "");
  return isDeepStrictEqual(fromPulumiTimes(inFile), fromPulumiTimes(safeJson(runtime)));
}

function orStop<T extends LoadResult>(r: T, what: string): Stack {
  if (!r.ok) throw new pulumi.RunError(`${what}:\n${r.problems.map(formatProblem).join("\n")}`);
  return r.stack;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
