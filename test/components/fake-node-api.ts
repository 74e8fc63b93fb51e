import * as http from "node:http";
import { randomUUID } from "node:crypto";
import type { Taint, Toleration } from "../../lease/node-taints";

// A fake kube-apiserver for the Node endpoints the node set runtime uses, over node:http:
//
// - GET /api/v1/nodes/NAME (and NAME/status, which returns the node as the real server does);
// - GET /api/v1/nodes?limit=&continue=&labelSelector= (paginated by name; selectors `k=v`, `k==v`,
//   `k!=v`, `k`, `!k`, joined by commas; anything else is a 400, as is a malformed key or value);
// - PATCH /api/v1/nodes/NAME with `application/apply-patch+yaml` (server-side apply), which does
//   what kube-apiserver does for what matters here: a stale `metadata.resourceVersion` is a 409;
//   a `metadata.uid` on an absent node is a 409 ("uid mismatch"), and an apply without one on an
//   absent node creates it (201), as the real server does; labels and annotations are granular:
//   the manager owns the keys it sends, keys it sent before and omits now are removed unless
//   another manager also owns them, another manager's key with another value is a conflict (409
//   without force; with force the other manager loses it), the same value is shared; spec.taints
//   is an atomic list, replaced as a whole and owned as one field; taints are validated (unique by
//   key and effect, a known effect, a label-like value) and label values too (422); a value-empty
//   taint comes back without `value`, as the real server's omitempty does; an apply that changes
//   nothing leaves the resourceVersion as it is. managedFields are recorded as
//   {manager, operation, apiVersion, fieldsType, fieldsV1: {"f:metadata": {"f:labels": {"f:<key>": {}}}, "f:spec": {"f:taints": {}}}}.
//
// It records every request, counts the requests in flight, and lets a test play another actor
// (a hand edit, a delete, a re-registration) before a node's next PATCH, or answer with a fault.

/** One entry of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: "v1";
  fieldsType: "FieldsV1";
  fieldsV1: Record<string, unknown>;
}

/** A Node as the fake keeps and returns it. */
export interface FakeNode {
  apiVersion: "v1";
  kind: "Node";
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: ManagedFieldsEntry[];
  };
  spec: { taints?: Taint[] };
}

/** A Pod as the fake keeps it. */
export interface FakePod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: { namespace: string; name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName: string; tolerations: Toleration[] };
  status: { phase: string; conditions: { type: string; status: string; reason?: string; message?: string }[] };
}

/** A recorded request. */
export interface Seen {
  method: string;
  /** The path and query as sent. */
  url: string;
  /** The decoded path. */
  path: string;
  query: URLSearchParams;
  contentType?: string;
  body?: any;
}

/** What a fault hook answers instead of the fake: a status and a body (a string is sent as is). */
export interface Fault {
  status: number;
  body: unknown;
  contentType?: string;
}

/** What one manager owns on one node. */
interface Owned {
  labels: Set<string>;
  annotations: Set<string>;
  taints: boolean;
}

