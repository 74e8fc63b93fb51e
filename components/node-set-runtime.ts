import type { dynamic } from "@pulumi/pulumi";
import * as path from "node:path";
import { findKubeconfig, KUBECONFIG_CONFIG_KEY } from "./ambient-kubeconfig";
import { kubeConnection, kubeRequest, type KubeConnection } from "./node-taint-runtime";
import { toleratesTaint, type Taint, type Toleration } from "../lease/node-taints";
import { expandHostlist } from "../lease/hostlist";
import {
  claimWrite,
  evictingTaints,
  isTenantEntry,
  mayClaim,
  mayRelease,
  NODE_LABELS,
  POOL_OWN_KEYS,
  poolReleaseWrite,
  poolWrite,
  releaseWrite,
  TENANT_OWN_KEYS,
  writeIsNoop,
  type NodeView,
  type NodeWrite,
} from "../lease/node-ownership";

// The part of TenantNodes and PoolNodes that runs in the engine's `pulumi-resource-pulumi-nodejs`
// plugin process: one resource for a whole set of nodes. It reads the nodes (one paginated LIST
// for large sets, a GET each for small ones), computes each node's next state with
// lease/node-ownership.ts, and writes only the nodes that differ, a bounded number at a time, each
// by one server-side apply of leasehold's own label keys, annotation and the node's whole taint
// list (every other owner's entry kept as read) under the read resourceVersion; a 409 Conflict
// starts that node over from a fresh read. A node that cannot be written fails the deploy, naming
// it, after every other node was written: each write leaves its node consistent, and the next
// deploy finishes the job.
//
// The plugin loads this file by its path from the project folder (NODE_SET_RUNTIME, below, which
// the loader in node-set.ts carries in each resource's state): keep it at that path, and keep its
// imports to Node's modules, js-yaml and the small lease/ and component modules above, so that
// loading it stays cheap. It must handle every state earlier versions wrote.

/** This file's path from the project folder, the plugin's working directory (see node-set.ts's loader). */
export const NODE_SET_RUNTIME = "components/node-set-runtime.ts";

/**
 * A node set as a state holds it: one Slurm hostlist (`gpu-[00001-08192]`, what this version
 * writes, so that the state of a lease of thousands of contiguous nodes stays a few bytes), or a
 * list of node names (earlier states, and callers that pass one).
 */
export type StoredNodes = string | string[];

/** The node names of a stored node set (a hostlist expanded; a list as it is, anything else as given for the input check to refuse). */
export function namesOf(nodes: StoredNodes): string[] {
  if (typeof nodes !== "string") return nodes;
  try {
    return expandHostlist(nodes);
  } catch {
    return nodes as unknown as string[];
  }
}

/** A lease in force and the nodes it holds, as a TenantNodes resource receives it. */
export interface LeaseClaim {
  /** The lease id. */
  lease: string;
  /** The lease's window start, RFC 3339. */
  start: string;
  /** The nodes the lease holds. */
  nodes: StoredNodes;
}

/** The inputs of a TenantNodes resource, resolved. */
export interface TenantNodesInputs {
  /**
   * A kubeconfig's contents. @default the cluster's ambient kubeconfig (the stack's
   * `kubernetes:kubeconfig`, else KUBECONFIG, else ~/.kube/config)
   */
  kubeconfig?: string;
  /** The tenant: the taint's value and the label. */
  tenant: string;
  /** The field manager the node writes are applied as. */
  fieldManager: string;
  /** The leases in force at the deploy instant, each with its nodes. */
  claims: LeaseClaim[];
}

/** The state of a TenantNodes resource: its inputs and what the last write or refresh saw. */
export interface TenantNodesState extends TenantNodesInputs {
  /** Nodes a lease that starts later holds (a deploy at a stale instant never takes them), with who holds them. */
  yielded: string[];
  /** Whether every node was as the claims want at the last write or refresh. */
  conforming: boolean;
}

/** A pool, as a PoolNodes resource receives it. */
export interface PoolNodeSet {
  /** The pool's name. */
  pool: string;
  /** The pool's GPU type. */
  gpuType: string;
  /** The pool's nodes. */
  nodes: StoredNodes;
}

/** The inputs of a PoolNodes resource, resolved. */
export interface PoolNodesInputs {
  /** A kubeconfig's contents. @default the cluster's ambient kubeconfig */
  kubeconfig?: string;
  /** The field manager the node writes are applied as. */
  fieldManager: string;
  /** The platform's pools with their nodes. */
  pools: PoolNodeSet[];
}

/** The state of a PoolNodes resource. */
export interface PoolNodesState extends PoolNodesInputs {
  /** Whether every node was as the pools want at the last write or refresh. */
  conforming: boolean;
}

/** How many nodes are read or written at once. @default 16, or LEASEHOLD_NODE_PARALLELISM */
export function nodeParallelism(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.LEASEHOLD_NODE_PARALLELISM);
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : 16;
}

