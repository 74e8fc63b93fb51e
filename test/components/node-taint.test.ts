import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runMocked } from "./mocks";
import type { Taint, TaintIntent } from "../../lease/node-taints";
import type { NodeTaintInputs, NodeTaintState } from "../../components/node-taint";

// The NodeTaint provider against a fake API server that keeps one Node, answers GET and PATCH on
// /api/v1/nodes/NAME like kube-apiserver does (a JSON merge patch whose resourceVersion is not the
// node's current one gets 409 Conflict), and can play a concurrent writer.

const KEY = "leasehold.io/lease";
const notReady: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule", timeAdded: "2027-01-01T00:00:00Z" };
const cordon: Taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: "2027-01-02T00:00:00Z" };
const gpuHealth: Taint = { key: "nvidia.com/gpu-health", value: "xid-79", effect: "NoExecute", timeAdded: "2027-01-03T00:00:00Z" };
const lease = (id: string): TaintIntent => ({ mode: "set", key: KEY, value: id, effect: "NoSchedule" });
const entry = (value: string): Taint => ({ key: KEY, value, effect: "NoSchedule" });

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  authorization?: string;
  body?: any;
}

/** The fake API server: one node, every request recorded. */
const api = {
  server: undefined as unknown as http.Server,
  port: 0,
  node: undefined as undefined | { metadata: { name: string; resourceVersion: string }; spec: { taints?: Taint[] } },
  seen: [] as Seen[],
  /** Before answering the next PATCHes, another actor writes the node (so they get 409). */
  concurrentWrites: [] as ((taints: Taint[]) => Taint[])[],
  write(taints: Taint[]) {
    this.node!.spec.taints = taints;
    this.node!.metadata.resourceVersion = String(Number(this.node!.metadata.resourceVersion) + 1);
  },
};

function reset(taints: Taint[] | undefined, name = "gpu-001") {
  api.node = taints === undefined ? undefined : { metadata: { name, resourceVersion: "100" }, spec: { taints: structuredClone(taints) } };
  api.seen = [];
  api.concurrentWrites = [];
}

beforeAll(async () => {
  api.server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? JSON.parse(text) : undefined;
      api.seen.push({
        method: req.method!,
        url: req.url!,
        contentType: req.headers["content-type"],
        authorization: req.headers.authorization,
        body,
      });
      const reply = (status: number, obj: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(obj));
      };
      const name = decodeURIComponent(new URL(req.url!, "http://x").pathname.replace(/^\/api\/v1\/nodes\//, ""));
      if (!api.node || api.node.metadata.name !== name)
        return reply(404, { kind: "Status", message: `nodes "${name}" not found`, code: 404 });
      if (req.method === "GET") return reply(200, api.node);
      if (req.method !== "PATCH" || req.headers["content-type"] !== "application/merge-patch+json")
        return reply(415, { message: "unsupported" });
      const concurrent = api.concurrentWrites.shift();
      if (concurrent) api.write(concurrent(api.node.spec.taints ?? []));
      if (body.metadata?.resourceVersion !== api.node.metadata.resourceVersion) {
        return reply(409, {
          kind: "Status",
          reason: "Conflict",
          code: 409,
          message: "Operation cannot be fulfilled on nodes: the object has been modified",
        });
      }
      api.write(body.spec.taints);
      return reply(200, api.node);
    });
  });
  await new Promise<void>((r) => api.server.listen(0, "127.0.0.1", r));
  api.port = (api.server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => api.server.close(() => r())));
beforeEach(() => reset([notReady, cordon]));

const kubeconfig = (user: Record<string, unknown> = { token: "t0ken" }) =>
  [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${api.port}"}}]`,
    `users: [{name: u, user: ${JSON.stringify(user)}}]`,
    "contexts: [{name: other, context: {cluster: nowhere, user: u}}, {name: fake, context: {cluster: fake, user: u}}]",
    "current-context: fake",
  ].join("\n");

