import type { dynamic } from "@pulumi/pulumi";
import * as path from "node:path";
import { findKubeconfig, KUBECONFIG_CONFIG_KEY } from "./ambient-kubeconfig";
import { applyIntent, changeIntent, releaseIntent, sameTaints, type Taint, type TaintIntent } from "../lease/node-taints";

// The part of NodeTaint that runs in the engine's `pulumi-resource-pulumi-nodejs` plugin process:
// one owner's entry in a node's taint list, kept the way Kubernetes itself shares that list
// (kubectl taint, the node lifecycle controller's PatchNodeTaints): read the node, change only our
// entry, write the whole list back under the read resourceVersion, and start over on a conflict.
// `spec.taints` is atomic under server-side apply, so a NodePatch would own, and wipe, the taints
// of every other actor on the node.
//
// The plugin loads this file by its path from the project folder (NODE_TAINT_RUNTIME, below, which
// the loader in node-taint.ts carries in every NodeTaint's state): keep it at that path, and keep
// it free of runtime imports beyond Node's modules, js-yaml, lease/node-taints.ts and
// ambient-kubeconfig.ts (which import nothing else), so that loading it in the plugin stays cheap.
// It must handle every state earlier versions wrote (inputs below).

/**
 * This file's path from the project folder, the plugin's working directory: the loader serialized
 * into every NodeTaint's state names it, so a later version must keep a file here that handles the
 * states earlier versions wrote.
 */
export const NODE_TAINT_RUNTIME = "components/node-taint-runtime.ts";

/** The inputs of a NodeTaint as its provider receives them: the arguments, resolved, in the clear. */
export interface NodeTaintInputs {
  /**
   * The kubeconfig's contents. @default the existing cluster's ambient kubeconfig, read at each
   * operation: the stack's `kubernetes:kubeconfig` config, else KUBECONFIG, else ~/.kube/config
   */
  kubeconfig?: string;
  /** The node's name. */
  node: string;
  /** What this resource wants of the entries with its key. */
  intent: TaintIntent;
  /** The value a `set` entry is given back on delete. @default undefined (removed) */
  releaseTo?: string;
  /** The field manager of the patches. */
  fieldManager: string;
}

/** The state of a NodeTaint: its inputs and what it saw. */
export interface NodeTaintState extends NodeTaintInputs {
  /** The node's taints after the last write (a refresh updates them only when our entry is gone). */
  taints: Taint[];
  /** Whether the taints satisfy the intent, i.e. applying it would change nothing. */
  present: boolean;
}

/** How to reach the API server of a kubeconfig's current context. */
export interface KubeConnection {
  /** The API server's base URL. */
  server: URL;
  /** TLS options of every request (CA, client certificate, verification). */
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; servername?: string };
  /** The Authorization header, if the user authenticates with a token. @default undefined */
  authorization?: string;
  /** The HTTP agent of every request (keep-alive connections, bounded). @default Node's global agent */
  agent?: import("node:http").Agent;
}

/** A response of the API server: its status code and its body, parsed when it is JSON. */
interface KubeResponse {
  /** The HTTP status code; 0 when the response carried none. */
  status: number;
  /** The body: the parsed JSON (a Node, or a Status on failure), or the text when it is not JSON. */
  body: unknown;
}

/** The fields read of a response body: a Node's resourceVersion and taints, a Status's message. */
interface ResponseFields {
  message?: unknown;
  metadata?: { resourceVersion?: string };
  spec?: { taints?: Taint[] };
}

/** The fields read of a kubeconfig (clientcmd's v1 Config), as loaded: unchecked. */
interface Kubeconfig {
  "current-context"?: string;
  clusters?: unknown;
  contexts?: unknown;
  users?: unknown;
}

/** A kubeconfig's cluster: the fields read of it. */
interface KubeconfigCluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  extensions?: { name?: string; extension?: unknown }[];
}

/** A kubeconfig's context: the cluster and user it names. */
interface KubeconfigContext {
  cluster?: string;
  user?: string;
}

/** A kubeconfig's user: the fields read of it. */
interface KubeconfigUser {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  exec?: {
    apiVersion?: string;
    command?: string;
    args?: string[];
    env?: { name: string; value: string }[] | null;
    provideClusterInfo?: boolean;
  };
  "auth-provider"?: { name?: string };
}

/**
 * Resolves the current context of a kubeconfig (its contents) into a connection: server,
 * certificate-authority(-data), insecure-skip-tls-verify, tls-server-name,
 * client-certificate(-data)/client-key(-data), token, tokenFile, and `exec` credential plugins
 * (client.authentication.k8s.io/v1 and v1beta1). Relative file paths (and an exec command
 * given as a relative path) resolve from `folder`, the kubeconfig file's, as kubectl's do; from the
 * working directory when the kubeconfig was contents. A kubeconfig that is not YAML is one line
 * saying where, never a snippet of the file (it holds credentials).
 */