/** Above this many nodes, the nodes are read with one paginated LIST instead of a GET each. */
const LIST_ABOVE = 64;

/** Runs `fn` over `items`, at most `limit` at a time; resolves when every call has settled. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The fields read of a Node (or a Status) in a response body. */
interface NodeBody {
  message?: string;
  metadata?: {
    name?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string; fieldsV1?: Record<string, unknown> }[];
  };
  spec?: { taints?: Taint[] };
}

/** A node's view for `manager`: the fields leasehold reads, and the label and annotation keys the manager holds by apply. */
export function viewOf(body: NodeBody, manager: string): NodeView {
  const md = body.metadata ?? {};
  const owned = { labels: [] as string[], annotations: [] as string[] };
  for (const f of md.managedFields ?? []) {
    if (f.manager !== manager || f.operation !== "Apply") continue;
    const meta = (f.fieldsV1?.["f:metadata"] ?? {}) as Record<string, Record<string, unknown> | undefined>;
    for (const k of Object.keys(meta["f:labels"] ?? {})) if (k.startsWith("f:")) owned.labels.push(k.slice(2));
    for (const k of Object.keys(meta["f:annotations"] ?? {})) if (k.startsWith("f:")) owned.annotations.push(k.slice(2));
  }
  return {
    name: md.name ?? "",
    resourceVersion: md.resourceVersion ?? "",
    ...(md.uid ? { uid: md.uid } : {}),
    labels: md.labels ?? {},
    annotations: md.annotations ?? {},
    taints: body.spec?.taints ?? [],
    owned,
  };
}

/** `${verb} ${what}: ${status} ${the answer's message}`, on one line. */
function answerFailure(verb: string, what: string, status: number, body: unknown): Error {
  const message = typeof body === "object" && body !== null ? (body as NodeBody).message : String(body).slice(0, 200);
  // One line: a proxy's error page ("<html>\r\n<head><title>502 Bad Gateway</title>...") spread over
  // several lines, and the engine shows the message as the whole error.
  return new Error(`${verb} ${what}: ${status} ${message ?? ""}`.replace(/\s+/g, " ").trim());
}

const failure = (verb: string, node: string, status: number, body: unknown) => answerFailure(verb, `node ${node}`, status, body);
const podFailure = (verb: string, pods: string, status: number, body: unknown) =>
  answerFailure(verb, `pod${verb === "list" ? "s" : ""} ${pods}`, status, body);

/**
 * Whether a 200 answer is a Node (or, with `name`, that node): a proxy that answers 200 with a login
 * page, or a name that the URL resolves elsewhere, must not be taken for a node without labels or
 * taints. Before this check, a GET answered by such a page gave a view named "" without a
 * resourceVersion: the write then went to /api/v1/nodes/ without a precondition, and a delete read
 * nothing to release and succeeded.
 */
function isNode(body: unknown, name?: string): body is NodeBody {
  const md = (body as NodeBody | null)?.metadata;
  return (
    typeof body === "object" &&
    body !== null &&
    typeof md?.name === "string" &&
    md.name !== "" &&
    (name === undefined || md.name === name) &&
    typeof md.resourceVersion === "string" &&
    md.resourceVersion !== ""
  );
}

/** One node by name; undefined when it does not exist. */
async function getNode(conn: KubeConnection, node: string, manager: string): Promise<NodeView | undefined> {
  const got = await kubeRequest(conn, "GET", `/api/v1/nodes/${encodeURIComponent(node)}`);
  if (got.status === 404) return undefined;
  if (got.status !== 200) throw failure("get", node, got.status, got.body);
  if (!isNode(got.body, node)) throw failure("get", node, got.status, "the answer is not that Node");
  return viewOf(got.body, manager);
}

/**
 * The nodes named (and, with `selector`, every node it selects too), by name: one paginated LIST
 * when there are many, a GET each otherwise. A node that does not exist is absent from the map.
 */
export async function readNodes(
  conn: KubeConnection,
  names: readonly string[],
  manager: string,
  parallelism: number,
  selector?: { key: string; value: string },
): Promise<Map<string, NodeView>> {
  const out = new Map<string, NodeView>();
  const wanted = new Set(names);
  // The full LIST already holds every node the selector would: keep those too, rather than list them again.
  const selected = (item: NodeBody) => selector !== undefined && item.metadata?.labels?.[selector.key] === selector.value;
  const list = async (labelSelector?: string) => {
    const seen = new Set<string>();
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: "500" });
      if (labelSelector) q.set("labelSelector", labelSelector);
      if (cont) q.set("continue", cont);
      const got = await kubeRequest(conn, "GET", `/api/v1/nodes?${q}`);
      if (got.status !== 200) throw failure("list", labelSelector ? `(${labelSelector})` : "(all)", got.status, got.body);
      const body = got.body as { items?: unknown[]; metadata?: { continue?: string } } | null;
      // A NodeList of Nodes only (see isNode): an empty list read from a login page released nothing.
      if (!Array.isArray(body?.items) || !body.items.every((item) => isNode(item)))
        throw failure("list", labelSelector ? `(${labelSelector})` : "(all)", got.status, "the answer is not a NodeList");
      for (const item of body.items as NodeBody[]) {
        const name = item.metadata!.name!;
        if (labelSelector || wanted.has(name) || selected(item)) out.set(name, viewOf(item, manager));
      }
      const next = body.metadata?.continue || undefined;
      // A server that hands back a continue token it gave before would page for ever.
      if (next !== undefined && seen.has(next))
        throw failure("list", labelSelector ? `(${labelSelector})` : "(all)", got.status, "a continue token seen before");
      if (next !== undefined) seen.add(next);
      cont = next;
    } while (cont);
  };
  if (names.length > LIST_ABOVE) {
    await list();
    return out;
  }
  if (selector) await list(`${selector.key}=${selector.value}`);
  await eachLimited(
    names.filter((n) => !out.has(n)),
    parallelism,
    async (n) => {
      const v = await getNode(conn, n, manager);
      if (v) out.set(n, v);
    },
  );
  return out;
}

