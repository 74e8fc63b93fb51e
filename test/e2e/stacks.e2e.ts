import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ensureStack, pulumi, pulumiEnv, ROOT, sh, syncProject } from "../../scripts/local/toolchain";

// Each test is a real check against real systems; they run in order and build on each other
// (platform up, tenant up, tenant as a user, reclaim, crash recovery, destroy).

const AT = "2026-12-20T00:00:00Z";
/** The lease taint of a pool node no lease holds, as the API server stores it. */
const IDLE = { key: "leasehold.io/lease", effect: "NoExecute" };
const CORPUS = path.resolve(ROOT, "../shared/corpora/pod-security");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-e2e-"));
const project = path.join(work, "project");
const backend = path.join(work, "state");
let env: NodeJS.ProcessEnv;

const kubectl = (args: string[], opts: { input?: string; allowFail?: boolean; as?: string[] } = {}) =>
  sh("kubectl", [...(opts.as ?? []), ...args], { env, input: opts.input, allowFail: opts.allowFail });
const asTenantAdmin = ["--as=alice", "--as-group=acme:admins"];
const leasehold = (args: string[], withEnv: NodeJS.ProcessEnv = env) =>
  sh(process.execPath, [path.join(ROOT, "bin/leasehold.js"), ...args, "--stacks", path.join(project, "stacks")], { env: withEnv, allowFail: true });

function up(stack: string, extra: string[] = []) {
  ensureStack(project, env, backend, stack);
  const cfg = path.join(work, `pc-${stack}.json`);
  const pc = leasehold(["policy-config", "--stack", stack, "--out", cfg]);
  expect(pc.code, pc.stderr).toBe(0);
  return pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", stack, "--policy-pack", "policies", "--policy-pack-config", cfg, ...extra], true);
}
function preview(stack: string) {
  ensureStack(project, env, backend, stack);
  const cfg = path.join(work, `pc-${stack}.json`);
  const pc = leasehold(["policy-config", "--stack", stack, "--out", cfg]);
  expect(pc.code, pc.stdout + pc.stderr).toBe(0);
  return pulumi(project, env, ["preview", "--stack", stack, "--policy-pack", "policies", "--policy-pack-config", cfg], true);
}
const get = (kind: string, name: string, ns?: string) => JSON.parse(kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "-o", "json"]).stdout);

/** Every field of `want` is in `live` with the same value (the server adds defaults, never changes ours). */
function expectSubset(live: unknown, want: unknown, where: string): void {
  if (Array.isArray(want)) {
    expect(Array.isArray(live), where).toBe(true);
    want.forEach((w, i) => expectSubset((live as unknown[])[i], w, `${where}[${i}]`));
  } else if (want && typeof want === "object") {
    for (const [k, w] of Object.entries(want)) expectSubset((live as Record<string, unknown>)?.[k], w, `${where}.${k}`);
  } else {
    expect(String(live), where).toBe(String(want));
  }
}

function pin(pod: Record<string, any>, lease = "acme-h100-2026q4") {
  const p = structuredClone(pod);
  // The corpus names its pods after the fixture files (base_linux); the API server wants DNS names.
  p.metadata = { ...(p.metadata ?? {}), namespace: "acme", name: String(p.metadata?.name ?? "pod").replace(/_/g, "-") };
  p.spec.nodeSelector = { ...(p.spec.nodeSelector ?? {}), "leasehold.io/lease": lease };
  p.spec.tolerations = [...(p.spec.tolerations ?? []), { key: "leasehold.io/lease", operator: "Equal", value: lease, effect: "NoExecute" }];
  return p;
}
const dryRun = (obj: object, as = asTenantAdmin) => kubectl(["create", "--dry-run=server", "-f", "-"], { input: JSON.stringify(obj), allowFail: true, as });

/**
 * Plugins the killed CLI had started (provider, language host, the program's Node process) are
 * not in its process group and outlive it: stop every process that runs with this suite's
 * PULUMI_HOME, so the kill leaves nothing behind.
 */
function killOrphans(): void {
  const marker = `PULUMI_HOME=${env.PULUMI_HOME}`;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)) {
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker)) process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already, or not ours to read
    }
  }
}

beforeAll(() => {
  const e2e = inject("e2e");
  syncProject(project);
  env = pulumiEnv({ ...process.env, PATH: e2e.PATH, KUBECONFIG: e2e.kubeconfig, LEASEHOLD_AT: AT }, path.join(work, "pulumi-home"), "e2e");
});