async function provider() {
  return (await import("../../components/node-taint")).nodeTaintProvider;
}
const inputs = (over: Partial<NodeTaintInputs> = {}): NodeTaintInputs => ({
  kubeconfig: kubeconfig(),
  node: "gpu-001",
  intent: lease("acme-h100"),
  fieldManager: "leasehold-lease-acme-h100",
  ...over,
});
const state = (over: Partial<NodeTaintState> = {}): NodeTaintState => ({ ...inputs(), taints: [], present: true, ...over });
const requests = () => api.seen.map((s) => `${s.method} ${s.url}`);

describe("NodeTaint provider: create and update (read-modify-write)", () => {
  it("adds only its entry, under the read resourceVersion, and on a 409 re-reads and keeps what the concurrent writer added", async () => {
    api.concurrentWrites.push((ts) => [...ts, gpuHealth]);
    const { id, outs } = await (await provider()).create(inputs());
    expect(requests()).toEqual([
      "GET /api/v1/nodes/gpu-001",
      "PATCH /api/v1/nodes/gpu-001?fieldManager=leasehold-lease-acme-h100",
      "GET /api/v1/nodes/gpu-001",
      "PATCH /api/v1/nodes/gpu-001?fieldManager=leasehold-lease-acme-h100",
    ]);
    const [first, , , second] = api.seen;
    expect(first!.authorization).toBe("Bearer t0ken");
    expect(first!.body).toBeUndefined();
    expect(second!.contentType).toBe("application/merge-patch+json");
    // The first PATCH carried the rv it read (100) and lost to the concurrent write (101).
    expect(api.seen[1]!.body).toEqual({ metadata: { resourceVersion: "100" }, spec: { taints: [notReady, cordon, entry("acme-h100")] } });
    expect(second!.body).toEqual({
      metadata: { resourceVersion: "101" },
      spec: { taints: [notReady, cordon, gpuHealth, entry("acme-h100")] },
    });
    expect(api.node!.spec.taints).toEqual([notReady, cordon, gpuHealth, entry("acme-h100")]);
    expect(id).toBe("gpu-001/leasehold.io/lease");
    expect(outs).toMatchObject({ node: "gpu-001", taints: [notReady, cordon, gpuHealth, entry("acme-h100")], present: true });
  });

  it("does not write when the node already carries exactly its entry", async () => {
    reset([notReady, entry("acme-h100"), cordon]);
    const { outs } = await (await provider()).create(inputs());
    expect(requests()).toEqual(["GET /api/v1/nodes/gpu-001"]);
    expect(outs!.taints).toEqual([notReady, entry("acme-h100"), cordon]);
  });

  it("gives up with one line after 5 conflicts in a row", async () => {
    for (let i = 0; i < 5; i++) api.concurrentWrites.push((ts) => [...ts]);
    await expect((await provider()).create(inputs())).rejects.toThrow(
      /^patch node gpu-001: its taints changed under us 5 times in a row \(409 Conflict\); try again$/,
    );
    expect(requests().filter((r) => r.startsWith("PATCH"))).toHaveLength(5);
  });

  it("fails with one clear line for a node that does not exist", async () => {
    reset(undefined);
    const create = (await provider()).create(inputs({ node: "gpu-009" }));
    await expect(create).rejects.toThrow(
      /^node gpu-009 does not exist in the cluster \(lease taint leasehold\.io\/lease=acme-h100:NoSchedule\)$/,
    );
  });

  it("changes its value in place on update, keeping the foreign taints added since", async () => {
    reset([notReady, entry("acme-h100"), cordon]);
    api.write([...api.node!.spec.taints!, gpuHealth]);
    const { outs } = await (
      await provider()
    ).update!("id", state({ taints: [notReady, entry("acme-h100"), cordon] }), inputs({ intent: lease("acme-h100-b") }));
    expect(api.node!.spec.taints).toEqual([notReady, entry("acme-h100-b"), cordon, gpuHealth]);
    expect(outs!.taints).toEqual(api.node!.spec.taints);
  });

  it("lets go of a lease value when the intent turns into the idle ensure", async () => {
    reset([notReady, entry("acme-h100"), cordon]);
    const idle: TaintIntent = { mode: "ensure", key: KEY, value: "", effect: "NoSchedule" };
    await (
      await provider()
    ).update!("id", state(), inputs({ intent: idle }));
    expect(api.node!.spec.taints).toEqual([notReady, cordon, entry("")]);
  });
});