export async function kubeConnection(kubeconfig: string, folder?: string): Promise<KubeConnection> {
  const yaml = require("js-yaml") as typeof import("js-yaml");
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const local = (file: string) => (folder === undefined ? file : path.resolve(folder, file));
  let cfg: Kubeconfig;
  try {
    cfg = (yaml.load(kubeconfig) ?? {}) as Kubeconfig;
  } catch (e) {
    const { reason, mark } = e as { reason?: string; mark?: { line: number; column: number } };
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : "";
    // eslint-disable-next-line preserve-caught-error -- js-yaml's error quotes the file, credentials and all
    throw new Error(`kubeconfig: not valid YAML${where}: ${reason ?? "unreadable"}`);
  }
  if (typeof cfg !== "object" || cfg === null) throw new Error("kubeconfig: not a mapping");
  const named = <T>(list: "clusters" | "contexts" | "users", name: unknown): T | undefined => {
    const found = (Array.isArray(cfg[list]) ? (cfg[list] as (Record<string, unknown> | null)[]) : []).find((x) => x && x.name === name);
    return found === undefined ? undefined : ((found![list.slice(0, -1)] ?? {}) as T);
  };
  const contextName = cfg["current-context"];
  if (!contextName) throw new Error("kubeconfig: no current-context");
  const context = named<KubeconfigContext>("contexts", contextName);
  if (!context) throw new Error(`kubeconfig: current-context ${contextName} is not among its contexts`);
  const cluster = named<KubeconfigCluster>("clusters", context.cluster);
  if (!cluster) throw new Error(`kubeconfig: context ${contextName} names cluster ${context.cluster}, which it does not define`);
  if (!cluster.server) throw new Error(`kubeconfig: cluster ${context.cluster} has no server`);
  const user: KubeconfigUser = (context.user === undefined ? {} : named<KubeconfigUser>("users", context.user)) ?? {};
  const dataOrFile = (data: unknown, file: unknown) =>
    typeof data === "string" && data !== ""
      ? Buffer.from(data, "base64").toString("utf8")
      : typeof file === "string" && file !== ""
        ? fs.readFileSync(local(file), "utf8")
        : undefined;

  const tls: KubeConnection["tls"] = { rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true };
  const ca = dataOrFile(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  if (ca !== undefined) tls.ca = ca;
  if (cluster["tls-server-name"]) tls.servername = cluster["tls-server-name"];
  const cert = dataOrFile(user["client-certificate-data"], user["client-certificate"]);
  const key = dataOrFile(user["client-key-data"], user["client-key"]);
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  let token: string | undefined = user.token || (user.tokenFile ? fs.readFileSync(local(user.tokenFile), "utf8").trim() : undefined);

  if (user.exec) {
    const exec = user.exec;
    const versions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];
    if (!exec.command) throw new Error(`kubeconfig: user ${context.user}: exec has no command`);
    if (!exec.apiVersion || !versions.includes(exec.apiVersion))
      throw new Error(`kubeconfig: user ${context.user}: exec apiVersion ${exec.apiVersion} is not one of ${versions.join(", ")}`);
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo) {
      spec.cluster = {
        server: cluster.server,
        "tls-server-name": cluster["tls-server-name"],
        "insecure-skip-tls-verify": cluster["insecure-skip-tls-verify"],
        "certificate-authority-data": ca === undefined ? undefined : Buffer.from(ca).toString("base64"),
        config: (cluster.extensions ?? []).find((e) => e?.name === "client.authentication.k8s.io/exec")?.extension,
      };
    }
    const env: Record<string, string | undefined> = {
      ...process.env,
      KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: exec.apiVersion, kind: "ExecCredential", spec }),
    };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    const { execFile } = require("node:child_process") as typeof import("node:child_process");
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        exec.command!.includes("/") ? local(exec.command!) : exec.command!,
        exec.args ?? [],
        { env, timeout: 60_000, maxBuffer: 1 << 20 },
        (err, out, errOut) => {
          if (!err) return resolve(out);
          const why = String(errOut).trim().split("\n")[0] || err.message.split("\n")[0];
          reject(new Error(`kubeconfig: user ${context.user}: exec plugin ${exec.command} failed: ${why}`));
        },
      ),
    );
    let status: { token?: string; clientCertificateData?: string; clientKeyData?: string } | undefined;
    try {
      status = JSON.parse(stdout)?.status;
    } catch {
      throw new Error(`kubeconfig: user ${context.user}: exec plugin ${exec.command} printed no ExecCredential JSON`);
    }
    if (status?.token) token = status.token;
    if (status?.clientCertificateData) tls.cert = status.clientCertificateData;
    if (status?.clientKeyData) tls.key = status.clientKeyData;
    if (!status?.token && !(status?.clientCertificateData && status?.clientKeyData)) {
      throw new Error(
        `kubeconfig: user ${context.user}: exec plugin ${exec.command} returned neither status.token nor status.clientCertificateData and clientKeyData`,
      );
    }
  } else if (user["auth-provider"]) {
    throw new Error(
      `kubeconfig: user ${context.user}: auth-provider ${user["auth-provider"].name} is not supported; use an exec credential plugin`,
    );
  }
  return { server: new URL(cluster.server), tls, ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

/** One request to the API server; `path` is absolute (`/api/v1/nodes/n1?fieldManager=x`). */
export async function kubeRequest(
  conn: KubeConnection,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<KubeResponse> {
  const url = new URL(conn.server.pathname.replace(/\/$/, "") + path, conn.server);
  const http = (url.protocol === "https:" ? require("node:https") : require("node:http")) as typeof import("node:https");
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (conn.authorization) headers.Authorization = conn.authorization;
  if (payload !== undefined) {
    headers["Content-Type"] = contentType;
    headers["Content-Length"] = String(Buffer.byteLength(payload));
  }
  return new Promise<KubeResponse>((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers, ...conn.tls, ...(conn.agent ? { agent: conn.agent } : {}), timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (a proxy's error page): keep the text for the error message.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.href}: no answer within 30 s`)));
    req.on("error", (e) => reject(new Error(`${method} ${url.href}: ${e.message}`)));
    req.end(payload);
  });
}

/**
 * Read-modify-write of one node's taints: GET the node, compute the new list, and unless it is the
 * same, PATCH it as a JSON merge patch carrying the read resourceVersion as a precondition, so a
 * concurrent writer makes the API server answer 409 and we start over from a fresh read.
 * Returns the taints after the write, or undefined if the node does not exist.
 */
export async function rewriteTaints(
  conn: KubeConnection,
  node: string,
  fieldManager: string,
  change: (current: Taint[]) => Taint[],
): Promise<Taint[] | undefined> {
  const nodePath = `/api/v1/nodes/${encodeURIComponent(node)}`;
  const failure = (verb: string, r: KubeResponse) => {
    const message = typeof r.body === "object" ? (r.body as ResponseFields | null)?.message : undefined;
    return new Error(`${verb} node ${node}: ${r.status} ${message ? message : String(r.body).slice(0, 200)}`);
  };
  const attempts = 5;
  for (let attempt = 1; ; attempt++) {
    const got = await kubeRequest(conn, "GET", nodePath);
    if (got.status === 404) return undefined;
    if (got.status !== 200) throw failure("get", got);
    const body = got.body as ResponseFields | null;
    const current: Taint[] = body?.spec?.taints ?? [];
    const next = change(current);
    if (sameTaints(next, current)) return current;
    const patch = { metadata: { resourceVersion: body!.metadata!.resourceVersion }, spec: { taints: next } };
    const put = await kubeRequest(
      conn,
      "PATCH",
      `${nodePath}?fieldManager=${encodeURIComponent(fieldManager)}`,
      patch,
      "application/merge-patch+json",
    );
    if (put.status === 200) return (put.body as ResponseFields | null)?.spec?.taints ?? [];
    if (put.status === 404) return undefined;
    if (put.status !== 409) throw failure("patch", put);
    if (attempt >= attempts)
      throw new Error(`patch node ${node}: its taints changed under us ${attempts} times in a row (409 Conflict); try again`);
    // Someone else wrote the node between our read and our write: back off a little (20 ms,
    // doubling, jittered), re-read.
    await new Promise((r) => setTimeout(r, 20 * 2 ** (attempt - 1) * (1 + Math.random() / 2)));
  }
}

/** The taint an intent writes, as `key=value:effect`, for messages. */
function describeIntent(intent: TaintIntent): string {
  return `${intent.mode === "set" ? "lease" : "idle"} taint ${intent.key}=${intent.value}:${intent.effect}`;
}

/** The stack's `kubernetes:kubeconfig` config, as the engine gave it to `configure`. */
let configuredKubeconfig: string | undefined;

/**
 * The connection of a NodeTaint: its own kubeconfig, else the stack's, found when it runs; an
 * error about the stack's names where it was found (nothing of it is in the state to look at).
 */
async function connect(s: Pick<NodeTaintInputs, "kubeconfig">): Promise<KubeConnection> {
  if (s.kubeconfig !== undefined) return kubeConnection(s.kubeconfig);
  const found = findKubeconfig(configuredKubeconfig);
  try {
    return await kubeConnection(found.contents, found.file === undefined ? undefined : path.dirname(found.file));
  } catch (e) {
    throw new Error(`${(e as Error).message} (the kubeconfig named by ${found.source}${found.file ? `: ${found.file}` : ""})`, {
      cause: e,
    });
  }
}

/** Writes the intent of a create or update; a node that does not exist is an error. */
async function holdIntent(s: NodeTaintInputs, change: (current: Taint[]) => Taint[]): Promise<NodeTaintState> {
  const taints = await rewriteTaints(await connect(s), s.node, s.fieldManager, change);
  if (taints === undefined) throw new Error(`node ${s.node} does not exist in the cluster (${describeIntent(s.intent)})`);
  return { ...s, taints, present: sameTaints(applyIntent(taints, s.intent), taints) };
}

/** The arguments a diff compares, in a stable form. */
function argsOf(s: Partial<NodeTaintInputs>) {
  const i = (s.intent ?? {}) as Partial<TaintIntent>;
  return {
    kubeconfig: s.kubeconfig,
    node: s.node,
    intent: [i.mode, i.key, i.value, i.effect],
    releaseTo: s.releaseTo,
    fieldManager: s.fieldManager,
  };
}

/**
 * The CRUD of a NodeTaint: what the engine's dynamic-provider plugin runs, through the small
 * loader that components/node-taint.ts serializes into each resource's state.
 */
export const nodeTaintProvider: dynamic.ResourceProvider<NodeTaintInputs, NodeTaintState> = {
  async configure(req) {
    // The engine gives dynamic providers the whole stack config, namespaces kept.
    configuredKubeconfig = req.config.get(KUBECONFIG_CONFIG_KEY);
  },

  async create(inputs) {
    const outs = await holdIntent(inputs, (current) => applyIntent(current, inputs.intent));
    return { id: `${inputs.node}/${inputs.intent.key}`, outs };
  },

  async diff(_id, olds, news) {
    const before = argsOf(olds);
    const after = argsOf(news);
    const replaces: string[] = [];
    if (before.node !== after.node) replaces.push("node");
    if (before.intent[1] !== after.intent[1]) replaces.push("intent");
    // A state whose provider is not a loader of this file (before the loader, the whole CRUD was
    // serialized into it) is rewritten with the loader: an update that finds the intent holding
    // writes nothing to the node. Two loaders are the same provider whatever their text (the
    // program's transpiler shapes it: tsx under leasehold, ts-node under a bare pulumi up).
    const loads = (x: object) => String((x as { __provider?: unknown }).__provider ?? "").includes(NODE_TAINT_RUNTIME);
    const changed = JSON.stringify(before) !== JSON.stringify(after) || (loads(news) && !loads(olds));
    // A refresh that found the intent no longer holding (someone removed our entry) makes the
    // next update write it again.
    return { changes: changed || olds.present === false, replaces };
  },

  async update(_id, olds, news) {
    return { outs: await holdIntent(news, (current) => changeIntent(current, olds.intent, news.intent)) };
  },

  async delete(_id, props) {
    try {
      const conn = await connect(props);
      // A node that is gone carries no taint of ours: nothing to release.
      await rewriteTaints(conn, props.node, props.fieldManager, (current) => releaseIntent(current, props.intent, props.releaseTo));
    } catch (e) {
      throw withoutTrace(e, `releasing the ${describeIntent(props.intent)} of node ${props.node}`);
    }
  },

  async read(id, props) {
    const s = props!;
    try {
      const conn = await connect(s);
      const got = await kubeRequest(conn, "GET", `/api/v1/nodes/${encodeURIComponent(s.node)}`);
      const body = got.body as ResponseFields | null;
      if (got.status !== 200 && got.status !== 404) throw new Error(`get node ${s.node}: ${got.status} ${body?.message ?? ""}`);
      const taints: Taint[] = got.status === 404 ? [] : (body?.spec?.taints ?? []);
      const present = got.status === 200 && sameTaints(applyIntent(taints, s.intent), taints);
      // eslint-disable-next-line @typescript-eslint/no-unused-vars -- destructured only to leave them out of `inputs`
      const { taints: _taints, present: _present, ...inputs } = s;
      // While our entry holds, the state stays as the last write left it: other owners' taints
      // come and go (a cordon, not-ready) and are no drift of this resource's
      // (`pulumi preview --refresh --expect-no-changes` in drift.yml stays quiet about them).
      return { id, props: { ...s, taints: present ? s.taints : taints, present }, inputs: inputs as NodeTaintState };
    } catch (e) {
      throw withoutTrace(e, `reading the ${describeIntent(s.intent)} of node ${s.node}`);
    }
  },
};

/**
 * The SDK's plugin prints a failed delete or read as `${error}: ${error.stack}` on stderr, which
 * the engine shows: give it one line that says what we were doing instead of a stack trace.
 */
function withoutTrace(e: unknown, doing: string): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  err.stack = `while ${doing}`;
  return err;
}