/**
 * Applies a write to a node (server-side apply of the manager's labels and annotations and the
 * whole taint list, under the read resourceVersion), re-reading and recomputing on a 409 Conflict
 * up to 5 times. `next` computes the write from a view, or undefined for nothing to write. Returns
 * the write made and the view it was made on, or undefined when there was nothing to write.
 */
async function writeNode(
  conn: KubeConnection,
  view: NodeView,
  manager: string,
  next: (v: NodeView) => NodeWrite | undefined,
): Promise<{ from: NodeView; write: NodeWrite } | undefined> {
  const attempts = 5;
  let current = view;
  for (let attempt = 1; ; attempt++) {
    const write = next(current);
    if (!write) return undefined;
    // The uid too: server-side apply creates a node that does not exist, resourceVersion or not, so
    // a node deleted between our read and this write came back as a Node with only our labels and
    // taints (and the write failed with "201"). With the uid the API server answers 409 instead
    // ("uid mismatch"), and the re-read finds the node gone.
    const metadata: Record<string, unknown> = { name: current.name, resourceVersion: current.resourceVersion };
    if (current.uid) metadata.uid = current.uid;
    if (Object.keys(write.labels).length > 0) metadata.labels = write.labels;
    if (Object.keys(write.annotations).length > 0) metadata.annotations = write.annotations;
    const body = { apiVersion: "v1", kind: "Node", metadata, spec: { taints: write.taints } };
    const put = await kubeRequest(
      conn,
      "PATCH",
      `/api/v1/nodes/${encodeURIComponent(current.name)}?fieldManager=${encodeURIComponent(manager)}&force=true`,
      body,
      "application/apply-patch+yaml",
    );
    if (put.status === 200) return { from: current, write };
    if (put.status === 404) throw new Error(`node ${current.name} does not exist in the cluster`);
    if (put.status !== 409) throw failure("apply", current.name, put.status, put.body);
    if (attempt >= attempts) throw new Error(`node ${current.name}: it changed under us ${attempts} times in a row (409 Conflict)`);
    // Someone else wrote the node between our read and our write: back off a little, re-read.
    await new Promise((r) => setTimeout(r, 20 * 2 ** (attempt - 1) * (1 + Math.random() / 2)));
    const fresh = await getNode(conn, current.name, manager);
    if (!fresh) throw new Error(`node ${current.name} does not exist in the cluster`);
    current = fresh;
  }
}

/** One error for every node that failed, naming them (the first ten, and how many in all). */
function nodesFailed(doing: string, failed: { node: string; why: string }[], done: number): Error {
  const shown = failed
    .slice(0, 10)
    .map((f) => `${f.node}: ${f.why}`)
    .join("; ");
  const more = failed.length > 10 ? `; and ${failed.length - 10} more` : "";
  const err = new Error(
    `${doing}: ${failed.length} node(s) failed (${shown}${more}); the other ${done} node(s) were written and are consistent: deploy again to finish`,
  );
  err.stack = err.message;
  return err;
}

/** The stack's `kubernetes:kubeconfig` config, as the engine gave it to `configure`. */
let configuredKubeconfig: string | undefined;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The names of inputs that would make their requests or writes unsafe, each with its path and value;
 * of a last state (`nodesOnly`), the node names only: the nodes it held are read to be released.
 */