describe("the example fleet on a real engine and API server", () => {
  it("pulumi up of the platform (with the policy pack) installs the admission policy and labels the pool nodes", () => {
    const r = up("platform-local");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(get("validatingadmissionpolicy", "leasehold-lease-pinning").spec.failurePolicy).toBe("Fail");
    expect(get("node", "gpu-001").metadata.labels).toMatchObject({ "leasehold.io/pool": "h100-a", "leasehold.io/gpu-type": "h100-80gb" });
  });

  it("pulumi preview with the policy pack passes for every example tenant stack", () => {
    for (const stack of ["tenant-acme", "tenant-bluefin", "tenant-corvid"]) {
      const r = preview(stack);
      expect(r.code, `${stack}\n${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("✅ leasehold@v0.1.0");
    }
  });

  it("pulumi preview fails with a mandatory violation for a stack that over-asks GPUs", () => {
    const file = path.join(project, "stacks", "Pulumi.tenant-eve.yaml");
    const lease = { id: "eve-h100", gpu: { type: "h100-80gb", count: 40 }, window: { start: "2026-12-01T00:00:00Z", end: "2027-01-01T00:00:00Z" }, placement: { pool: "h100-a", nodes: ["gpu-001", "gpu-002", "gpu-003", "gpu-004"] }, reclaim: { noticeHours: 72 } };
    fs.writeFileSync(file, stringify({ config: { "leasehold:role": "tenant", "leasehold:platform": "platform-local", "leasehold:tenant": { name: "eve" }, "leasehold:leases": [lease] } }));
    try {
      const r = preview("tenant-eve");
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stdout, r.stdout + r.stderr).toContain("[mandatory]  pool-capacity");
      expect(r.stdout).toContain("4 node(s) x 8 h100-80gb GPUs per node hold 32 GPUs, but the lease is for 40");
    } finally {
      fs.rmSync(file);
      pulumi(project, env, ["stack", "rm", "--yes", "--force", "--stack", "tenant-eve"], true);
    }
  });

  it("pulumi up of a tenant creates every object, and the live objects match leasehold render", () => {
    const r = up("tenant-acme");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rendered = leasehold(["render", "--stack", "tenant-acme", "--at", AT]);
    expect(rendered.code).toBe(0);
    const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    expect(objects.length).toBeGreaterThan(15);
    for (const o of objects) {
      const live = get(o.kind, o.metadata.name, o.metadata.namespace);
      const { metadata, ...rest } = o as Record<string, any>;
      expectSubset(live.metadata.labels ?? {}, metadata.labels ?? {}, `${o.kind}/${o.metadata.name}.labels`);
      expectSubset(live.metadata.annotations ?? {}, metadata.annotations ?? {}, `${o.kind}/${o.metadata.name}.annotations`);
      const { apiVersion: _a, kind: _k, ...body } = rest;
      expectSubset(live, body, `${o.kind}/${o.metadata.name}`);
      // The API server adds nothing to a LimitRange leasehold renders: every resource with a max
      // has its own default and defaultRequest (a max alone would be copied into both).
      if (o.kind === "LimitRange") expect(live.spec, "LimitRange as stored").toEqual(body.spec);
    }
  });

  it("as the tenant admin group: cluster resources, quotas, limits and other tenants are out of reach (MTB profile level 1)", () => {
    const can = (args: string[]) => kubectl(["auth", "can-i", ...args], { as: asTenantAdmin, allowFail: true }).stdout.trim();
    expect(can(["list", "nodes"])).toBe("no");
    expect(can(["get", "namespaces"])).toBe("no");
    expect(can(["create", "clusterrolebindings"])).toBe("no");
    expect(can(["create", "namespaces"])).toBe("no");
    expect(can(["update", "resourcequotas/leasehold-quota", "-n", "acme"])).toBe("no");
    expect(can(["delete", "limitranges", "-n", "acme"])).toBe("no");
    expect(can(["create", "networkpolicies", "-n", "acme"])).toBe("no");
    expect(can(["list", "pods", "-n", "bluefin"])).toBe("no");
    expect(can(["create", "deployments", "-n", "acme"])).toBe("yes");
    const denied = kubectl(["patch", "resourcequota", "leasehold-quota", "-n", "acme", "--type=merge", "-p", '{"spec":{"hard":{"requests.nvidia.com/gpu":"999"}}}'], { as: asTenantAdmin, allowFail: true });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("forbidden");
  });

  it("with the tenant-admin ServiceAccount kubeconfig from the stack outputs: its own namespace only", async () => {
    // The token controller fills the token Secret just after the first up; a refresh reads it.
    let kc = "";
    for (let i = 0; i < 20; i++) {
      pulumi(project, env, ["refresh", "--yes", "--skip-preview", "--stack", "tenant-acme"]);
      pulumi(project, env, ["up", "--yes", "--skip-preview", "--stack", "tenant-acme", "--policy-pack", "policies", "--policy-pack-config", path.join(work, "pc-tenant-acme.json")]);
      kc = pulumi(project, env, ["stack", "output", "kubeconfig", "--show-secrets", "--stack", "tenant-acme"]).stdout;
      if (/token: \S{20,}/.test(kc)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(kc).toMatch(/token: \S{20,}/);
    const file = path.join(work, "tenant-acme.kubeconfig");
    fs.writeFileSync(file, kc);
    const can = (args: string[]) => sh("kubectl", ["--kubeconfig", file, "auth", "can-i", ...args], { env, allowFail: true }).stdout.trim();
    expect(can(["create", "jobs.batch"])).toBe("yes");
    expect(can(["list", "nodes"])).toBe("no");
    expect(can(["get", "pods", "-n", "bluefin"])).toBe("no");
    expect(can(["patch", "resourcequotas/leasehold-quota"])).toBe("no");
    expect(sh("kubectl", ["--kubeconfig", file, "get", "resourcequota", "leasehold-quota", "-o", "jsonpath={.spec.hard.requests\\.nvidia\\.com/gpu}"], { env }).stdout).toBe("24");
  });

  it("as the tenant: privileged, hostPath, hostNetwork, hostPID, hostIPC, added capabilities and NodePort are refused", () => {
    const base = { apiVersion: "v1", kind: "Pod", metadata: { name: "x", namespace: "acme" }, spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [{ name: "c", image: "x", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }] } };
    expect(dryRun(pin(base)).code, dryRun(pin(base)).stderr).toBe(0);
    const variants: [string, (p: any) => void][] = [
      ["privileged", (p) => Object.assign(p.spec.containers[0].securityContext, { privileged: true, allowPrivilegeEscalation: true })],
      ["hostPath", (p) => (p.spec.volumes = [{ name: "h", hostPath: { path: "/" } }])],
      ["hostNetwork", (p) => (p.spec.hostNetwork = true)],
      ["hostPID", (p) => (p.spec.hostPID = true)],
      ["hostIPC", (p) => (p.spec.hostIPC = true)],
      ["capabilities", (p) => (p.spec.containers[0].securityContext.capabilities.add = ["NET_ADMIN"])],
    ];
    for (const [what, change] of variants) {
      const p = pin(base);
      change(p);
      const r = dryRun(p);
      expect(r.code, what).not.toBe(0);
      expect(r.stderr, what).toContain("forbidden");
    }
    const svc = dryRun({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "acme" }, spec: { type: "NodePort", ports: [{ port: 80 }] } });
    expect(svc.code).not.toBe(0);
    expect(svc.stderr).toContain("services.nodeports");
  });

  it("the API server refuses a pod pinned to another tenant's lease, and a pod over the GPU quota", () => {
    const pod = (lease: string, containers: number) =>
      pin({ apiVersion: "v1", kind: "Pod", metadata: { name: "gpu" }, spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: "x", resources: { limits: { "nvidia.com/gpu": "8" } }, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } })) } }, lease);
    expect(dryRun(pod("acme-h100-2026q4", 1)).code).toBe(0);
    const other = dryRun(pod("bluefin-h100-burst", 1));
    expect(other.stderr).toContain("ValidatingAdmissionPolicy 'leasehold-lease-pinning'");
    // 4 x 8 = 32 GPUs against acme's 24 in force on Dec 20.
    const over = kubectl(["create", "-f", "-"], { input: JSON.stringify(pod("acme-h100-2026q4", 4)), allowFail: true, as: asTenantAdmin });
    expect(over.code).not.toBe(0);
    expect(over.stderr).toContain("exceeded quota: leasehold-quota");
  });

  it.skipIf(!fs.existsSync(CORPUS))("the Pod Security corpus: restricted/fail refused and restricted/pass admitted by the API server in a tenant namespace", () => {
    const read = (dir: string) => fs.readdirSync(path.join(CORPUS, dir)).filter((f) => f.endsWith(".yaml")).map((f) => ({ f, pod: parse(fs.readFileSync(path.join(CORPUS, dir, f), "utf8")) }));
    const wronglyAdmitted = read("restricted/fail").filter(({ pod }) => dryRun(pin(pod)).code === 0).map((x) => x.f);
    const wronglyRefused = read("restricted/pass").map(({ f, pod }) => ({ f, r: dryRun(pin(pod)) })).filter((x) => x.r.code !== 0).map((x) => `${x.f}: ${x.r.stderr.trim()}`);
    expect(wronglyRefused).toEqual([]);
    // The fixtures are Kubernetes v1.35's; this API server is v1.34, which predates the checks
    // the procmount_restricted fixtures exercise.
    expect(wronglyAdmitted.filter((f) => !f.startsWith("procmount_restricted"))).toEqual([]);
  });

  it("a reclaim takes the GPUs out of the quota while a PVC and a data object in the namespace survive", () => {
    kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "checkpoints", namespace: "acme" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } }) });
    kubectl(["create", "configmap", "run-state", "-n", "acme", "--from-literal=step=4200"]);
    const file = path.join(project, "stacks", "Pulumi.tenant-acme.yaml");
    const original = fs.readFileSync(file, "utf8");
    const doc = parse(original);
    doc.config["leasehold:leases"][0].reclaim.notice = { issuedAt: "2026-12-10T00:00:00Z", effectiveAt: "2026-12-13T00:00:00Z", reason: "Capacity recalled for maintenance." };
    fs.writeFileSync(file, stringify(doc));
    try {
      const r = up("tenant-acme");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(get("resourcequota", "leasehold-quota", "acme").spec.hard["requests.nvidia.com/gpu"]).toBe("8");
      expect(get("node", "gpu-001").metadata.labels["leasehold.io/lease"]).toBeUndefined();
      expect(get("node", "gpu-001").spec.taints ?? []).toEqual([IDLE]);
      expect(get("pvc", "checkpoints", "acme").metadata.name).toBe("checkpoints");
      expect(get("configmap", "run-state", "acme").data.step).toBe("4200");
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it("a pulumi up killed with SIGKILL half-way is recovered by refresh and up, with no object lost or duplicated", async () => {
    ensureStack(project, env, backend, "tenant-bluefin");
    const cfg = path.join(work, "pc-tenant-bluefin.json");
    leasehold(["policy-config", "--stack", "tenant-bluefin", "--out", cfg]);
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", "tenant-bluefin", "--policy-pack", "policies", "--policy-pack-config", cfg], { cwd: project, env, stdio: "ignore", detached: true });
    // Kill once the namespace exists, while the rest is being created.
    for (let i = 0; i < 600 && kubectl(["get", "ns", "bluefin"], { allowFail: true }).code !== 0; i++) await new Promise((res) => setTimeout(res, 50));
    process.kill(-child.pid!, "SIGKILL");
    await new Promise((res) => child.on("exit", res));
    killOrphans();
    // The killed CLI leaves its lock behind, and may have cut its checkpoint short: the recovery
    // is cancel (drop the lock), the backend's backup if the checkpoint no longer loads, refresh, up.
    const cancel = pulumi(project, env, ["cancel", "--yes", "--stack", "tenant-bluefin"], true);
    expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);
    if (pulumi(project, env, ["stack", "export", "--stack", "tenant-bluefin"], true).code !== 0) {
      const bak = sh("find", [path.join(backend, ".pulumi"), "-name", "tenant-bluefin.json.bak"]).stdout.trim().split("\n")[0]!;
      expect(bak, "no backup checkpoint to recover from").not.toBe("");
      const imp = pulumi(project, env, ["stack", "import", "--force", "--file", bak, "--stack", "tenant-bluefin"], true);
      expect(imp.code, imp.stdout + imp.stderr).toBe(0);
    }
    const refresh = pulumi(project, env, ["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--stack", "tenant-bluefin"], true);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    const r = up("tenant-bluefin");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const state = JSON.parse(pulumi(project, env, ["stack", "export", "--stack", "tenant-bluefin"]).stdout) as { deployment: { resources: { urn: string; type: string }[]; pending_operations?: unknown[] } };
    const urns = state.deployment.resources.map((x) => x.urn);
    expect(new Set(urns).size).toBe(urns.length);
    expect(state.deployment.pending_operations ?? []).toEqual([]);
    const rendered = parseAllDocuments(leasehold(["render", "--stack", "tenant-bluefin", "--at", AT]).stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    for (const o of rendered) expect(kubectl(["get", o.kind, o.metadata.name, ...(o.metadata.namespace ? ["-n", o.metadata.namespace] : [])], { allowFail: true }).code, `${o.kind}/${o.metadata.name}`).toBe(0);
    // The worst moment to be killed: an object created on the server but never recorded. Forget
    // one on purpose (and what depends on it: the node patches); the next up must adopt them all
    // (same field managers), not fail on a conflict.
    const limits = urns.find((u) => u.endsWith("LimitRange::bluefin-limits"))!;
    expect(limits).toBeDefined();
    const forget = pulumi(project, env, ["state", "delete", limits, "--target-dependents", "--yes", "--stack", "tenant-bluefin"], true);
    expect(forget.code, forget.stdout + forget.stderr).toBe(0);
    const again = up("tenant-bluefin");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(kubectl(["get", "limitrange", "leasehold-limits", "-n", "bluefin", "-o", "name"]).stdout.trim()).toBe("limitrange/leasehold-limits");
    const after = JSON.parse(pulumi(project, env, ["stack", "export", "--stack", "tenant-bluefin"]).stdout) as typeof state;
    expect(after.deployment.resources.map((x) => x.urn).sort()).toEqual([...urns].sort());
  });

  it("pulumi destroy of a tenant never deletes its protected namespace; --exclude-protected completes around it", () => {
    kubectl(["create", "configmap", "results", "-n", "bluefin", "--from-literal=loss=0.93"]);
    // A plain destroy removes what it may and fails on the namespace: the data stays.
    const refused = pulumi(project, env, ["destroy", "--yes", "--skip-preview", "--stack", "tenant-bluefin"], true);
    expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/protected/);
    expect(get("namespace", "bluefin").status.phase).toBe("Active");
    expect(get("configmap", "results", "bluefin").data.loss).toBe("0.93");
    const r = pulumi(project, env, ["destroy", "--yes", "--skip-preview", "--exclude-protected", "--stack", "tenant-bluefin"], true);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(kubectl(["get", "resourcequota", "-n", "bluefin", "-o", "name"]).stdout.trim()).toBe("");
    expect(get("namespace", "bluefin").status.phase).toBe("Active");
    expect(get("configmap", "results", "bluefin").data.loss).toBe("0.93");
    expect(get("node", "gpu-004").spec.taints ?? []).toEqual([IDLE]);
  });

  it("leasehold purge, then pulumi up and pulumi destroy, delete a tenant's data only once its last lease is over", () => {
    const refused = leasehold(["purge", "--stack", "tenant-acme", "--tenant", "acme", "--confirm", "acme"]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain("lease acme-h100-2026q4 is in force until 2027-06-01T00:00:00Z");
    // The day the last lease ends.
    const later = { ...env, LEASEHOLD_AT: "2027-06-01T00:00:00Z" };
    const marked = leasehold(["purge", "--stack", "tenant-acme", "--tenant", "acme", "--confirm", "acme"], later);
    expect(marked.code, marked.stderr).toBe(0);
    const cfg = path.join(work, "pc-tenant-acme-purge.json");
    expect(leasehold(["policy-config", "--stack", "tenant-acme", "--out", cfg], later).code).toBe(0);
    const r = pulumi(project, later, ["up", "--yes", "--skip-preview", "--stack", "tenant-acme", "--policy-pack", "policies", "--policy-pack-config", cfg], true);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(get("resourcequota", "leasehold-quota", "acme").spec.hard["requests.nvidia.com/gpu"]).toBe("0");
    expect(get("pvc", "checkpoints", "acme").metadata.name).toBe("checkpoints");
    const d = pulumi(project, later, ["destroy", "--yes", "--skip-preview", "--stack", "tenant-acme"], true);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    const ns = kubectl(["get", "namespace", "acme", "-o", "jsonpath={.status.phase}"], { allowFail: true });
    expect(ns.code === 0 ? ns.stdout : "gone", "namespace acme").toMatch(/^(gone|Terminating)$/);
  });

  it("pulumi destroy of the platform leaves nothing of the stacks behind but the retained tenant namespace and its data", () => {
    const r = pulumi(project, env, ["destroy", "--yes", "--skip-preview", "--stack", "platform-local"], true);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(kubectl(["get", "validatingadmissionpolicy", "leasehold-lease-pinning"], { allowFail: true }).code).not.toBe(0);
    for (const node of ["gpu-001", "gpu-004", "l40s-001"]) {
      const labels = get("node", node).metadata.labels ?? {};
      expect(Object.keys(labels).filter((k) => k.startsWith("leasehold.io/")), node).toEqual([]);
      expect(get("node", node).spec.taints ?? [], node).toEqual([]);
    }
    for (const kind of ["resourcequota", "limitrange", "networkpolicy", "role", "rolebinding"]) {
      expect(kubectl(["get", kind, "-n", "bluefin", "-o", "name"]).stdout.trim(), kind).toBe("");
    }
    // Data is never deleted by a destroy: the namespace and its data stay until an explicit purge.
    expect(get("namespace", "bluefin").status.phase).toBe("Active");
    expect(get("configmap", "results", "bluefin").data.loss).toBe("0.93");
  });
});
