import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { asksExtended, CONTROLLER_KINDS, ITEM_LABEL, TENANT, type CorpusItem } from "./admit-corpus";

// The API server's side of the admission differential. Bare objects (Pods, Services) are judged by
// server-side dry runs, many in one kubectl call. Controllers are judged by their pods, as their
// controllers create them: each is created for real as the tenant, and its verdict is "admitted"
// once its controller has created every pod it should run at once, "refused" when the API server
// refuses the object itself or its controller records a FailedCreate. A CronJob's schedule would
// not fire in time: a Job is made from its jobTemplate as `kubectl create job --from=cronjob/NAME`
// does (same spec, labels and owner), by the landlord.

type Run = { code: number; stdout: string; stderr: string };
/** kubectl as the suite runs it: `as` impersonates (the tenant), none is the landlord (admin). */
export type Kubectl = (args: string[], opts?: { input?: string; allowFail?: boolean; as?: string[] }) => Run;

/** One side's verdict on one manifest. */
export interface Verdict {
  allowed: boolean;
  detail: string;
}

const docOf = (i: CorpusItem) => i.text ?? JSON.stringify(i.object);
const nameOf = (i: CorpusItem) => i.object.metadata.name as string;

/** Writes each manifest to its own file (as written: YAML text or JSON) and returns the paths by name. */
export function writeManifests(items: CorpusItem[], dir: string): Map<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const i of items) {
    const file = path.join(dir, `${nameOf(i)}.${i.text ? "yaml" : "json"}`);
    fs.writeFileSync(file, docOf(i));
    out.set(nameOf(i), file);
  }
  return out;
}

/** Names kubectl reports created (`kind/name` lines of `-o name`). */
const created = (stdout: string) =>
  new Set(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.trim().split("/").pop()!),
  );
/** The lines of kubectl's stderr that name this object (or all of it, when none does). */
const errorsFor = (stderr: string, name: string) =>
  stderr
    .split("\n")
    .filter((l) => l.includes(`"${name}"`))
    .join("\n") || stderr.trim().slice(0, 2000);

/**
 * Server-side dry runs of many manifests in one call (kubectl reports each item); an item refused
 * without a message naming it is retried alone for one.
 */
export function dryRunAll(items: CorpusItem[], kubectl: Kubectl, as: string[]): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  const r = kubectl(["create", "--dry-run=server", "-o", "name", "-f", "-"], {
    input: items.map(docOf).join("\n---\n"),
    allowFail: true,
    as,
  });
  const ok = created(r.stdout);
  const lines = r.stderr.split("\n");
  for (const i of items) {
    if (ok.has(nameOf(i))) {
      out.set(nameOf(i), { allowed: true, detail: "created (server dry run)" });
      continue;
    }
    const named = lines.filter((l) => l.includes(`"${nameOf(i)}"`));
    if (named.length > 0) {
      out.set(nameOf(i), { allowed: false, detail: named.join("\n") });
      continue;
    }
    const alone = kubectl(["create", "--dry-run=server", "-o", "name", "-f", "-"], { input: docOf(i), allowFail: true, as });
    out.set(nameOf(i), {
      allowed: alone.code === 0,
      detail: alone.code === 0 ? `created alone, not in the batch: ${r.stderr.trim().slice(0, 2000)}` : alone.stderr.trim(),
    });
  }
  return out;
}

interface Live {
  kind: string;
  metadata: { name: string; uid: string; generation?: number; ownerReferences?: { name: string }[]; labels?: Record<string, string> };
  spec?: Record<string, any>;
  status?: Record<string, any>;
  involvedObject?: { name: string; kind: string };
  message?: string;
  reason?: string;
}
const getJson = (kubectl: Kubectl, what: string, extra: string[] = []) =>
  (JSON.parse(kubectl(["get", what, "-n", TENANT, "-o", "json", ...extra]).stdout) as { items: Live[] }).items;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const int = (v: unknown) => (typeof v === "number" ? v : undefined);