describe("NodeTaint provider: delete", () => {
  it("removes only its entry, keeping a foreign taint added since the deploy", async () => {
    reset([notReady, entry("acme-h100"), cordon]);
    api.write([...api.node!.spec.taints!, gpuHealth]);
    await (
      await provider()
    ).delete!("id", state());
    expect(api.node!.spec.taints).toEqual([notReady, cordon, gpuHealth]);
    expect(api.seen[1]!.body.metadata).toEqual({ resourceVersion: "101" });
  });

  it("gives the entry back to releaseTo ('' = idle) in place", async () => {
    reset([notReady, entry("acme-h100"), cordon]);
    await (
      await provider()
    ).delete!("id", state({ releaseTo: "" }));
    expect(api.node!.spec.taints).toEqual([notReady, entry(""), cordon]);
  });

  it("leaves the node untouched once another lease took it over (no PATCH at all)", async () => {
    reset([notReady, entry("bluefin-h100"), cordon]);
    await (
      await provider()
    ).delete!("id", state({ releaseTo: "" }));
    expect(requests()).toEqual(["GET /api/v1/nodes/gpu-001"]);
    expect(api.node!.spec.taints).toEqual([notReady, entry("bluefin-h100"), cordon]);
  });

  it("succeeds on a node that no longer exists", async () => {
    reset(undefined);
    await expect((await provider()).delete!("id", state())).resolves.toBeUndefined();
    expect(requests()).toEqual(["GET /api/v1/nodes/gpu-001"]);
  });

  it("fails a delete with one line (the SDK prints its stack, so the stack says what failed)", async () => {
    const exec = {
      apiVersion: "client.authentication.k8s.io/v1",
      command: process.execPath,
      args: ["-e", "console.error('expired'); process.exit(1)"],
    };
    const failed = await (await provider()).delete!("id", state({ kubeconfig: kubeconfig({ exec }) })).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(`${failed}: ${(failed as Error).stack}`).toBe(
      `Error: kubeconfig: user u: exec plugin ${process.execPath} failed: expired: while releasing the lease taint leasehold.io/lease=acme-h100:NoSchedule of node gpu-001`,
    );
  });

  it("retries a conflict on delete too", async () => {
    reset([notReady, entry("acme-h100")]);
    api.concurrentWrites.push((ts) => [cordon, ...ts]);
    await (
      await provider()
    ).delete!("id", state());
    expect(api.node!.spec.taints).toEqual([cordon, notReady]);
    expect(requests().filter((r) => r.startsWith("PATCH"))).toHaveLength(2);
  });
});

describe("NodeTaint provider: diff and read", () => {
  it("replaces on a change of node or key, updates on anything else, and re-applies after a refresh found the entry gone", async () => {
    const p = await provider();
    expect(await p.diff!("id", state(), inputs())).toEqual({ changes: false, replaces: [] });
    expect(await p.diff!("id", state(), inputs({ node: "gpu-002" }))).toEqual({ changes: true, replaces: ["node"] });
    expect(await p.diff!("id", state(), inputs({ intent: { ...lease("acme-h100"), key: "other.io/k" } }))).toEqual({
      changes: true,
      replaces: ["intent"],
    });
    expect(await p.diff!("id", state(), inputs({ intent: lease("b") }))).toEqual({ changes: true, replaces: [] });
    expect(await p.diff!("id", state(), inputs({ releaseTo: "" }))).toEqual({ changes: true, replaces: [] });
    expect(await p.diff!("id", state(), inputs({ fieldManager: "x" }))).toEqual({ changes: true, replaces: [] });
    expect(await p.diff!("id", state({ present: false }), inputs())).toEqual({ changes: true, replaces: [] });
  });

  it("reads whether the entry is still there (other owners' taints coming and going are no drift), and returns the inputs without the observed fields", async () => {
    const p = await provider();
    reset([notReady, entry("acme-h100")]);
    const held = await p.read!("id", state({ taints: [entry("acme-h100")] }));
    expect(held.props).toMatchObject({ present: true, taints: [entry("acme-h100")] });
    reset([notReady, entry("bluefin-h100")]);
    const lost = await p.read!("id", state());
    expect(lost.id).toBe("id");
    expect(lost.props).toMatchObject({ present: false, taints: [notReady, entry("bluefin-h100")] });
    expect(lost.inputs).toEqual(inputs());
  });
});

