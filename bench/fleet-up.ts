import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { renderStack, type KubeObject } from "../cli/render";
import { listStackFiles, loadStackFile, type PlatformStack, type TenantStack } from "../lease/load";
import { controlPlaneDown, controlPlaneUp, pulumi, pulumiEnv, registerPoolNodes, ROOT, sh, syncProject } from "../scripts/local/toolchain";
import { generateFleet } from "./fleet-gen";

/** The node Lease duration of the bench's kwok nodes, seconds (renewed every quarter of it). */
export const FLEET_NODE_LEASE_SECONDS = 400;

/** Inside every generated lease's first month: some leases in force, some not yet. */
const AT = "2027-01-15T00:00:00Z";

/** What {@link fleetUp} measured, seconds unless named otherwise. */
export interface FleetUpFigures {
  tenants: number;
  parallel: number;
  /** `leasehold up --all` of the platform and every tenant, from an empty cluster. */
  up: number;
  /** The same command again, nothing to change. */
  noop: number;
  /** Peak resident memory of `leasehold up` and every process it started (the Pulumi CLI, providers, the policy pack), summed, bytes. */
  peakBytes: number;
  /** At that peak: the number of processes in the tree, and resident bytes by command name. */
  peakProcesses: number;
  /** Peak resident memory of the `leasehold` process alone (the stacks' inline programs run in it), bytes. */
  leaseholdPeakBytes: number;
  peakByCommand: Record<string, number>;
  /**
   * CPU seconds of the first `leasehold up`: its own process tree, and the local control plane
   * meanwhile (API server, kine, kwok, controllers, scheduler).
   */
  cpuLeasehold: number;
  cpuControlPlane: number;
  /** CPU seconds per minute the idle control plane spent on the fleet's simulated kubelets (kwok node heartbeats), before the run. */
  idleControlPlanePerMinute: number;
  /** `kubectl apply --server-side` of the same rendered objects (renamed namespaces), and again (no-op). */
  apply: number;
  applyNoop: number;
  objects: number;
  /** The serial loop: one `pulumi up` (with the pack and the stack's policy config) per stack, seconds each. */
  serial: number[];
  /**
   * The platform stack in the first run: its pool nodes, its own wall time (seconds, from
   * `leasehold up --json`) and its checkpoint's size after it (bytes).
   */
  platform: { nodes: number; seconds: number; checkpointBytes: number };
}