/** How many pods a controller runs at once by the API's own definitions (DaemonSets: what their controller computed). */
function expectedPods(kind: string, live: Live | undefined): number | undefined {
  if (!live) return undefined;
  const spec = live.spec ?? {};
  switch (kind) {
    case "Deployment":
    case "ReplicaSet":
    case "StatefulSet":
      return int(spec.replicas) ?? 1;
    case "Job": {
      // The Job controller never runs more pods than completions still missing.
      const p = int(spec.parallelism) ?? 1;
      const c = int(spec.completions);
      return c === undefined ? p : Math.min(p, c);
    }
    case "DaemonSet":
      return (live.status?.observedGeneration ?? 0) >= (live.metadata.generation ?? 1)
        ? int(live.status?.desiredNumberScheduled)
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Creates the controllers of `items` for real, as the tenant, at once; waits for each verdict;
 * deletes them and waits until their pods are gone. Call it with one item at a time when their
 * pods ask for anything the namespace's quota counts against the others.
 */
export async function judgeControllers(
  items: CorpusItem[],
  kubectl: Kubectl,
  as: string[],
  timeoutMs = 60_000,
): Promise<Map<string, Verdict>> {
  const out = new Map<string, Verdict>();
  const before = extendedUsed(kubectl);
  const r = kubectl(["create", "-o", "name", "-f", "-"], { input: items.map(docOf).join("\n---\n"), allowFail: true, as });
  const made = created(r.stdout);
  for (const i of items)
    if (!made.has(nameOf(i)))
      out.set(nameOf(i), { allowed: false, detail: `the API server refused the ${i.object.kind}: ${errorsFor(r.stderr, nameOf(i))}` });
  const live = items.filter((i) => made.has(nameOf(i)));
  // CronJobs: the Job their controller would make, from the stored jobTemplate.
  const cronJobs = live.filter((i) => i.object.kind === "CronJob");
  const jobName = (i: CorpusItem) => (i.object.kind === "CronJob" ? `${nameOf(i)}-m` : nameOf(i));
  if (cronJobs.length > 0) {
    const stored = new Map(getJson(kubectl, "cronjobs").map((c) => [c.metadata.name, c]));
    const jobs = cronJobs.map((i) => {
      const cj = stored.get(nameOf(i))!;
      const t = cj.spec!.jobTemplate;
      return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
          name: jobName(i),
          namespace: TENANT,
          labels: t.metadata?.labels,
          annotations: { ...(t.metadata?.annotations ?? {}), "cronjob.kubernetes.io/instantiate": "manual" },
          ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: cj.metadata.name, uid: cj.metadata.uid, controller: true }],
        },
        spec: t.spec,
      };
    });
    const j = kubectl(["create", "-o", "name", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: jobs }),
      allowFail: true,
    });
    const madeJobs = created(j.stdout);
    for (const i of cronJobs)
      if (!madeJobs.has(jobName(i)))
        out.set(nameOf(i), { allowed: false, detail: `the Job from the CronJob was refused: ${errorsFor(j.stderr, jobName(i))}` });
  }
  const pending = new Map(live.filter((i) => !out.has(nameOf(i))).map((i) => [nameOf(i), i]));
  const reachedAt = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    const all = getJson(kubectl, "pods,deployments,replicasets,statefulsets,daemonsets,jobs");
    const pods = all.filter((o) => o.kind === "Pod");
    const events = getJson(kubectl, "events", ["--field-selector", "reason=FailedCreate"]);
    const objects = new Map<string, Live>();
    for (const o of all) if (o.kind !== "Pod") objects.set(`${o.kind}/${o.metadata.name}`, o);
    for (const [name, i] of pending) {
      const kind = i.object.kind === "CronJob" ? "Job" : (i.object.kind as string);
      const owner = jobName(i);
      const failed = events.filter(
        (e) => e.involvedObject && (e.involvedObject.name === owner || e.involvedObject.name.startsWith(`${owner}-`)),
      );
      if (failed.length > 0) {
        out.set(name, { allowed: false, detail: `FailedCreate: ${failed.map((e) => e.message).join("; ")}` });
        pending.delete(name);
        continue;
      }
      const want = expectedPods(kind, objects.get(`${kind}/${owner}`));
      const have = pods.filter((p) => p.metadata.labels?.[ITEM_LABEL] === name).length;
      if (want !== undefined && have >= want) {
        // Settle: a controller that would go on creating pods (and be refused) shows it soon.
        const t = reachedAt.get(name) ?? Date.now();
        reachedAt.set(name, t);
        if (Date.now() - t >= 1_000) {
          out.set(name, { allowed: true, detail: `its controller created ${have} pod(s) of ${want}` });
          pending.delete(name);
        }
      } else reachedAt.delete(name);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      for (const [name] of pending)
        out.set(name, { allowed: false, detail: `undecided after ${timeoutMs / 1000} s: no FailedCreate, and not all of its pods` });
      break;
    }
    await sleep(200);
  }
  // Clean up: the objects (their pods go with them), then wait for the pods to be gone.
  const refs = live.flatMap((i) => [
    `${String(i.object.kind).toLowerCase()}/${nameOf(i)}`,
    ...(i.object.kind === "CronJob" ? [`job/${jobName(i)}`] : []),
  ]);
  if (refs.length > 0) kubectl(["delete", "-n", TENANT, "--wait=false", "--ignore-not-found", "--cascade=foreground", ...refs]);
  const names = new Set(items.map(nameOf));
  for (let t = Date.now(); ;) {
    const left = getJson(kubectl, "pods").filter((p) => names.has(p.metadata.labels?.[ITEM_LABEL] ?? ""));
    if (left.length === 0) break;
    if (Date.now() - t > 60_000)
      throw new Error(`pods still there a minute after their controllers' deletion: ${left.map((p) => p.metadata.name).join(", ")}`);
    await sleep(200);
  }
  // The quota controller gives a deleted pod's extended resources back a moment after the pod is
  // gone; the next item must not be judged against them (a FailedCreate "exceeded quota" with the
  // last item's GPUs still counted as used).
  for (let t = Date.now(); ;) {
    const now = extendedUsed(kubectl);
    if (Object.entries(now).every(([k, v]) => v <= (before[k] ?? 0))) break;
    if (Date.now() - t > 60_000)
      throw new Error(`quota still counts ${JSON.stringify(now)} a minute after the pods went (before: ${JSON.stringify(before)})`);
    await sleep(200);
  }
  return out;
}