describe("kubeconfig access", () => {
  it("gets a token from an exec credential plugin (with its env and KUBERNETES_EXEC_INFO)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-taint-exec-"));
    const plugin = path.join(dir, "plugin.js");
    fs.writeFileSync(
      plugin,
      `const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
       process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: "ExecCredential", status: { token: process.env.PREFIX + "-" + info.spec.interactive + "-" + process.argv[2] } }));`,
    );
    for (const apiVersion of ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]) {
      reset([notReady]);
      const exec = {
        apiVersion,
        command: process.execPath,
        args: [plugin, "arg"],
        env: [{ name: "PREFIX", value: "exec" }],
        interactiveMode: "Never",
      };
      await (await provider()).create(inputs({ kubeconfig: kubeconfig({ exec }) }));
      expect(api.seen.map((s) => s.authorization)).toEqual(["Bearer exec-false-arg", "Bearer exec-false-arg"]);
    }
    fs.rmSync(dir, { recursive: true });
  });

  it("says which exec plugin failed and why, in one line", async () => {
    const exec = {
      apiVersion: "client.authentication.k8s.io/v1",
      command: process.execPath,
      args: ["-e", "console.error('no credentials'); process.exit(3)"],
    };
    await expect((await provider()).create(inputs({ kubeconfig: kubeconfig({ exec }) }))).rejects.toThrow(
      `kubeconfig: user u: exec plugin ${process.execPath} failed: no credentials`,
    );
  });

  it("maps CA, client certificate (data or file), insecure-skip-tls-verify and tls-server-name onto the TLS options", async () => {
    const { kubeConnection } = await import("../../components/node-taint");
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-taint-kc-"));
    fs.writeFileSync(path.join(dir, "key.pem"), "KEY-FROM-FILE");
    fs.writeFileSync(path.join(dir, "token"), "file-token\n");
    const config = (cluster: string, user: string) =>
      `clusters: [{name: c, cluster: ${cluster}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
    const secure = await kubeConnection(
      config(
        `{server: "https://k:6443/", certificate-authority-data: ${b64("CA")}, tls-server-name: kube}`,
        `{client-certificate-data: ${b64("CERT")}, client-key: ${path.join(dir, "key.pem")}}`,
      ),
    );
    expect(secure).toEqual({
      server: new URL("https://k:6443/"),
      tls: { ca: "CA", cert: "CERT", key: "KEY-FROM-FILE", rejectUnauthorized: true, servername: "kube" },
    });
    const insecure = await kubeConnection(
      config(`{server: "https://k:6443", insecure-skip-tls-verify: true}`, `{tokenFile: ${path.join(dir, "token")}}`),
    );
    expect(insecure).toEqual({ server: new URL("https://k:6443"), tls: { rejectUnauthorized: false }, authorization: "Bearer file-token" });
    await expect(kubeConnection(config(`{server: "https://k"}`, "{}").replace("current-context: x", ""))).rejects.toThrow(
      "kubeconfig: no current-context",
    );
    fs.rmSync(dir, { recursive: true });
  });
});

describe("NodeTaint provider without a kubeconfig of its own: the stack's, read when it runs", () => {
  const withoutKubeconfig: NodeTaintInputs = { ...inputs(), kubeconfig: undefined };
  const configure = async (config: Record<string, string>) =>
    (await provider()).configure!({ config: { get: (k: string) => config[k], require: (k: string) => config[k]! } });
  const saved = process.env.KUBECONFIG;
  afterAll(() => (saved === undefined ? delete process.env.KUBECONFIG : (process.env.KUBECONFIG = saved)));

  it("uses kubernetes:kubeconfig of the stack config that the engine gives configure: contents, or a path", async () => {
    await configure({ "kubernetes:kubeconfig": kubeconfig({ token: "from-config" }) });
    await (await provider()).create(withoutKubeconfig);
    expect(api.seen.map((x) => x.authorization)).toEqual(["Bearer from-config", "Bearer from-config"]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kc-")), "config");
    fs.writeFileSync(file, kubeconfig({ token: "from-path" }));
    await configure({ "kubernetes:kubeconfig": file });
    reset([notReady, cordon]);
    await (
      await provider()
    ).delete!("id", { ...state(), kubeconfig: undefined });
    expect(api.seen.map((x) => x.authorization)).toEqual(["Bearer from-path"]);
  });

  it("else the first file of KUBECONFIG; a file it cannot read is one line naming the source and the file", async () => {
    await configure({});
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kc-")), "config");
    fs.writeFileSync(file, kubeconfig({ token: "from-env" }));
    process.env.KUBECONFIG = `${path.delimiter}${file}${path.delimiter}/nowhere`;
    await (await provider()).create(withoutKubeconfig);
    expect(api.seen[0]!.authorization).toBe("Bearer from-env");
    process.env.KUBECONFIG = "/nowhere/config";
    await expect((await provider()).create(withoutKubeconfig)).rejects.toThrow(
      "cannot read the kubeconfig named by KUBECONFIG (/nowhere/config): ENOENT; set kubernetes:kubeconfig in the platform stack or point KUBECONFIG at the cluster",
    );
    // Its own kubeconfig wins over both.
    reset([notReady, cordon]);
    await (await provider()).create(inputs());
    expect(api.seen[0]!.authorization).toBe("Bearer t0ken");
  });
});

describe("NodeTaint under the Pulumi mock runtime", () => {
  it("registers one dynamic resource per node with its inputs, the kubeconfig kept secret and out of the serialized provider", async () => {
    const { NodeTaint } = await import("../../components/node-taint");
    const secretKubeconfig = kubeconfig({ token: "very-secret-token" });
    let secret: boolean | undefined;
    const r = await runMocked(() => {
      const t = new NodeTaint("acme-h100-gpu-001", {
        kubeconfig: secretKubeconfig,
        node: "gpu-001",
        intent: lease("acme-h100"),
        releaseTo: "",
        fieldManager: "leasehold-lease-acme-h100",
      });
      return {
        urn: t.urn,
        secret: (t as unknown as { kubeconfig: { isSecret: Promise<boolean> } }).kubeconfig.isSecret.then((x) => (secret = x)),
      };
    });
    expect(r.map((x) => [x.type, x.name])).toEqual([["pulumi-nodejs:dynamic/leasehold:NodeTaint", "acme-h100-gpu-001"]]);
    const { __provider, ...rest } = r[0]!.inputs;
    // The engine receives the kubeconfig as a secret value (its signature key and the value).
    const wrapped = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: secretKubeconfig };
    expect(rest).toEqual({
      kubeconfig: wrapped,
      node: "gpu-001",
      intent: lease("acme-h100"),
      releaseTo: "",
      fieldManager: "leasehold-lease-acme-h100",
    });
    expect(secret).toBe(true);
    expect(typeof __provider).toBe("string");
    expect(__provider).not.toContain("very-secret-token");
  });

  it("serializes a provider that works on its own once deserialized as the engine's plugin does", async () => {
    const { NodeTaint } = await import("../../components/node-taint");
    const r = await runMocked(() => {
      new NodeTaint("t", { kubeconfig: "k", node: "gpu-001", intent: lease("acme-h100"), fieldManager: "fm" });
      return {};
    });
    // What cmd/dynamic-provider does with the __provider string.
    const requireFromString = require("require-from-string") as (code: string) => {
      handler(): typeof import("../../components/node-taint").nodeTaintProvider;
    };
    const serialized = r[0]!.inputs.__provider as string;
    const deserialized = requireFromString(serialized).handler();
    reset([notReady, cordon]);
    await deserialized.create(inputs());
    await deserialized.delete!("id", state({ releaseTo: "" }));
    expect(api.node!.spec.taints).toEqual([notReady, cordon, entry("")]);
    // A loader, not the CRUD: the state of every NodeTaint carries it twice (inputs and outputs).
    // Serialized by value, the CRUD was 19,187 bytes.
    expect(serialized.length).toBeLessThan(3500);
    expect(serialized).not.toContain("resourceVersion");
  });

  it("the serialized loader, run outside a leasehold project folder, fails with one line that says where it looked", async () => {
    const { NodeTaint } = await import("../../components/node-taint");
    const r = await runMocked(() => {
      new NodeTaint("t", { kubeconfig: "k", node: "gpu-001", intent: lease("acme-h100"), fieldManager: "fm" });
      return {};
    });
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "lh-loader-"));
    fs.writeFileSync(path.join(elsewhere, "provider.js"), r[0]!.inputs.__provider as string);
    const script = `require(${JSON.stringify(require.resolve("require-from-string"))})(require("fs").readFileSync("provider.js", "utf8"))
      .handler().create({}).then(() => console.log("created"), (e) => console.log(e.stack))`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: elsewhere, encoding: "utf8" }).trim();
    expect(out).toBe(
      `cannot load leasehold's NodeTaint provider ${fs.realpathSync(elsewhere)}/components/node-taint-runtime.ts (Cannot find module 'tsx/cjs/api'): run pulumi from the leasehold project folder, after npm ci`,
    );
    fs.rmSync(elsewhere, { recursive: true });
  });

  it("a state written before the loader (the CRUD serialized by value) is an update that writes nothing to the node; two loaders are one provider", async () => {
    reset([notReady, cordon, entry("acme-h100")]);
    const p = await provider();
    const olds = { ...state({ taints: [notReady, cordon, entry("acme-h100")] }), __provider: "exports.handler = /* 19 KB of CRUD */" };
    const loader = (text: string) => `exports.handler = /* ${text} */ require(path.resolve("components/node-taint-runtime.ts"))`;
    const news = { ...inputs(), __provider: loader("as tsx wrote it") };
    expect(await p.diff!("gpu-001/leasehold.io/lease", olds, news)).toEqual({ changes: true, replaces: [] });
    // The transpiler shapes the loader's text (tsx under leasehold, ts-node under a bare pulumi up): no churn between them.
    const otherLoader = { ...olds, __provider: loader("as ts-node wrote it") } as NodeTaintState;
    expect(await p.diff!("gpu-001/leasehold.io/lease", otherLoader, news)).toEqual({ changes: false, replaces: [] });
    api.seen.length = 0;
    await p.update!("gpu-001/leasehold.io/lease", olds, news);
    expect(requests()).toEqual(["GET /api/v1/nodes/gpu-001"]);
  });

  it("refuses arguments the API server would refuse, naming the field and the value", async () => {
    const { NodeTaint } = await import("../../components/node-taint");
    const bad = (args: Partial<import("../../components/node-taint").NodeTaintArgs>) => () =>
      runMocked(() => {
        new NodeTaint("t", { kubeconfig: "k", node: "gpu-001", intent: lease("a"), fieldManager: "fm", ...args });
        return {};
      });
    await expect(bad({ intent: { ...lease("a"), effect: "NoWay" as Taint["effect"] } })()).rejects.toThrow(
      "NodeTaint t: invalid arguments:\n  intent.effect: must be one of NoSchedule, PreferNoSchedule, NoExecute (NoWay)",
    );
    await expect(bad({ node: "" })()).rejects.toThrow("NodeTaint t: invalid arguments:\n  node: must name a node");
    await expect(bad({ intent: { mode: "ensure", key: KEY, value: "", effect: "NoSchedule" }, releaseTo: "" })()).rejects.toThrow(
      'NodeTaint t: invalid arguments:\n  releaseTo: applies to a set intent only (mode ensure, releaseTo "")',
    );
    // Every problem at once, not the first alone.
    await expect(bad({ node: "", fieldManager: "" })()).rejects.toThrow(
      'NodeTaint t: invalid arguments:\n  node: must name a node\n  fieldManager: must be 1 to 128 characters ("")',
    );
  });
});