function inputProblems(kind: "TenantNodes" | "PoolNodes", s: Partial<TenantNodesInputs & PoolNodesInputs>, nodesOnly = false): string[] {
  const problems: string[] = [];
  const bad = (at: string, value: unknown, expected: string) => problems.push(`${at}: expected ${expected}, got ${JSON.stringify(value)}`);
  const label = (v: unknown) => typeof v === "string" && v.length <= 63 && DNS1123_LABEL.test(v);
  const nodes = (at: string, list: unknown) => {
    if (!Array.isArray(list)) return bad(at, list, "a list of node names");
    list.forEach((n, i) => {
      if (!(typeof n === "string" && n.length <= 253 && DNS1123_SUBDOMAIN.test(n)))
        bad(`${at}[${i}]`, n, "a node name (a DNS-1123 subdomain)");
    });
  };
  if (kind === "TenantNodes") {
    if (!nodesOnly && !label(s.tenant)) bad("tenant", s.tenant, "a DNS-1123 label");
    (s.claims ?? []).forEach((c, i) => {
      if (!nodesOnly && !label(c?.lease)) bad(`claims[${i}].lease`, c?.lease, "a DNS-1123 label");
      if (!nodesOnly && !(typeof c?.start === "string" && RFC3339.test(c.start) && Number.isFinite(Date.parse(c.start))))
        bad(`claims[${i}].start`, c?.start, "an RFC 3339 instant");
      nodes(`claims[${i}].nodes`, c?.nodes === undefined ? undefined : namesOf(c.nodes));
    });
  } else (s.pools ?? []).forEach((p, i) => nodes(`pools[${i}].nodes`, p?.nodes === undefined ? undefined : namesOf(p.nodes)));
  return problems;
}

/**
 * Refuses, before any request, inputs (and a last state) whose names are not what the component
 * lets through (TenantNodes and PoolNodes check them; a state edited by hand or a direct caller
 * does not): a tenant "" wrote the idle taint value on the nodes it claimed, so they looked idle
 * while labelled for its lease; a lease "" made its nodes look unheld to every other claim; a
 * start that does not parse took nodes from later leases (the forwards-only rule compares starts);
 * a node name "gpu-001/status" was read and written as gpu-001 (its %2F is decoded before the API
 * server routes the path: the status subresource of gpu-001), and "." became /api/v1/nodes/ (URL
 * normalisation), a request on the node collection.
 */
function checkInputs(kind: "TenantNodes" | "PoolNodes", news: object, olds?: object): void {
  const problems = [
    ...inputProblems(kind, news),
    ...(olds === undefined || olds === news ? [] : inputProblems(kind, olds, true).map((p) => `the last state's ${p}`)),
  ];
  if (problems.length === 0) return;
  const more = problems.length > 10 ? `; and ${problems.length - 10} more` : "";
  const err = new Error(`${kind}: invalid inputs, nothing was read or written: ${problems.slice(0, 10).join("; ")}${more}`);
  err.stack = err.message;
  throw err;
}

/** The connection of a resource: its own kubeconfig, else the stack's ambient one; keep-alive, bounded. */
async function connect(s: { kubeconfig?: string }, parallelism: number): Promise<KubeConnection> {
  const https = require("node:https") as typeof import("node:https");
  let conn: KubeConnection;
  if (s.kubeconfig !== undefined) conn = await kubeConnection(s.kubeconfig);
  else {
    const found = findKubeconfig(configuredKubeconfig);
    try {
      conn = await kubeConnection(found.contents, found.file === undefined ? undefined : path.dirname(found.file));
    } catch (e) {
      throw new Error(`${(e as Error).message} (the kubeconfig named by ${found.source}${found.file ? `: ${found.file}` : ""})`, {
        cause: e,
      });
    }
  }
  const agentOptions = { keepAlive: true, maxSockets: parallelism };
  conn.agent =
    conn.server.protocol === "https:"
      ? new https.Agent({ ...agentOptions, ...conn.tls })
      : new (require("node:http") as typeof import("node:http")).Agent(agentOptions);
  return conn;
}

/** The node → claim map of a tenant's claims. */
function claimsByNode(s: Pick<TenantNodesInputs, "tenant" | "claims">): Map<string, { tenant: string; lease: string; start: string }> {
  const out = new Map<string, { tenant: string; lease: string; start: string }>();
  for (const c of s.claims ?? [])
    for (const n of namesOf(c.nodes)) {
      // A node in two claims goes to the lease that starts later (the forwards-only rule; ties to
      // the greater lease id), whatever their order: the last claim listed used to win, so an
      // earlier lease listed last took the node, or yielded it to the tenant's own later lease.
      const had = out.get(n);
      const [mine, theirs] = [Date.parse(c.start), had === undefined ? NaN : Date.parse(had.start)];
      const later = had === undefined || mine > theirs || (mine === theirs && c.lease > had.lease);
      if (later) out.set(n, { tenant: s.tenant, lease: c.lease, start: c.start });
    }
  return out;
}

/** The leases a tenant's state held nodes under. */
function leasesOf(s: Partial<Pick<TenantNodesInputs, "claims">>): Set<string> {
  return new Set((s.claims ?? []).map((c) => c.lease));
}