function seconds(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * A generated fleet of `tenants` tenant stacks (2 leases each) on one existing-cluster platform,
 * against a fresh local control plane (real API server, kwok nodes): `leasehold up --all` from
 * the empty cluster and once more (no-op); `kubectl apply --server-side` of the same objects
 * (`leasehold render` of every tenant, each namespace renamed so both start empty), and again;
 * then the serial loop a fleet without `leasehold up` runs — `pulumi up` stack by stack, with
 * the pack — on `serialSample` further tenants, for its per-stack slope.
 */
export async function fleetUp(
  PATH: string,
  tenants: number,
  serialSample: number,
  parallel?: number,
  log: (s: string) => void = () => {},
): Promise<FleetUpFigures> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-fleet-"));
  const state = path.join(work, "controlplane");
  const base = { ...process.env, PATH };
  // A fleet's simulated kubelets renew their node Leases on this same 2-core machine: at a
  // kubelet's 40 s (renewed every 10 s), 1,006 kwok nodes took 42.9 CPU-s per minute of the
  // idle control plane, 0.7 of the 2 cores. A real cluster's control plane carries that load on
  // its own machines, so the bench renews every 100 s (LEASEHOLD_BENCH_NODE_LEASE_SECONDS).
  const nodeLease = process.env.LEASEHOLD_BENCH_NODE_LEASE_SECONDS ?? String(FLEET_NODE_LEASE_SECONDS);
  log(`kwok node leases of ${nodeLease} s (a kubelet's: 40 s)`);
  const kubeconfig = controlPlaneUp(state, { ...base, LEASEHOLD_NODE_LEASE_SECONDS: nodeLease });
  const kenv = { ...base, KUBECONFIG: kubeconfig };
  try {
    const fleet = path.join(work, "fleet");
    generateFleet(fleet, tenants + serialSample, 2);
    // 1,010 kwok nodes were not all Ready after the default 120 s: half a second per node.
    registerPoolNodes(fleet, kenv, Math.max(120_000, (tenants + serialSample) * 500));
    const project = path.join(work, "project");
    syncProject(project, fleet);
    const env = pulumiEnv({ ...kenv, LEASEHOLD_AT: AT }, path.join(work, "pulumi-home"), "bench");
    fs.mkdirSync(path.join(work, "state"));
    pulumi(project, env, ["login", `file://${path.join(work, "state")}`]);
    const names = Array.from({ length: tenants }, (_, t) => `tenant-t${t}`);
    const upArgs = [
      "up",
      "--stack",
      "platform-bench",
      ...names,
      "--stacks",
      path.join(project, "stacks"),
      "--json",
      ...(parallel ? ["--parallel", String(parallel)] : []),
    ];
    log(`leasehold up: platform-bench and ${tenants} tenants`);
    const idle0 = controlPlaneCpu(state);
    await new Promise((r) => setTimeout(r, 30_000));
    const idleControlPlanePerMinute = (controlPlaneCpu(state) - idle0) * 2;
    log(`idle control plane with ${tenants + serialSample + 1} kwok nodes: ${idleControlPlanePerMinute.toFixed(1)} CPU-s per minute`);
    const cp0 = controlPlaneCpu(state);
    const first = await timedTree(process.execPath, [path.join(ROOT, "bin/leasehold.js"), ...upArgs], project, env);
    const cpuControlPlane = controlPlaneCpu(state) - cp0;
    const platformRun = (JSON.parse(first.stdout) as { stacks: { stack: string; seconds: number }[] }).stacks.find(
      (x) => x.stack === "platform-bench",
    );
    const checkpoint = fs
      .readdirSync(path.join(work, "state"), { recursive: true, encoding: "utf8" })
      .find((f) => /(^|\/)platform-bench\.json$/.test(f));
    const platformFigures = {
      nodes: tenants + serialSample + 1,
      seconds: platformRun?.seconds ?? Number.NaN,
      checkpointBytes: checkpoint ? fs.statSync(path.join(work, "state", checkpoint)).size : Number.NaN,
    };
    log(
      `platform-bench: ${platformFigures.seconds.toFixed(1)} s, checkpoint ${(platformFigures.checkpointBytes / 1e6).toFixed(1)} MB (${platformFigures.nodes} pool nodes)`,
    );
    // LEASEHOLD_BENCH_NOOP=0 leaves the no-op run out (at 1,000 stacks it takes half an hour more).
    const again =
      process.env.LEASEHOLD_BENCH_NOOP === "0"
        ? { seconds: Number.NaN, peakBytes: 0, peakProcesses: 0, peakByCommand: {}, rootPeakBytes: 0, cpu: 0, stdout: "" }
        : (log(`leasehold up again (no-op)`),
          await timedTree(process.execPath, [path.join(ROOT, "bin/leasehold.js"), ...upArgs], project, env));

    // The same objects through kubectl, each tenant's namespace renamed.
    const stacks = listStackFiles(path.join(project, "stacks"))
      .map((f) => loadStackFile(f))
      .flatMap((r) => (r.ok ? [r.stack] : []));
    const platform = stacks.find((s) => s.name === "platform-bench") as PlatformStack;
    const wanted = new Set(names);
    const objects: KubeObject[] = [];
    for (const s of stacks.filter((s): s is TenantStack => wanted.has(s.name))) {
      for (const o of (await renderStack(s, platform, Date.parse(AT))).objects) {
        const c = structuredClone(o);
        if (c.kind === "Namespace") c.metadata.name = `${c.metadata.name}-kubectl`;
        else if (c.metadata.namespace) c.metadata.namespace = `${c.metadata.namespace}-kubectl`;
        objects.push(c);
      }
    }
    const file = path.join(work, "kubectl.yaml");
    fs.writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
    const kubectl = ["apply", "--server-side", "--force-conflicts", "--field-manager=bench", "-f", file];
    log(`kubectl apply --server-side: ${objects.length} objects`);
    const apply = seconds(() => sh("kubectl", kubectl, { env: kenv }));
    const applyNoop = seconds(() => sh("kubectl", kubectl, { env: kenv }));

    // The serial loop, on tenants leasehold up has not touched.
    const serial: number[] = [];
    for (let t = tenants; t < tenants + serialSample; t++) {
      const stack = `tenant-t${t}`;
      const config = path.join(work, `policy-config-${stack}.json`);
      sh(
        process.execPath,
        [
          path.join(ROOT, "bin/leasehold.js"),
          "policy-config",
          "--stack",
          stack,
          "--stacks",
          path.join(project, "stacks"),
          "--at",
          AT,
          "--out",
          config,
        ],
        { env },
      );
      pulumi(project, env, ["stack", "init", stack]);
      log(`pulumi up --stack ${stack} (the serial loop, ${t - tenants + 1} of ${serialSample})`);
      serial.push(
        seconds(() =>
          pulumi(project, env, [
            "up",
            "--yes",
            "--skip-preview",
            "--stack",
            stack,
            "--policy-pack",
            path.join(project, "policies"),
            "--policy-pack-config",
            config,
          ]),
        ),
      );
    }
    const peak = first.peakBytes >= again.peakBytes ? first : again;
    return {
      tenants,
      parallel: parallel ?? 0,
      up: first.seconds,
      noop: again.seconds,
      peakBytes: peak.peakBytes,
      peakProcesses: peak.peakProcesses,
      peakByCommand: peak.peakByCommand,
      leaseholdPeakBytes: Math.max(first.rootPeakBytes, again.rootPeakBytes),
      cpuLeasehold: first.cpu,
      cpuControlPlane,
      idleControlPlanePerMinute,
      apply,
      applyNoop,
      objects: objects.length,
      serial,
      platform: platformFigures,
    };
  } finally {
    controlPlaneDown(state, base);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** utime + stime of a process, or of the processes it has waited for (`children`), seconds (Linux /proc/PID/stat, USER_HZ 100). */
function cpuSeconds(pid: number | "self", children = false): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const after = f.slice(f.lastIndexOf(")") + 2).split(" ");
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are 11-14 here, counted from field 3.
    return (children ? Number(after[13]) + Number(after[14]) : Number(after[11]) + Number(after[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of the control plane of `stateDir` (the processes its *.pid files name, "PID BINARY" each). */
function controlPlaneCpu(stateDir: string): number {
  let sum = 0;
  for (const f of fs.readdirSync(stateDir).filter((f) => f.endsWith(".pid")))
    sum += cpuSeconds(Number(fs.readFileSync(path.join(stateDir, f), "utf8").trim().split(/\s+/)[0]));
  return sum;
}

/**
 * Runs a command to its end; its wall time, the CPU seconds of its whole process tree (itself and
 * every process it started and waited for: the Pulumi CLI, providers, policy packs), and the peak
 * of the tree's resident memory, summed at each sample, and of the command's own process, sampled
 * every 250 ms from /proc.
 */
async function timedTree(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{
  seconds: number;
  peakBytes: number;
  peakProcesses: number;
  peakByCommand: Record<string, number>;
  rootPeakBytes: number;
  cpu: number;
  stdout: string;
}> {
  const t0 = process.hrtime.bigint();
  const cpu0 = cpuSeconds("self", true);
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const stdout: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => stdout.push(d));
  child.stdout.on("data", (d) => (out = (out + String(d)).slice(-20_000)));
  child.stderr.on("data", (d) => (out = (out + String(d)).slice(-20_000)));
  let peak: TreeRss = { bytes: 0, rootBytes: 0, processes: 0, byCommand: {} };
  let rootPeakBytes = 0;
  const sample = setInterval(() => {
    const now = treeRss(child.pid!);
    if (now.bytes > peak.bytes) peak = now;
    rootPeakBytes = Math.max(rootPeakBytes, now.rootBytes);
  }, 250);
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  clearInterval(sample);
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 4).join(" ")} ... exited ${code}:\n${out.slice(-4000)}`);
  return {
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    peakBytes: peak.bytes,
    peakProcesses: peak.processes,
    peakByCommand: peak.byCommand,
    rootPeakBytes,
    cpu: cpuSeconds("self", true) - cpu0,
    stdout: Buffer.concat(stdout).toString("utf8"),
  };
}

interface TreeRss {
  bytes: number;
  /** The root process's own. */
  rootBytes: number;
  processes: number;
  byCommand: Record<string, number>;
}

/** The resident memory of a process and all its descendants now, bytes, in all and by command name (Linux /proc). */
function treeRss(root: number): TreeRss {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, "utf8");
      parent.set(Number(d), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      rss.set(Number(d), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024);
      comm.set(Number(d), /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "?");
    } catch {
      // The process ended meanwhile.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  const out: TreeRss = { bytes: 0, rootBytes: rss.get(root) ?? 0, processes: 0, byCommand: {} };
  for (const [pid, bytes] of rss) {
    if (!inTree(pid)) continue;
    out.bytes += bytes;
    out.processes++;
    const name = comm.get(pid)!;
    out.byCommand[name] = (out.byCommand[name] ?? 0) + bytes;
  }
  return out;
}
