import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { deployInstantFrom } from "../lease/fields";
import { loadPlatformStack, parseConfig, type PlatformStack, type Stack } from "../lease/load";
import { formatProblem } from "../lease/problems";

/** The folder of stack files (Pulumi.yaml's stackConfigDir). */
export const STACKS_DIR = path.join(__dirname, "..", "stacks");

/**
 * The running stack's `leasehold:*` config, validated by the same schema as every other reader.
 * Problems stop the program with one line each, naming the file and the key, and no stack trace.
 */
export function stackFromRuntime(stacksDir = STACKS_DIR): Stack {
  const own: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith("leasehold:")) continue;
    // Pulumi keeps structured values as JSON text and plain values as they are.
    own[key.slice("leasehold:".length)] = /^\s*[[{]/.test(raw) ? safeJson(raw) : raw;
  }
  const file = path.join(path.relative(process.cwd(), stacksDir) || ".", `Pulumi.${pulumi.getStack()}.yaml`);
  const r = parseConfig(file, own);
  if (!r.ok) throw new pulumi.RunError(`the stack's config is invalid:\n${r.problems.map(formatProblem).join("\n")}`);
  return r.stack;
}

/** The platform stack a tenant runs on, read from its stack file (same project, same folder). */
export function platformStack(name: string, stacksDir = STACKS_DIR): PlatformStack {
  const r = loadPlatformStack(stacksDir, name);
  if (Array.isArray(r)) throw new pulumi.RunError(`the platform stack ${name} is invalid:\n${r.map(formatProblem).join("\n")}`);
  return r;
}

/** The deploy instant: LEASEHOLD_AT (RFC 3339) when set, else now. */
export function deployInstant(env = process.env): number {
  const at = deployInstantFrom(env);
  if (typeof at === "string") throw new pulumi.RunError(at);
  return at;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