/** What a tenant's nodes need: per node, the write (or nothing); nodes that yield to a later lease; the desired nodes that do not exist. */
function planTenant(
  news: TenantNodesInputs,
  olds: Partial<TenantNodesInputs>,
  views: Map<string, NodeView>,
): { writes: Map<string, (v: NodeView) => NodeWrite | undefined>; yielded: string[]; missing: string[] } {
  const desired = claimsByNode(news);
  const releasable = new Set([...leasesOf(olds), ...leasesOf(news)]);
  const writes = new Map<string, (v: NodeView) => NodeWrite | undefined>();
  const yielded: string[] = [];
  const missing: string[] = [];
  const claim = (node: string) => (v: NodeView) => {
    const c = desired.get(node)!;
    if (!mayClaim(v, c).ok) return undefined;
    const w = claimWrite(v, c);
    return writeIsNoop(v, w, TENANT_OWN_KEYS) ? undefined : w;
  };
  const release = (v: NodeView) => {
    // Any node whose labels name this tenant and a lease it held (this state's or the last one's).
    if (!mayRelease(v, news.tenant, releasable) && !(v.labels[NODE_LABELS.tenant] === news.tenant && v.owned.labels.length > 0))
      return undefined;
    const w = releaseWrite(v, news.tenant);
    return writeIsNoop(v, w, TENANT_OWN_KEYS) ? undefined : w;
  };
  for (const [node, c] of desired) {
    const v = views.get(node);
    if (!v) {
      missing.push(node);
      continue;
    }
    const ok = mayClaim(v, c);
    if (!ok.ok) {
      yielded.push(`${node} (held by ${ok.heldBy})`);
      continue;
    }
    if (claim(node)(v)) writes.set(node, claim(node));
  }
  for (const [node, v] of views) {
    if (desired.has(node)) continue;
    if (release(v)) writes.set(node, release);
  }
  return { writes, yielded, missing };
}

/** What a platform's pool nodes need. */
function planPools(
  news: PoolNodesInputs,
  olds: Partial<PoolNodesInputs>,
  views: Map<string, NodeView>,
): { writes: Map<string, (v: NodeView) => NodeWrite | undefined>; missing: string[] } {
  const desired = new Map<string, { pool: string; gpuType: string }>();
  for (const p of news.pools ?? []) for (const n of namesOf(p.nodes)) desired.set(n, { pool: p.pool, gpuType: p.gpuType });
  const writes = new Map<string, (v: NodeView) => NodeWrite | undefined>();
  const missing: string[] = [];
  const keep = (node: string) => (v: NodeView) => {
    const w = poolWrite(v, desired.get(node)!);
    return writeIsNoop(v, w, POOL_OWN_KEYS) ? undefined : w;
  };
  const drop = (v: NodeView) => {
    const w = poolReleaseWrite(v);
    return writeIsNoop(v, w, POOL_OWN_KEYS) ? undefined : w;
  };
  for (const node of desired.keys()) {
    const v = views.get(node);
    if (!v) missing.push(node);
    else if (keep(node)(v)) writes.set(node, keep(node));
  }
  for (const p of olds.pools ?? [])
    for (const node of namesOf(p.nodes)) {
      const v = views.get(node);
      if (!desired.has(node) && v && drop(v)) writes.set(node, drop);
    }
  return { writes, missing };
}

/** Runs the planned writes, a bounded number at a time; throws one error naming every node that failed. */
async function runWrites(
  conn: KubeConnection,
  views: Map<string, NodeView>,
  writes: Map<string, (v: NodeView) => NodeWrite | undefined>,
  manager: string,
  parallelism: number,
  doing: string,
  missing: readonly string[] = [],
  evict?: Set<string>,
): Promise<number> {
  const failed: { node: string; why: string }[] = missing.map((node) => ({ node, why: "does not exist in the cluster" }));
  let written = 0;
  await eachLimited([...writes.keys()], parallelism, async (node) => {
    try {
      const done = await writeNode(conn, views.get(node)!, manager, writes.get(node)!);
      if (!done) return;
      written++;
      if (evict && evictingTaints(done.from.taints, done.write.taints).length > 0) evict.add(node);
    } catch (e) {
      failed.push({ node, why: (e as Error).message.replace(new RegExp(`^(apply |get )?node ${node}:? ?`), "") });
    }
  });
  if (failed.length > 0) throw nodesFailed(doing, failed, written);
  return written;
}

/** The names a tenant state's nodes are read by, and the selector of every node labelled for the tenant. */
function tenantReads(
  news: TenantNodesInputs,
  olds: Partial<TenantNodesInputs>,
): { names: string[]; selector: { key: string; value: string } } {
  const names = new Set<string>();
  for (const s of [news, olds]) for (const c of s.claims ?? []) for (const n of namesOf(c.nodes)) names.add(n);
  return { names: [...names], selector: { key: NODE_LABELS.tenant, value: news.tenant } };
}

