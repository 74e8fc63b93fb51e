import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { isoInstant } from "../lease/fields";
import { loadWithPlatform, stackFile, type PlatformStack, type Stack } from "../lease/load";
import type { TaintIntent } from "../lease/node-taints";
import { claimWrite, poolWrite, type NodeView, type NodeWrite } from "../lease/node-ownership";
import { namesOf, type LeaseClaim, type PoolNodeSet } from "../components/node-set-runtime";
import { EXIT, printJson, printProblems, requireDir, UsageError, type Io } from "./common";
import { runMocked } from "../programs/mock-runtime";
import { OFFLINE_KUBECONFIG, offlinePlatformOutputs } from "../programs/offline";

/** Options of `leasehold render`. */
export interface RenderOptions {
  /** The stacks folder. */
  stacks: string;
  /** The stack to render, e.g. `tenant-acme` or `platform-local`. */
  stack: string;
  /** The instant the objects describe (epoch milliseconds). */
  at: number;
  /** Write one file per object here instead of printing. */
  out?: string;
  /** Print `{ok, stack, at, objects, outputs}` (or `{ok, problems}`) as JSON on stdout. */
  json?: boolean;
}

/** A Kubernetes object as it would be applied. */
export type KubeObject = {
  /** The API group and version, e.g. `v1` or `rbac.authorization.k8s.io/v1`. */
  apiVersion: string;
  /** The kind, e.g. `Namespace`; a patch as its target's kind (`Node`). */
  kind: string;
  /** Its name, namespace (namespaced kinds) and other metadata, without `pulumi.com/` annotations. */
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** What a render found: the objects, in a stable order, and the stack's outputs. */
export interface Rendered {
  /** The objects in a stable order: by kind (Namespace, admission policies, Node, ... first), then namespace and name. */
  objects: KubeObject[];
  /** The program's outputs, resolved; secret ones as "[secret]". */
  outputs: Record<string, unknown>;
}

const KIND_ORDER = [
  "Namespace",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "Node",
  "ResourceQuota",
  "LimitRange",
  "ServiceAccount",
  "Secret",
  "Role",
  "RoleBinding",
  "NetworkPolicy",
];

/**
 * Runs a stack's program in this process under Pulumi's mock runtime and returns the Kubernetes
 * objects it declares: no cluster, no cloud credentials, no Pulumi CLI. Patches appear as the
 * fields they set on their target: a node set (TenantNodes, PoolNodes) as one Node per node with
 * the labels, annotation and taint entry it writes there (lease/node-ownership.ts, on a node that
 * carries nothing of leasehold's yet), a NodePatch as a Node with its name and labels, a NodeTaint
 * as the taint entry it keeps on that Node.
 */
export async function renderStack(stack: Stack, platform: PlatformStack, at: number): Promise<Rendered> {
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(stack.config)) {
    if (v !== undefined) config[`leasehold:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  // Loaded here, not at the top: the other commands need no Pulumi runtime and start faster.
  const { platformProgram } = require("../programs/platform") as typeof import("../programs/platform");
  const { tenantProgram } = require("../programs/tenant") as typeof import("../programs/tenant");
  const { recorded, outputs } = await runMocked(
    () => (stack.role === "platform" ? platformProgram(stack, { kubeconfig: OFFLINE_KUBECONFIG }) : tenantProgram(stack, { platform, at })),
    { stack: stack.name, platformOutputs: offlinePlatformOutputs(platform), secretOutputNames: ["kubeconfig"], config },
  );
  const objects = recorded.filter((r) => r.type.startsWith("kubernetes:")).map((r) => asApplied(r.type, r.inputs));
  for (const r of recorded) if (r.type.endsWith(":NodeTaint")) addTaint(objects, r.inputs as { node: string; intent: TaintIntent });
  for (const r of recorded) {
    if (r.type.endsWith(":TenantNodes")) {
      const { tenant, claims } = r.inputs as { tenant: string; claims: LeaseClaim[] };
      for (const c of claims)
        for (const node of namesOf(c.nodes))
          addWrite(objects, node, claimWrite(blankNode(node), { tenant, lease: c.lease, start: c.start }));
    }
    if (r.type.endsWith(":PoolNodes")) {
      for (const p of (r.inputs as { pools: PoolNodeSet[] }).pools)
        for (const node of namesOf(p.nodes)) addWrite(objects, node, poolWrite(blankNode(node), { pool: p.pool, gpuType: p.gpuType }));
    }
  }
  objects.sort(compareObjects);
  return { objects, outputs };
}

/** An object as the API server would receive it: patches become their target kind, control annotations go. */
function asApplied(type: string, inputs: Record<string, unknown>): KubeObject {
  const obj = prune(structuredClone(inputs)) as KubeObject;
  const annotations = obj.metadata.annotations as Record<string, string> | undefined;
  if (annotations) {
    for (const k of Object.keys(annotations)) if (k.startsWith("pulumi.com/")) delete annotations[k];
    if (Object.keys(annotations).length === 0) delete obj.metadata.annotations;
  }
  if (type.endsWith("Patch")) {
    // `kubernetes:core/v1:NodePatch` -> kind Node (the SDK already sets apiVersion and kind).
    obj.kind = type.slice(type.lastIndexOf(":") + 1).replace(/Patch$/, "");
  }
  const { apiVersion, kind, metadata, ...rest } = obj;
  return { apiVersion, kind, metadata, ...rest };
}

/** A node that carries nothing of leasehold's, to render a node set's writes on. */
function blankNode(name: string): NodeView {
  return { name, resourceVersion: "", labels: {}, annotations: {}, taints: [], owned: { labels: [], annotations: [] } };
}

/** A node set's write on one node, as the Node fields it sets (an empty taint value is omitted, as the API server does). */
function addWrite(objects: KubeObject[], name: string, w: NodeWrite): void {
  let node = objects.find((o) => o.kind === "Node" && o.metadata.name === name);
  if (!node) objects.push((node = { apiVersion: "v1", kind: "Node", metadata: { name } }));
  const md = node.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const sorted = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  if (Object.keys(w.annotations).length > 0) md.annotations = sorted({ ...md.annotations, ...w.annotations });
  if (Object.keys(w.labels).length > 0) md.labels = sorted({ ...md.labels, ...w.labels });
  const spec = ((node as Record<string, unknown>).spec ??= {}) as { taints?: Record<string, string>[] };
  for (const t of w.taints) (spec.taints ??= []).push({ effect: t.effect, key: t.key, ...(t.value ? { value: t.value } : {}) });
}

/** A NodeTaint as the entry it keeps in its node's taint list (an empty value is omitted, as the API server does). */
function addTaint(objects: KubeObject[], t: { node: string; intent: TaintIntent }): void {
  let node = objects.find((o) => o.kind === "Node" && o.metadata.name === t.node);
  if (!node) objects.push((node = { apiVersion: "v1", kind: "Node", metadata: { name: t.node } }));
  const spec = ((node as Record<string, unknown>).spec ??= {}) as { taints?: Record<string, string>[] };
  const { key, value, effect } = t.intent;
  (spec.taints ??= []).push({ effect, key, ...(value ? { value } : {}) });
}

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = prune(x);
    return out;
  }
  return v;
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const rank = (o: KubeObject) => {
    const i = KIND_ORDER.indexOf(o.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return (
    rank(a) - rank(b) ||
    a.kind.localeCompare(b.kind) ||
    (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
    a.metadata.name.localeCompare(b.metadata.name)
  );
}

/** The file name of an object in `--out`: its position, kind, namespace and name. */
export function objectFileName(o: KubeObject, i: number): string {
  return `${String(i + 1).padStart(3, "0")}-${o.kind.toLowerCase()}-${o.metadata.namespace ? `${o.metadata.namespace}-` : ""}${o.metadata.name}.yaml`;
}

/** The objects as one YAML stream. */
export function toYamlStream(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

/** `leasehold render`: the Kubernetes objects a stack declares, offline. */
export async function render(opts: RenderOptions, io: Io): Promise<number> {
  requireDir(opts.stacks);
  const file = stackFile(opts.stacks, opts.stack);
  if (!fs.existsSync(file)) throw new UsageError(`--stack: no stack file ${file}`);
  const found = loadWithPlatform(opts.stacks, opts.stack);
  if (Array.isArray(found)) {
    if (opts.json) printJson(io, { ok: false, problems: found });
    else printProblems(io, found);
    return EXIT.rule;
  }
  let rendered: Rendered;
  try {
    rendered = await renderStack(found.stack, found.platform, opts.at);
  } catch (e) {
    // A RunError from a program is a rule the config breaks, already worded for the user.
    const { RunError } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    if (RunError.isInstance(e)) {
      io.err((e as Error).message);
      return EXIT.rule;
    }
    throw e;
  }
  const header = `# leasehold render: stack ${found.stack.name} at ${isoInstant(opts.at)}\n`;
  if (opts.out) {
    fs.mkdirSync(opts.out, { recursive: true });
    for (const f of fs.readdirSync(opts.out)) if (/^\d{3}-.*\.yaml$/.test(f)) fs.rmSync(path.join(opts.out, f));
    rendered.objects.forEach((o, i) =>
      fs.writeFileSync(path.join(opts.out!, objectFileName(o, i)), header + stringify(o, { lineWidth: 0 })),
    );
    io.err(`wrote ${rendered.objects.length} objects to ${opts.out}`);
  } else if (opts.json) {
    printJson(io, { ok: true, stack: found.stack.name, at: isoInstant(opts.at), objects: rendered.objects, outputs: rendered.outputs });
  } else {
    io.out(header + toYamlStream(rendered.objects));
  }
  return EXIT.ok;
}
