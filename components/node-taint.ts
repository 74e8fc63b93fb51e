import * as pulumi from "@pulumi/pulumi";
import type { Taint, TaintIntent } from "../lease/node-taints";
import type { NodeTaintInputs, NodeTaintState } from "./node-taint-runtime";
import { ComponentArgumentsError, type ArgumentProblem } from "./arguments";
import { NODE_TAINT_RUNTIME } from "./node-taint-runtime";

export { kubeConnection, kubeRequest, rewriteTaints, nodeTaintProvider, NODE_TAINT_RUNTIME } from "./node-taint-runtime";
export type { KubeConnection, NodeTaintInputs, NodeTaintState } from "./node-taint-runtime";

/** {@link NODE_TAINT_RUNTIME}, as a string of this module: the loader below is serialized with it by value. */
const RUNTIME_PATH: string = NODE_TAINT_RUNTIME;

/**
 * The provider Pulumi serializes into each NodeTaint's state (`__provider`) and runs in the
 * engine's `pulumi-resource-pulumi-nodejs` plugin. It is a loader only, about 3 KB serialized: each
 * method loads {@link NODE_TAINT_RUNTIME} (TypeScript, through tsx, a dependency of the project)
 * once per plugin process and calls the same method there. Serializing the CRUD itself by value
 * put about 19 KB into the inputs and again the outputs of every NodeTaint: 38 MB of state on a
 * platform of 1,000 nodes, which the file backend rewrites after every step.
 */
export const nodeTaintLoader: pulumi.dynamic.ResourceProvider<NodeTaintInputs, NodeTaintState> = {
  async configure(req) {
    return loadNodeTaintRuntime().configure!(req);
  },
  async create(inputs) {
    return loadNodeTaintRuntime().create(inputs);
  },
  async diff(id, olds, news) {
    return loadNodeTaintRuntime().diff!(id, olds, news);
  },
  async update(id, olds, news) {
    return loadNodeTaintRuntime().update!(id, olds, news);
  },
  async delete(id, props) {
    return loadNodeTaintRuntime().delete!(id, props);
  },
  async read(id, props) {
    return loadNodeTaintRuntime().read!(id, props);
  },
};

/** Loads NodeTaint's CRUD from the project folder (the working directory); see {@link nodeTaintLoader}. */
function loadNodeTaintRuntime(): pulumi.dynamic.ResourceProvider<NodeTaintInputs, NodeTaintState> {
  // Serialized by value with RUNTIME_PATH: it requires what it needs in its body.
  const path = require("node:path") as typeof import("node:path");
  const file = path.resolve(RUNTIME_PATH);
  try {
    const tsx = require("tsx/cjs/api") as { require(id: string, fromFile: string): unknown };
    return (tsx.require(file, path.resolve("package.json")) as typeof import("./node-taint-runtime")).nodeTaintProvider;
  } catch (e) {
    const err = new Error(
      `cannot load leasehold's NodeTaint provider ${file} (${(e as Error).message.split("\n")[0]}): run pulumi from the leasehold project folder, after npm ci`,
    );
    err.stack = err.message;
    throw err;
  }
}

/** Arguments of {@link NodeTaint}. */
export interface NodeTaintArgs {
  /**
   * The contents of a kubeconfig whose current context may get and patch the node (kept secret, and
   * stored in the resource's state). @default the existing cluster's ambient kubeconfig, read by the
   * provider at each operation, as the Kubernetes provider does without one: the stack's
   * `kubernetes:kubeconfig` config (contents or a path), else KUBECONFIG, else ~/.kube/config. Nothing
   * of it is then stored: on a platform of 1,000 nodes the local control plane's kubeconfig put 16 MB
   * of ciphertext into the state.
   */
  kubeconfig?: pulumi.Input<string>;
  /** The node's name. */
  node: string;
  /** What this resource wants of the entries with its key. */
  intent: TaintIntent;
  /**
   * For a `set`: the value the entry is given back on delete (e.g. the idle value "") instead of
   * being removed; only while the entry still holds our value. @default undefined (removed)
   */
  releaseTo?: string;
  /** The field manager the patches are recorded under in `metadata.managedFields`. */
  fieldManager: string;
}

/**
 * One owner's entry in a node's taint list: a lease's `leasehold.io/lease=<id>:NoExecute`
 * (intent `set`), or the platform's idle entry (intent `ensure`). It adds, changes and removes only
 * that entry, by read-modify-write under the node's resourceVersion, so the taints of every other
 * actor (not-ready, a cordon's unschedulable, GPU health, the autoscaler) stay as they are. On
 * delete it takes away only an entry that still holds its value: a lease that took the node over
 * since keeps its own.
 *
 * A dynamic resource: its type is `pulumi-nodejs:dynamic/leasehold:NodeTaint`, and the engine needs
 * the `pulumi-resource-pulumi-nodejs` plugin (on PATH or next to the `pulumi` binary).
 */
export class NodeTaint extends pulumi.dynamic.Resource {
  /** The node's name. */
  declare public readonly node: pulumi.Output<string>;
  /** The node's taints, every owner's, after the last write (a refresh updates them only when our entry is gone). */
  declare public readonly taints: pulumi.Output<Taint[]>;
  /** Whether, at the last write or refresh, the node's taints satisfied the intent. */
  declare public readonly present: pulumi.Output<boolean>;

  constructor(name: string, args: NodeTaintArgs, opts?: pulumi.CustomResourceOptions) {
    const errors = invalidArgs(args);
    if (errors.length > 0) throw new ComponentArgumentsError("NodeTaint", name, errors);
    const props: Record<string, unknown> = {
      node: args.node,
      intent: { mode: args.intent.mode, key: args.intent.key, value: args.intent.value, effect: args.intent.effect },
      fieldManager: args.fieldManager,
      taints: undefined,
      present: undefined,
    };
    if (args.kubeconfig !== undefined) props.kubeconfig = pulumi.secret(args.kubeconfig);
    if (args.releaseTo !== undefined) props.releaseTo = args.releaseTo;
    super(nodeTaintLoader, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["kubeconfig"] }), "leasehold", "NodeTaint");
  }
}

const EFFECTS: readonly string[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** Every argument the API server or this resource would refuse, with the offending value. */
function invalidArgs(args: NodeTaintArgs): ArgumentProblem[] {
  const { node, intent, fieldManager, releaseTo } = args;
  const out: ArgumentProblem[] = [];
  const refuse = (propertyPath: string, reason: string) => out.push({ propertyPath, reason });
  if (!node) refuse("node", "must name a node");
  if (intent?.mode !== "set" && intent?.mode !== "ensure")
    refuse("intent.mode", `must be set or ensure (${String((intent as { mode?: unknown } | undefined)?.mode)})`);
  if (!intent?.key) refuse("intent.key", "must not be empty");
  if (!EFFECTS.includes(intent?.effect)) refuse("intent.effect", `must be one of ${EFFECTS.join(", ")} (${String(intent?.effect)})`);
  if (typeof intent?.value !== "string") refuse("intent.value", `must be a string (${String(intent?.value)})`);
  if (!fieldManager || fieldManager.length > 128) refuse("fieldManager", `must be 1 to 128 characters (${JSON.stringify(fieldManager)})`);
  if (releaseTo !== undefined && intent?.mode === "ensure")
    refuse("releaseTo", `applies to a set intent only (mode ensure, releaseTo ${JSON.stringify(releaseTo)})`);
  return out;
}