async function tenantApply(news: TenantNodesInputs, olds: Partial<TenantNodesInputs>, doing: string): Promise<TenantNodesState> {
  checkInputs("TenantNodes", news, olds);
  const parallelism = nodeParallelism();
  const conn = await connect(news, parallelism);
  const { names, selector } = tenantReads(news, olds);
  const views = await readNodes(conn, names, news.fieldManager, parallelism, selector);
  const plan = planTenant(news, olds, views);
  // The nodes written out of a tenant's hands: their pods go in this
  // deploy, whether or not every node could be written.
  const evict = new Set<string>();
  const writing = runWrites(conn, views, plan.writes, news.fieldManager, parallelism, doing, plan.missing, evict).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  const writeError = await writing;
  const evictError = await evictPods(conn, evict, news.fieldManager, parallelism);
  if (writeError && evictError) throw new Error(`${writeError.message}; and ${evictError.message}`);
  if (writeError ?? evictError) throw writeError ?? evictError;
  return { ...news, yielded: plan.yielded.sort(), conforming: true };
}

/** Whether an answer refuses a request for carrying a uid that is not the object's (422 on metadata.uid). */
function uidRefused(r: { status: number; body: unknown }): boolean {
  const causes = (r.body as { details?: { causes?: { field?: string }[] } } | null)?.details?.causes;
  return r.status === 422 && Array.isArray(causes) && causes.some((c) => c?.field === "metadata.uid");
}

/** A namespace or pod name a request may carry in its path: a DNS-1123 subdomain (so never "", "." or ".."). */
const podPathName = (v: unknown): v is string => typeof v === "string" && v.length <= 253 && DNS1123_SUBDOMAIN.test(v);

/**
 * Every pod bound to `node` (one LIST by field selector, 500 a page). A listed pod whose namespace,
 * name or uid could not address it alone (a broken or hostile server, a proxy's page) fails the
 * read: a pod named ".." made its DELETE the namespace's own URL, a nameless one the collection's.
 */
async function podsOn(conn: KubeConnection, node: string): Promise<PodBody[]> {
  const out: PodBody[] = [];
  const seen = new Set<string>();
  let cont: string | undefined;
  do {
    const q = new URLSearchParams({ fieldSelector: `spec.nodeName=${node}`, limit: "500" });
    if (cont) q.set("continue", cont);
    const got = await kubeRequest(conn, "GET", `/api/v1/pods?${q}`);
    if (got.status !== 200) throw podFailure("list", `on node ${node}`, got.status, got.body);
    const body = got.body as { items?: PodBody[]; metadata?: { continue?: string } } | null;
    if (!Array.isArray(body?.items)) throw podFailure("list", `on node ${node}`, got.status, "the answer is not a PodList");
    for (const pod of body.items) {
      const md = pod?.metadata;
      if (!podPathName(md?.namespace) || !podPathName(md?.name) || typeof md?.uid !== "string" || md.uid === "")
        throw podFailure(
          "list",
          `on node ${node}`,
          got.status,
          `a listed pod has no valid namespace, name and uid: ${JSON.stringify(md ?? null).slice(0, 200)}`,
        );
      out.push(pod);
    }
    const next = body.metadata?.continue || undefined;
    // A server that hands back a token it gave before would page for ever.
    if (next !== undefined && seen.has(next)) throw podFailure("list", `on node ${node}`, got.status, "a continue token seen before");
    if (next !== undefined) seen.add(next);
    cont = next;
  } while (cont);
  return out;
}