interface Stored {
  name: string;
  uid: string;
  rv: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[] | undefined;
  /** By `${operation}\u0000${manager}`, in the order managers first wrote. */
  owners: Map<string, Owned>;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** Whether a label (or taint) key is a qualified name: an optional DNS subdomain prefix and a name of at most 63 characters. */
function qualifiedName(k: string): boolean {
  const slash = k.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : k.slice(0, slash);
  const name = slash < 0 ? k : k.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME_PART.test(name);
}
const labelValue = (v: unknown) => typeof v === "string" && v.length <= 63 && LABEL_VALUE.test(v);

/** A taint as the real server stores it: no empty value, no undefined timeAdded. */
function normalTaint(t: Taint): Taint {
  const out: Taint = { key: t.key, effect: t.effect };
  if (t.value !== undefined && t.value !== "") out.value = t.value;
  if (t.timeAdded !== undefined && t.timeAdded !== null) out.timeAdded = t.timeAdded;
  return out;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class FakeNodeApi {
  private server: http.Server | undefined;
  port = 0;
  private stored = new Map<string, Stored>();
  private rv = 100;
  /** Every request, in order of arrival. */
  seen: Seen[] = [];
  /** Requests being answered now, and the most at once since the last reset. */
  inFlight = 0;
  maxInFlight = 0;
  /** Each response waits this long (so concurrent requests overlap). */
  latencyMs = 0;
  /** Played before the next PATCH of a node (FIFO per node): another actor's write, a delete... */
  private beforePatch = new Map<string, (() => void)[]>();
  /** Answers a request instead of the fake when it returns a fault. */
  fault: ((r: { method: string; name?: string; list: boolean; subresource?: string; pod?: boolean }) => Fault | undefined) | undefined;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  /** Forgets every node, request, hook and fault. */
  reset(): void {
    this.stored.clear();
    this.seen = [];
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.latencyMs = 0;
    this.beforePatch.clear();
    this.fault = undefined;
    this.pods.clear();
    this.deletedPods = [];
  }

  /** A kubeconfig (contents) for this server; `server` overrides its URL. */
  kubeconfig(token = "t0ken", server = `http://127.0.0.1:${this.port}`): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: fake, cluster: {server: "${server}"}}]`,
      `users: [{name: u, user: {token: ${token}}}]`,
      "contexts: [{name: fake, context: {cluster: fake, user: u}}]",
      "current-context: fake",
    ].join("\n");
  }

  /**
   * Registers a node: its labels, annotations and taints owned by `manager`, by an Update (as the
   * kubelet, kubectl or a controller writes) or an Apply (as an earlier deploy of leasehold left them).
   */
  add(
    name: string,
    init: { labels?: Record<string, string>; annotations?: Record<string, string>; taints?: Taint[] } = {},
    manager = "kubelet",
    operation: "Apply" | "Update" = "Update",
  ): FakeNode {
    const s: Stored = {
      name,
      uid: randomUUID(),
      rv: ++this.rv,
      labels: { ...init.labels },
      annotations: { ...init.annotations },
      taints: init.taints === undefined ? undefined : init.taints.map(normalTaint),
      owners: new Map(),
    };
    const owned: Owned = {
      labels: new Set(Object.keys(s.labels)),
      annotations: new Set(Object.keys(s.annotations)),
      taints: s.taints !== undefined,
    };
    if (owned.labels.size + owned.annotations.size > 0 || owned.taints) s.owners.set(`${operation}\u0000${manager}`, owned);
    this.stored.set(name, s);
    return this.node(name)!;
  }

  /** Deletes a node. */
  remove(name: string): void {
    this.stored.delete(name);
  }

  /** Deletes a node and registers it again: a new uid, no labels, the kubelet's own taints only. */
  reRegister(name: string, taints: Taint[] = []): FakeNode {
    this.remove(name);
    return this.add(name, { labels: { "kubernetes.io/hostname": name }, taints });
  }

  /**
   * Another actor's write (kubectl label/annotate/taint, a controller): an Update by `manager`.
   * It owns the keys it adds or changes, and the taints if it changes them; keys it removes are gone.
   */
  edit(
    name: string,
    change: (n: { labels: Record<string, string>; annotations: Record<string, string>; taints: Taint[] }) => void,
    manager = "kubectl-edit",
  ): void {
    const s = this.stored.get(name)!;
    const next = { labels: { ...s.labels }, annotations: { ...s.annotations }, taints: [...(s.taints ?? [])] };
    change(next);
    const mine = this.ownedBy(s, "Update", manager);
    for (const [field, map] of [
      ["labels", next.labels],
      ["annotations", next.annotations],
    ] as const) {
      const before = s[field];
      for (const k of Object.keys(map))
        if (before[k] !== map[k]) {
          for (const o of s.owners.values()) o[field].delete(k);
          mine[field].add(k);
        }
      for (const k of Object.keys(before)) if (!(k in map)) for (const o of s.owners.values()) o[field].delete(k);
      s[field] = map;
    }
    const taints = next.taints.map(normalTaint);
    if (!sameJson(taints, s.taints ?? [])) {
      for (const o of s.owners.values()) o.taints = false;
      mine.taints = true;
      s.taints = taints;
    }
    this.prune(s);
    s.rv = ++this.rv;
  }

  /** Plays `fn` just before the fake answers the next PATCH of `name` (once per call; FIFO). */
  beforeNextPatch(name: string, fn: () => void): void {
    const q = this.beforePatch.get(name) ?? [];
    q.push(fn);
    this.beforePatch.set(name, q);
  }

  /** The node as the API server would return it; undefined when absent. */
  node(name: string): FakeNode | undefined {
    const s = this.stored.get(name);
    return s === undefined ? undefined : this.render(s);
  }

  /** The node's taints (as returned: no empty value). */
  taints(name: string): Taint[] {
    return this.node(name)?.spec.taints ?? [];
  }

  /** Every node name, sorted. */
  names(): string[] {
    return [...this.stored.keys()].sort();
  }

  /** The recorded requests as `METHOD path` (the path decoded, without the query). */
  requests(): string[] {
    return this.seen.map((s) => `${s.method} ${s.path}`);
  }

  /** The node names PATCHed, in order. */
  patched(): string[] {
    return this.seen.filter((s) => s.method === "PATCH").map((s) => s.path.replace(/^\/api\/v1\/nodes\//, ""));
  }

  private ownedBy(s: Stored, operation: "Apply" | "Update", manager: string): Owned {
    const key = `${operation}\u0000${manager}`;
    let o = s.owners.get(key);
    if (!o) {
      o = { labels: new Set(), annotations: new Set(), taints: false };
      s.owners.set(key, o);
    }
    return o;
  }

  private prune(s: Stored): void {
    for (const [k, o] of s.owners) if (o.labels.size === 0 && o.annotations.size === 0 && !o.taints) s.owners.delete(k);
  }

  private render(s: Stored): FakeNode {
    const managedFields: ManagedFieldsEntry[] = [];
    for (const [key, o] of s.owners) {
      const [operation, manager] = key.split("\u0000") as ["Apply" | "Update", string];
      const meta: Record<string, unknown> = {};
      if (o.labels.size > 0) meta["f:labels"] = Object.fromEntries([...o.labels].map((k) => [`f:${k}`, {}]));
      if (o.annotations.size > 0) meta["f:annotations"] = Object.fromEntries([...o.annotations].map((k) => [`f:${k}`, {}]));
      const fieldsV1: Record<string, unknown> = {};
      if (Object.keys(meta).length > 0) fieldsV1["f:metadata"] = meta;
      if (o.taints) fieldsV1["f:spec"] = { "f:taints": {} };
      managedFields.push({ manager, operation, apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1 });
    }
    const metadata: FakeNode["metadata"] = { name: s.name, uid: s.uid, resourceVersion: String(s.rv) };
    if (Object.keys(s.labels).length > 0) metadata.labels = { ...s.labels };
    if (Object.keys(s.annotations).length > 0) metadata.annotations = { ...s.annotations };
    if (managedFields.length > 0) metadata.managedFields = managedFields;
    return structuredClone({ apiVersion: "v1", kind: "Node", metadata, spec: s.taints && s.taints.length > 0 ? { taints: s.taints } : {} });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const url = new URL(req.url!, "http://x");
      // Go's net/http routes on the decoded path: an encoded "/" in a name is a path separator.
      const path = decodeURIComponent(url.pathname);
      this.seen.push({ method: req.method!, url: req.url!, path, query: url.searchParams, contentType: req.headers["content-type"], body });
      const answer = (status: number, obj: unknown, contentType = "application/json") => {
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(status, { "Content-Type": contentType });
          res.end(typeof obj === "string" ? obj : JSON.stringify(obj));
        }, this.latencyMs);
      };
      const status = (code: number, reason: string, message: string) =>
        answer(code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });

      if (path === "/api/v1/pods" || path.startsWith("/api/v1/namespaces/"))
        return this.podRequest(req.method!, path, url.searchParams, body, answer, status);
      const m = /^\/api\/v1\/nodes(?:\/([^/]*))?(?:\/([^/]+))?\/?$/.exec(path);
      if (!m) return status(404, "NotFound", "the server could not find the requested resource");
      const name = m[1] || undefined;
      const subresource = m[2];
      const fault = this.fault?.({ method: req.method!, name, list: name === undefined, subresource });
      if (fault) return answer(fault.status, fault.body, fault.contentType);
      if (subresource !== undefined && subresource !== "status")
        return status(404, "NotFound", "the server could not find the requested resource");

      if (req.method === "GET" && name === undefined) return this.list(url.searchParams, answer, status);
      if (req.method === "GET") {
        const s = this.stored.get(name!);
        return s ? answer(200, this.render(s)) : status(404, "NotFound", `nodes "${name}" not found`);
      }
      if (req.method !== "PATCH" || name === undefined)
        return status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
      if (req.headers["content-type"] !== "application/apply-patch+yaml")
        return status(415, "UnsupportedMediaType", `the body of the request was in an unknown format`);
      const hooks = this.beforePatch.get(name);
      if (hooks && hooks.length > 0) hooks.shift()!();
      return this.apply(name, url.searchParams, body, answer, status);
    });
  }

  /** Pods, by `${namespace}/${name}`: the few fields the runtime reads (see addPod). */
  pods = new Map<string, FakePod>();

  /** Places a pod on a node (as the scheduler would have bound it). */
  addPod(namespace: string, name: string, nodeName: string, tolerations: Toleration[] = []): FakePod {
    const pod: FakePod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { namespace, name, uid: randomUUID() },
      spec: { nodeName, tolerations },
      status: { phase: "Running", conditions: [] },
    };
    this.pods.set(`${namespace}/${name}`, pod);
    return pod;
  }

  /**
   * The pod endpoints: GET /api/v1/pods?fieldSelector=spec.nodeName=NODE (the only selector the
   * runtime sends; anything else is a 400), PATCH .../pods/NAME/status with a strategic merge patch
   * (conditions merged by type; a metadata.uid that is not the pod's is a 409, as the real server
   * answers a precondition failure) and DELETE .../pods/NAME with DeleteOptions' uid precondition
   * (409 on another uid). A deleted pod is gone at once (no grace period here).
   */
  private podRequest(
    method: string,
    path: string,
    q: URLSearchParams,
    body: any,
    answer: (s: number, o: unknown) => void,
    status: (c: number, r: string, m: string) => void,
  ): void {
    const fault = this.fault?.({
      method,
      list: path === "/api/v1/pods",
      subresource: path.endsWith("/status") ? "status" : undefined,
      pod: true,
    });
    if (fault) return answer(fault.status, fault.body);
    if (path === "/api/v1/pods" && method === "GET") {
      const sel = /^spec\.nodeName=(.+)$/.exec(q.get("fieldSelector") ?? "");
      if (!sel) return status(400, "BadRequest", `unexpected fieldSelector ${JSON.stringify(q.get("fieldSelector"))}`);
      const items = [...this.pods.values()].filter((p) => p.spec.nodeName === sel[1]).map((p) => structuredClone(p));
      return answer(200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(this.rv) }, items });
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/status)?$/.exec(path);
    if (!m) return status(404, "NotFound", "the server could not find the requested resource");
    const key = `${m[1]}/${m[2]}`;
    const pod = this.pods.get(key);
    if (!pod) return status(404, "NotFound", `pods "${m[2]}" not found`);
    if (method === "PATCH" && m[3]) {
      // A PATCH has no preconditions: another uid fails the update's validation, as kube-apiserver answers it.
      if (body?.metadata?.uid !== undefined && body.metadata.uid !== pod.metadata.uid)
        return answer(422, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `Pod "${m[2]}" is invalid: metadata.uid: Invalid value: "${body.metadata.uid}": field is immutable`,
          reason: "Invalid",
          details: {
            name: m[2],
            kind: "Pod",
            causes: [
              { reason: "FieldValueInvalid", message: `Invalid value: "${body.metadata.uid}": field is immutable`, field: "metadata.uid" },
            ],
          },
          code: 422,
        });
      for (const c of body?.status?.conditions ?? []) {
        pod.status.conditions = pod.status.conditions.filter((x) => x.type !== c.type);
        pod.status.conditions.push(c);
      }
      return answer(200, structuredClone(pod));
    }
    if (method === "DELETE" && !m[3]) {
      if (body?.preconditions?.uid !== undefined && body.preconditions.uid !== pod.metadata.uid)
        return status(409, "Conflict", "Precondition failed: UID in precondition does not match");
      this.pods.delete(key);
      this.deletedPods.push(structuredClone(pod));
      return answer(200, structuredClone(pod));
    }
    return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }

  /** The pods deleted, in order, as they were when deleted. */
  deletedPods: FakePod[] = [];

  private list(q: URLSearchParams, answer: (s: number, o: unknown) => void, status: (c: number, r: string, m: string) => void): void {
    let match: (labels: Record<string, string>) => boolean = () => true;
    const selector = q.get("labelSelector");
    if (selector) {
      const reqs: ((l: Record<string, string>) => boolean)[] = [];
      for (const part of selector.split(",")) {
        const r = /^(!?)([^=!]+)$/.exec(part) ?? undefined;
        const op = r ? undefined : /^([^=!]+)(==|=|!=)([^=!]*)$/.exec(part);
        if (r && qualifiedName(r[2]!)) {
          const [, not, key] = r;
          reqs.push((l) => key! in l !== (not === "!"));
        } else if (op && qualifiedName(op[1]!) && labelValue(op[3])) {
          const [, key, o, value] = op;
          reqs.push((l) => (o === "!=" ? l[key!] !== value : l[key!] === value));
        } else return status(400, "BadRequest", `unable to parse requirement: ${JSON.stringify(part)}`);
      }
      match = (l) => reqs.every((f) => f(l));
    }
    const limit = Number(q.get("limit") ?? 0);
    const after = q.get("continue") ? Buffer.from(q.get("continue")!, "base64").toString("utf8") : undefined;
    const all = this.names().filter((n) => after === undefined || n > after);
    const items: FakeNode[] = [];
    let last: string | undefined;
    let i = 0;
    for (; i < all.length; i++) {
      if (limit > 0 && items.length >= limit) break;
      const s = this.stored.get(all[i]!)!;
      last = s.name;
      if (match(s.labels)) items.push(this.render(s));
    }
    const more = i < all.length;
    answer(200, {
      kind: "NodeList",
      apiVersion: "v1",
      metadata: { resourceVersion: String(this.rv), ...(more ? { continue: Buffer.from(last!).toString("base64") } : {}) },
      items,
    });
  }

  private apply(
    name: string,
    q: URLSearchParams,
    body: any,
    answer: (s: number, o: unknown) => void,
    status: (c: number, r: string, m: string) => void,
  ): void {
    const manager = q.get("fieldManager");
    if (!manager)
      return status(422, "Invalid", `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`);
    const force = q.get("force") === "true";
    if (typeof body !== "object" || body === null || body.apiVersion !== "v1" || body.kind !== "Node")
      return status(400, "BadRequest", "error decoding YAML: not a v1 Node");
    const md = body.metadata ?? {};
    if (md.name !== name)
      return status(400, "BadRequest", `the name of the object (${md.name}) does not match the name on the URL (${name})`);
    const labels: Record<string, string> | undefined = md.labels ?? undefined;
    const annotations: Record<string, string> | undefined = md.annotations ?? undefined;
    const taints: Taint[] | undefined = body.spec?.taints === undefined ? undefined : (body.spec.taints ?? []);
    let s = this.stored.get(name);
    let created = false;
    if (!s) {
      if (md.uid)
        return status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on nodes "${name}": uid mismatch: the provided object specified uid ${md.uid}, and no existing object was found`,
        );
      // Apply creates what does not exist, whatever resourceVersion the object carries.
      s = { name, uid: randomUUID(), rv: 0, labels: {}, annotations: {}, taints: undefined, owners: new Map() };
      created = true;
    } else {
      if (md.resourceVersion && md.resourceVersion !== String(s.rv))
        return status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on nodes "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      if (md.uid && md.uid !== s.uid)
        return status(422, "Invalid", `Node "${name}" is invalid: metadata.uid: Invalid value: "${md.uid}": field is immutable`);
    }

    // Validation of what is applied.
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(labels ?? {})) {
      if (!qualifiedName(k)) invalid.push(`metadata.labels: Invalid value: "${k}": a qualified name is required`);
      if (!labelValue(v))
        invalid.push(
          `metadata.labels: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
        );
    }
    for (const k of Object.keys(annotations ?? {})) if (!qualifiedName(k)) invalid.push(`metadata.annotations: Invalid value: "${k}"`);
    const seenPairs = new Set<string>();
    (taints ?? []).forEach((t, i) => {
      if (!t || typeof t.key !== "string" || !qualifiedName(t.key))
        invalid.push(`spec.taints[${i}].key: Invalid value: ${JSON.stringify(t?.key)}`);
      if (!EFFECTS.includes(t?.effect)) invalid.push(`spec.taints[${i}].effect: Unsupported value: ${JSON.stringify(t?.effect)}`);
      if (t?.value !== undefined && !labelValue(t.value))
        invalid.push(`spec.taints[${i}].value: Invalid value: ${JSON.stringify(t.value)}`);
      const pair = `${t?.key}:${t?.effect}`;
      if (seenPairs.has(pair)) invalid.push(`spec.taints[${i}]: Duplicate value: "${pair}": taints must be unique by key and effect pair`);
      seenPairs.add(pair);
    });
    if (invalid.length > 0) return status(422, "Invalid", `Node "${name}" is invalid: ${invalid.join(", ")}`);

    // Conflicts: a field another manager owns, given another value.
    const applyKey = `Apply\u0000${manager}`;
    const others = [...s.owners.entries()].filter(([k]) => k !== applyKey);
    const newTaints = taints?.map(normalTaint);
    const conflicts: { key: string; field: string }[] = [];
    for (const [field, applied] of [
      ["labels", labels],
      ["annotations", annotations],
    ] as const)
      for (const [k, v] of Object.entries(applied ?? {}))
        if (s[field][k] !== undefined && s[field][k] !== v)
          for (const [ok, o] of others) if (o[field].has(k)) conflicts.push({ key: ok, field: `.metadata.${field}.${k}` });
    if (newTaints !== undefined && !sameJson(newTaints, s.taints ?? []))
      for (const [ok, o] of others) if (o.taints) conflicts.push({ key: ok, field: ".spec.taints" });
    if (conflicts.length > 0 && !force) {
      const list = conflicts.map((c) => `conflict with "${c.key.split("\u0000")[1]}": ${c.field}`).join("; ");
      return status(409, "Conflict", `Apply failed with ${conflicts.length} conflict(s): ${list}`);
    }

    const before = JSON.stringify(this.render(s));
    const prev = s.owners.get(applyKey) ?? { labels: new Set<string>(), annotations: new Set<string>(), taints: false };
    const mine: Owned = {
      labels: new Set(Object.keys(labels ?? {})),
      annotations: new Set(Object.keys(annotations ?? {})),
      taints: newTaints !== undefined,
    };
    for (const field of ["labels", "annotations"] as const) {
      const applied = (field === "labels" ? labels : annotations) ?? {};
      // A key the manager applied before and leaves out now goes, unless another manager holds it.
      for (const k of prev[field]) if (!(k in applied) && !others.some(([, o]) => o[field].has(k))) delete s[field][k];
      for (const [k, v] of Object.entries(applied)) {
        // Force: a manager that held the key with another value loses it; the same value is shared.
        if (s[field][k] !== undefined && s[field][k] !== v) for (const [, o] of others) o[field].delete(k);
        s[field][k] = v;
      }
    }
    if (newTaints !== undefined) {
      if (!sameJson(newTaints, s.taints ?? [])) for (const [, o] of others) o.taints = false;
      s.taints = newTaints;
    } else if (prev.taints && !others.some(([, o]) => o.taints)) s.taints = undefined;
    s.owners.set(applyKey, mine);
    this.prune(s);
    if (created) {
      s.rv = ++this.rv;
      this.stored.set(name, s);
      return answer(201, this.render(s));
    }
    // An apply that changes nothing (fields or ownership) is a no-op: the resourceVersion stays.
    if (JSON.stringify(this.render(s)) !== before) s.rv = ++this.rv;
    return answer(200, this.render(s));
  }
}