/** The extended resources the tenant's quotas count as used now (`requests.nvidia.com/gpu` and the like), in whole units. */
function extendedUsed(kubectl: Kubectl): Record<string, number> {
  const out: Record<string, number> = {};
  for (const q of getJson(kubectl, "resourcequotas") as { status?: { used?: Record<string, string> } }[]) {
    for (const [k, v] of Object.entries(q.status?.used ?? {})) if (k.includes("/")) out[k] = (out[k] ?? 0) + Number(v);
  }
  return out;
}

/** Every item judged by the API server: bare objects by dry run, controllers for real (extended-resource ones one at a time). */
export async function serverVerdicts(
  items: CorpusItem[],
  kubectl: Kubectl,
  as: string[],
  log: (m: string) => void = () => {},
  batch = 60,
): Promise<Map<string, Verdict>> {
  const isController = (i: CorpusItem) => CONTROLLER_KINDS.includes(i.object.kind);
  let t = Date.now();
  const lap = (what: string, n: number) => {
    log(`${what}: ${n} manifest(s) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
  };
  const bare = items.filter((i) => !isController(i));
  const out = dryRunAll(bare, kubectl, as);
  lap("server-side dry runs", bare.length);
  const controllers = items.filter(isController);
  // Pods that ask for no extended resource touch no quota the others need (CPU, memory and pods
  // have room for a batch): judged together.
  const shared = controllers.filter((i) => !asksExtended(i.object));
  for (let k = 0; k < shared.length; k += batch)
    for (const [n, v] of await judgeControllers(shared.slice(k, k + batch), kubectl, as)) out.set(n, v);
  lap(`controllers without extended resources, in batches of ${batch}`, shared.length);
  const alone = controllers.filter((x) => asksExtended(x.object));
  for (const i of alone) for (const [n, v] of await judgeControllers([i], kubectl, as)) out.set(n, v);
  lap("controllers with extended resources, one at a time", alone.length);
  return out;
}

/** `leasehold admit --json` over every manifest at once: a manifest is allowed when no violation names its file. */
export function admitVerdicts(files: Map<string, string>, run: (args: string[]) => Run): Map<string, Verdict> {
  const r = run(["admit", "--json", "-f", ...files.values()]);
  let parsed: {
    violations: { file: string; object: string; policy: string; message: string }[];
    warnings?: { file: string; message: string }[];
  };
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new Error(`leasehold admit printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  const out = new Map<string, Verdict>();
  for (const [name, file] of files) {
    const v = parsed.violations.filter((x) => x.file === file);
    const w = (parsed.warnings ?? []).filter((x) => x.file === file);
    out.set(name, {
      allowed: v.length === 0,
      detail: [...v.map((x) => `[${x.policy}] ${x.message}`), ...w.map((x) => `warning: ${x.message}`)].join("\n") || "admitted",
    });
  }
  return out;
}

/** The manifest and both verdicts, for a disagreement. */
export function describeDisagreement(i: CorpusItem, admit: Verdict, server: Verdict): string {
  const verdict = (v: Verdict) => `${v.allowed ? "ADMITTED" : "REFUSED"}\n    ${v.detail.replace(/\n/g, "\n    ")}`;
  return `--- ${i.what} (${i.object.kind}/${nameOf(i)})\n${(i.text ?? stringify(i.object)).trimEnd()}\n  leasehold admit: ${verdict(admit)}\n  API server:      ${verdict(server)}`;
}