/** The fields read of a Pod in a PodList. */
interface PodBody {
  metadata?: { name?: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; tolerations?: Toleration[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/**
 * Deletes the pods a deploy's node writes evict: on each node the write took from a tenant
 * (lease/node-ownership.ts's evictingTaints), every pod not already terminating that does not
 * tolerate one of the node's NoExecute entries of leasehold's keys, as the node is read after its
 * pods. It does what the taint-eviction controller does for
 * such a pod, condition and all (k8s.io/kubernetes pkg/controller/tainteviction, v1.34): it sets
 * the pod's `DisruptionTarget` condition (which a Job's podFailurePolicy can match, to not count
 * a reclaim as a failure; reason `DeletionByLeasehold`), then deletes it with the pod's own grace
 * period, each request under the pod's uid (a pod re-created under the same name is not touched);
 * the condition is written as `manager`, so the pod's managedFields say who set it.
 * The controller would delete them too, but at the controller manager's client rate (20 QPS by
 * default, three requests a pod: about 150 s for 1,024 pods); here `parallelism` at a time. Pods
 * that tolerate the new taints for a while (tolerationSeconds) are left to the controller's clock.
 * Returns one error naming the pods that could not be deleted, or undefined.
 */
async function evictPods(conn: KubeConnection, evict: Set<string>, manager: string, parallelism: number): Promise<Error | undefined> {
  const failed: string[] = [];
  let deleted = 0;
  const evictOne = async (node: string, taints: Taint[], pod: PodBody): Promise<void> => {
    const { name = "", namespace = "", uid = "" } = pod.metadata ?? {};
    const at = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    const what = taints.map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`).join(", ");
    if (!(pod.status?.conditions ?? []).some((c) => c.type === "DisruptionTarget" && c.status === "True")) {
      const condition = {
        type: "DisruptionTarget",
        status: "True",
        reason: "DeletionByLeasehold",
        message: `leasehold: node ${node} left the tenant (NoExecute taint ${what}); deleting the pod as the taint-eviction controller would`,
        lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
      const patched = await kubeRequest(
        conn,
        "PATCH",
        `${at}/status?fieldManager=${encodeURIComponent(manager)}`,
        { metadata: { uid }, status: { conditions: [condition] } },
        "application/strategic-merge-patch+json",
      );
      // Gone, or another pod by that name now: a PATCH has no preconditions, so a uid that is not
      // the pod's is refused by the update's validation (422, "metadata.uid: ... field is immutable").
      if (patched.status === 404 || patched.status === 409 || uidRefused(patched)) return;
      if (patched.status !== 200) throw podFailure("set DisruptionTarget on", `${namespace}/${name}`, patched.status, patched.body);
    }
    const gone = await kubeRequest(conn, "DELETE", at, { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid } });
    if (gone.status === 404 || gone.status === 409) return;
    if (gone.status !== 200 && gone.status !== 202) throw podFailure("delete", `${namespace}/${name}`, gone.status, gone.body);
    deleted++;
  };
  await eachLimited([...evict], parallelism, async (node) => {
    try {
      // The node's pods first, then the node, and the pods judged by the node's leasehold entries
      // as read then (as the controller judges a pod by the node's taints now): a pod bound after
      // another stack took the node over (it tolerates that tenant) is either missing from the
      // list, or the read shows the takeover. Judging by the taints written deleted the incoming
      // tenant's new pods at a handover.
      const pods = (await podsOn(conn, node)).filter((pod) => !pod.metadata?.deletionTimestamp && pod.spec?.nodeName === node);
      if (pods.length === 0) return; // nothing to judge: no second read
      const now = await getNode(conn, node, manager);
      const taints = (now?.taints ?? []).filter(isTenantEntry);
      if (taints.length === 0) return;
      for (const pod of pods) {
        const tolerations = pod.spec?.tolerations ?? [];
        if (taints.every((t) => tolerations.some((tol) => toleratesTaint(tol, t)))) continue;
        try {
          await evictOne(node, taints, pod);
        } catch (e) {
          failed.push((e as Error).message);
        }
      }
    } catch (e) {
      failed.push((e as Error).message);
    }
  });
  if (failed.length === 0) return undefined;
  const more = failed.length > 10 ? `; and ${failed.length - 10} more` : "";
  const err = new Error(
    `deleting the pods of nodes that left their tenant: ${failed.length} failed (${failed.slice(0, 10).join("; ")}${more}); ` +
      `${deleted} pod(s) were deleted; the nodes are written, and the taint-eviction controller deletes the rest at its own pace`,
  );
  err.stack = err.message;
  return err;
}

async function poolApply(news: PoolNodesInputs, olds: Partial<PoolNodesInputs>, doing: string): Promise<PoolNodesState> {
  checkInputs("PoolNodes", news, olds);
  const parallelism = nodeParallelism();
  const conn = await connect(news, parallelism);
  const names = new Set<string>();
  for (const s of [news, olds]) for (const p of s.pools ?? []) for (const n of namesOf(p.nodes)) names.add(n);
  const views = await readNodes(conn, [...names], news.fieldManager, parallelism);
  const plan = planPools(news, olds, views);
  await runWrites(conn, views, plan.writes, news.fieldManager, parallelism, doing, plan.missing);
  return { ...news, conforming: true };
}

/** The value the engine gives a dynamic provider for an input not known yet (a preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether an input is known: no unknown anywhere in it. */
function known(x: unknown): boolean {
  return !JSON.stringify(x ?? null).includes(UNKNOWN);
}

/** The inputs a diff compares, in a stable form (the state's own outputs left out). */
function argsOf<T extends object>(s: T): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- left out of the comparison
  const { yielded, conforming, __provider, ...rest } = s as Record<string, unknown>;
  // A node set compares by its names, whichever way it is stored (a hostlist, or an earlier state's list).
  const withNames = (sets: unknown) =>
    Array.isArray(sets) ? sets.map((x: { nodes?: StoredNodes }) => (x?.nodes === undefined ? x : { ...x, nodes: namesOf(x.nodes) })) : sets;
  if ("claims" in rest) rest.claims = withNames(rest.claims);
  if ("pools" in rest) rest.pools = withNames(rest.pools);
  return canonicalJson(rest);
}

/**
 * JSON with every object's keys sorted: the state the engine hands back does not keep the key
 * order the program wrote, and an unchanged resource must compare equal.
 */
export function canonicalJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === "object"
        ? Object.fromEntries(
            Object.entries(x)
              .filter(([, y]) => y !== undefined)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, y]) => [k, sort(y)]),
          )
        : x;
  return JSON.stringify(sort(v));
}

/**
 * Whether the live nodes differ from what the resource wants (a no-op deploy reads them, and
 * writes nothing when they agree). Unreachable cluster: judged by the inputs alone.
 */
async function liveDiffers(check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch {
    return false;
  }
}

/** Where a state's provider comes from: a loader of this file, or something older. */
const loadsThis = (x: object) => String((x as { __provider?: unknown }).__provider ?? "").includes(NODE_SET_RUNTIME);

/** The CRUD of a TenantNodes resource (the engine's dynamic-provider plugin runs it, through node-set.ts's loader). */
export const tenantNodesProvider: dynamic.ResourceProvider<TenantNodesInputs, TenantNodesState> = {
  async configure(req) {
    configuredKubeconfig = req.config.get(KUBECONFIG_CONFIG_KEY);
  },
  async create(inputs) {
    const outs = await withoutTrace(tenantApply(inputs, {}, `claiming tenant ${inputs.tenant}'s nodes`));
    return { id: `tenant/${inputs.tenant}`, outs };
  },
  async diff(_id, olds, news) {
    const replaces = olds.tenant !== news.tenant ? ["tenant"] : [];
    if (argsOf(olds) !== argsOf(news) || !loadsThis(news) || olds.conforming === false) return { changes: true, replaces };
    if (!known(news)) return { changes: false };
    const changes = await liveDiffers(async () => {
      checkInputs("TenantNodes", news, olds);
      const parallelism = nodeParallelism();
      const conn = await connect(news, parallelism);
      const { names, selector } = tenantReads(news, olds);
      const plan = planTenant(news, olds, await readNodes(conn, names, news.fieldManager, parallelism, selector));
      return plan.writes.size > 0 || plan.missing.length > 0;
    });
    return { changes, replaces };
  },
  async update(_id, olds, news) {
    return { outs: await withoutTrace(tenantApply(news, olds, `writing tenant ${news.tenant}'s nodes`)) };
  },
  async delete(_id, props) {
    await withoutTrace(tenantApply({ ...props, claims: [] }, props, `releasing tenant ${props.tenant}'s nodes`));
  },
  async read(id, props) {
    // `pulumi import` reads with no properties: there is nothing to find the nodes by.
    if (props === undefined) {
      const err = new Error("TenantNodes cannot be imported: declare it in the program");
      err.stack = err.message;
      throw err;
    }
    const s = props;
    checkInputs("TenantNodes", s);
    const parallelism = nodeParallelism();
    const conn = await withoutTrace(connect(s, parallelism));
    const { names, selector } = tenantReads(s, s);
    const plan = planTenant(s, s, await withoutTrace(readNodes(conn, names, s.fieldManager, parallelism, selector)));
    const conforming = plan.writes.size === 0 && plan.missing.length === 0;
    return { id, props: { ...s, yielded: plan.yielded.sort(), conforming } };
  },
};

/** The CRUD of a PoolNodes resource. */
export const poolNodesProvider: dynamic.ResourceProvider<PoolNodesInputs, PoolNodesState> = {
  async configure(req) {
    configuredKubeconfig = req.config.get(KUBECONFIG_CONFIG_KEY);
  },
  async create(inputs) {
    const outs = await withoutTrace(poolApply(inputs, {}, "labelling the pools' nodes"));
    return { id: "pools", outs };
  },
  async diff(_id, olds, news) {
    if (argsOf(olds) !== argsOf(news) || !loadsThis(news) || olds.conforming === false) return { changes: true };
    if (!known(news)) return { changes: false };
    const changes = await liveDiffers(async () => {
      checkInputs("PoolNodes", news, olds);
      const parallelism = nodeParallelism();
      const conn = await connect(news, parallelism);
      const names = news.pools.flatMap((p) => namesOf(p.nodes));
      const plan = planPools(news, olds, await readNodes(conn, names, news.fieldManager, parallelism));
      return plan.writes.size > 0 || plan.missing.length > 0;
    });
    return { changes };
  },
  async update(_id, olds, news) {
    return { outs: await withoutTrace(poolApply(news, olds, "labelling the pools' nodes")) };
  },
  async delete(_id, props) {
    await withoutTrace(poolApply({ ...props, pools: [] }, props, "releasing the pools' nodes"));
  },
  async read(id, props) {
    // `pulumi import` reads with no properties: there is nothing to find the nodes by.
    if (props === undefined) {
      const err = new Error("PoolNodes cannot be imported: declare it in the program");
      err.stack = err.message;
      throw err;
    }
    const s = props;
    checkInputs("PoolNodes", s);
    const parallelism = nodeParallelism();
    const conn = await withoutTrace(connect(s, parallelism));
    const names = s.pools.flatMap((p) => namesOf(p.nodes));
    const plan = planPools(s, s, await withoutTrace(readNodes(conn, names, s.fieldManager, parallelism)));
    return { id, props: { ...s, conforming: plan.writes.size === 0 && plan.missing.length === 0 } };
  },
};

/**
 * The SDK's plugin prints a failed operation as `${error}: ${error.stack}`, which the engine shows:
 * give it the message alone (a user's problem, not a crash).
 */
async function withoutTrace<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.stack = err.message;
    throw err;
  }
}
