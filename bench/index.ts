import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateFleet, generateJobs } from "./fleet-gen";

// `npm run bench [-- --quick]`: one line per figure with its goal and verdict; bench/results.json.

interface Figure {
  name: string;
  value: number;
  unit: string;
  goal: string;
  pass: boolean;
  runs: number;
  peakMB: number;
  /** Context of the figure (the load beside it, its parts), when there is any. */
  detail?: string;
}

const ROOT = path.resolve(__dirname, "..");
const quick = process.argv.includes("--quick");
const results: Figure[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs the CLI as a user would (a new Node process each time); wall seconds and peak RSS. */
function timeCli(args: string[]): { seconds: number; peakBytes: number } {
  const rssFile = path.join(os.tmpdir(), `leasehold-bench-rss-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--require", path.join(__dirname, "peak-rss.js"), path.join(ROOT, "bin/leasehold.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, LEASEHOLD_PEAK_RSS_FILE: rssFile },
    maxBuffer: 1 << 28,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`leasehold ${args.join(" ")} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const peakBytes = Number(fs.readFileSync(rssFile, "utf8"));
  fs.rmSync(rssFile, { force: true });
  return { seconds, peakBytes };
}

function record(
  name: string,
  unit: string,
  goalText: string,
  samples: { seconds: number; peakBytes: number }[],
  goal: (v: number) => boolean,
): void {
  const value = Number(median(samples.map((s) => s.seconds)).toFixed(3));
  const peakMB = Math.round(Math.max(...samples.map((s) => s.peakBytes)) / 2 ** 20);
  const pass = goal(value);
  results.push({ name, value, unit, goal: goalText, pass, runs: samples.length, peakMB });
  console.log(
    `${goalText === "(reference)" ? "    " : pass ? "PASS" : "MISS"}  ${name.padEnd(46)} ${`${value} ${unit}`.padStart(10)}  median of ${samples.length}, peak ${peakMB} MB  (goal ${goalText})`,
  );
}

function benchCheck(tenants: number, leasesPerTenant: number, runs: number, goalSeconds: number): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-"));
  try {
    generateFleet(dir, tenants, leasesPerTenant);
    timeCli(["check", "--stacks", dir, "--json"]); // warm the compile cache once
    const samples = Array.from({ length: runs }, () => timeCli(["check", "--stacks", dir, "--json"]));
    const label = `leasehold check: ${tenants.toLocaleString("en")} stacks / ${(tenants * leasesPerTenant).toLocaleString("en")} leases`;
    record(label, "s", `< ${goalSeconds} s`, samples, (v) => v < goalSeconds);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Times an in-process function (after one warm-up run); peak memory is the process's peak so far. */
async function timeInProcess(fn: () => Promise<void> | void, runs: number): Promise<{ seconds: number; peakBytes: number }[]> {
  await fn();
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakBytes: process.resourceUsage().maxRSS * 1024 });
  }
  return out;
}

function benchRender(runs: number): void {
  timeCli(["render", "--stack", "tenant-acme", "--stacks", path.join(ROOT, "stacks")]);
  const samples = Array.from({ length: runs }, () => timeCli(["render", "--stack", "tenant-acme", "--stacks", path.join(ROOT, "stacks")]));
  record("leasehold render: one tenant stack, Node start included", "s", "< 3 s", samples, (v) => v < 3);
}

function benchAdmit(manifests: number, runs: number): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-admit-"));
  try {
    const file = path.join(dir, "jobs.yaml");
    fs.writeFileSync(file, generateJobs(manifests));
    const args = [
      "admit",
      "--stack",
      "tenant-acme",
      "--stacks",
      path.join(ROOT, "stacks"),
      "--at",
      "2026-12-20T00:00:00Z",
      "--json",
      "-f",
      file,
    ];
    timeCli(args);
    const samples = Array.from({ length: runs }, () => timeCli(args));
    record(`leasehold admit: ${manifests.toLocaleString("en")} manifests, Node start included`, "s", "< 1 s", samples, (v) => v < 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchStackPolicies(resources: number, runs: number): Promise<void> {
  const { stackPolicyWorkload } = await import("./policy-gen");
  const run = await stackPolicyWorkload(resources);
  const samples = await timeInProcess(run, runs);
  record(`policy pack: stack policies over ${resources.toLocaleString("en")} resources`, "s", "< 1 s", samples, (v) => v < 1);
}

console.log(
  `leasehold benchmarks on ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}${quick ? " (--quick)" : ""}`,
);
function benchLocalCluster(runs: number): void {
  const { toolchainBuilt, pulumiVsKubectl, emptyProgramPreview } = require("./local-cluster") as typeof import("./local-cluster");
  const PATH = toolchainBuilt();
  if (!PATH) {
    console.log("SKIP  pulumi vs kubectl on the local control plane: the toolchain is not built (scripts/toolchain/build.sh)");
    return;
  }
  const r = pulumiVsKubectl(PATH, runs);
  const s = (xs: number[]) => xs.map((seconds) => ({ seconds, peakBytes: 0 }));
  record("pulumi up, fresh tenant stack (local API server)", "s", "(reference)", s(r.up), () => true);
  record("kubectl apply --server-side, the same objects", "s", "(reference)", s(r.apply), () => true);
  const upRatio = median(r.up) / median(r.apply);
  results.push({
    name: "pulumi up / kubectl apply --server-side",
    value: Number(upRatio.toFixed(2)),
    unit: "x",
    goal: "<= 3",
    pass: upRatio <= 3,
    runs: r.up.length,
    peakMB: 0,
  });
  console.log(
    `${upRatio <= 3 ? "PASS" : "MISS"}  ${"pulumi up / kubectl apply --server-side".padEnd(46)} ${`${upRatio.toFixed(2)} x`.padStart(10)}  (goal <= 3)`,
  );
  record("pulumi preview, no-op (local API server)", "s", "(reference)", s(r.preview), () => true);
  record("kubectl diff --server-side, the same objects", "s", "(reference)", s(r.diff), () => true);
  const floor = emptyProgramPreview(PATH, runs);
  record("pulumi preview of an empty Node.js program (floor)", "s", "(reference)", s(floor), () => true);
  const { leaseEviction } = require("./local-cluster") as typeof import("./local-cluster");
  const ev = leaseEviction(PATH, runs);
  record("lease clock deploy of a reclaimed lease (pulumi up)", "s", "(reference)", s(ev.deploy), () => true);
  record("reclaimed lease: its pods gone after the deploy", "s", "< 10 s", s(ev.evicted), (v) => v < 10);
  const diffRatio = median(r.preview) / median(r.diff);
  results.push({
    name: "pulumi preview / kubectl diff (no-op)",
    value: Number(diffRatio.toFixed(2)),
    unit: "x",
    goal: "<= 3",
    pass: diffRatio <= 3,
    runs: r.preview.length,
    peakMB: 0,
  });
  console.log(
    `${diffRatio <= 3 ? "PASS" : "MISS"}  ${"pulumi preview / kubectl diff (no-op)".padEnd(46)} ${`${diffRatio.toFixed(2)} x`.padStart(10)}  (goal <= 3)`,
  );
}

/**
 * The tenant program under the mock runtime for 10, 100 and 1,000 tenants of 2 leases each, each
 * size in a process of its own (each tenant under a fresh mock runtime, as its own deploy would
 * run it): wall time, milliseconds per resource, and how that cost moves with the tenant count.
 */
function benchProgramEvaluation(sizes: [number, number][]): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-bench-programs-"));
  try {
    const largest = Math.max(...sizes.map(([n]) => n));
    generateFleet(dir, largest, 2);
    const perResource: [number, number][] = [];
    for (const [tenants, runs] of sizes) {
      const samples: { seconds: number; peakBytes: number; resources: number }[] = [];
      for (let i = 0; i < runs; i++) {
        const r = spawnSync(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "program-eval.ts"), dir, String(tenants)], {
          cwd: ROOT,
          encoding: "utf8",
          maxBuffer: 1 << 26,
        });
        if (r.status !== 0) throw new Error(`program evaluation of ${tenants} tenants exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
        samples.push(JSON.parse(r.stdout.trim().split("\n").pop()!));
      }
      const resources = samples[0]!.resources;
      record(
        `program evaluation: ${tenants.toLocaleString("en")} tenants (${resources.toLocaleString("en")} resources)`,
        "s",
        "(reference)",
        samples,
        () => true,
      );
      const ms = (median(samples.map((x) => x.seconds)) * 1000) / resources;
      perResource.push([tenants, ms]);
      const peakMB = Math.round(Math.max(...samples.map((x) => x.peakBytes)) / 2 ** 20);
      results.push({
        name: `program evaluation: ms per resource at ${tenants} tenants`,
        value: Number(ms.toFixed(3)),
        unit: "ms",
        goal: "(reference)",
        pass: true,
        runs: samples.length,
        peakMB,
      });
      console.log(`      ${`program evaluation: ms per resource at ${tenants} tenants`.padEnd(46)} ${`${ms.toFixed(3)} ms`.padStart(10)}`);
    }
    // Least-squares slope of ms/resource over the tenant count, per 1,000 tenants; "does not grow"
    // is the largest size costing no more than 20 % above the smallest, per resource.
    const xs = perResource.map(([n]) => n / 1000);
    const ys = perResource.map(([, v]) => v);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / (xs.reduce((a, x) => a + (x - mx) ** 2, 0) || 1);
    const growth = ys[ys.length - 1]! / ys[0]!;
    const pass = growth <= 1.2;
    results.push({
      name: "program evaluation: per-resource cost slope",
      value: Number(slope.toFixed(4)),
      unit: "ms per resource per 1,000 tenants",
      goal: `largest / smallest <= 1.2 (is ${growth.toFixed(2)})`,
      pass,
      runs: perResource.length,
      peakMB: 0,
    });
    console.log(
      `${pass ? "PASS" : "MISS"}  ${"program evaluation: per-resource cost slope".padEnd(46)} ${`${slope.toFixed(4)}`.padStart(10)}  ms/resource per 1,000 tenants; ${perResource[perResource.length - 1]![0]} vs ${perResource[0]![0]} tenants: ${growth.toFixed(2)}x (goal: does not grow, <= 1.2x)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `leasehold up` over generated fleets on the local control plane (issue 15's goals): wall time
 * from an empty cluster and for a no-op re-run, beside `kubectl apply --server-side` of the same
 * objects and the serial `pulumi up` loop (measured on a sample, extrapolated with its per-stack
 * slope); peak memory of the whole process tree.
 */
async function benchFleetUp(sizes: number[], serialSample: number): Promise<void> {
  const { toolchainBuilt } = require("./local-cluster") as typeof import("./local-cluster");
  const { fleetUp } = require("./fleet-up") as typeof import("./fleet-up");
  const PATH = toolchainBuilt();
  if (!PATH) {
    console.log("SKIP  leasehold up over a fleet: the toolchain is not built (scripts/toolchain/build.sh)");
    return;
  }
  // Per-stack wall time of each size (the platform and its tenants, from empty), for the flat-cost goal.
  const perStackAt = new Map<number, number>();
  const flat = (value: number, name: string, goal: string, pass: boolean, detail: string) => {
    results.push({ name, value: Number(value.toFixed(2)), unit: "x", goal, pass, runs: 1, peakMB: 0, detail });
    console.log(`${pass ? "PASS" : "MISS"}  ${name.padEnd(46)} ${`${value.toFixed(2)} x`.padStart(10)}  (goal ${goal})  ${detail}`);
  };
  for (const tenants of sizes) {
    const parallel = process.env.LEASEHOLD_BENCH_PARALLEL ? Number(process.env.LEASEHOLD_BENCH_PARALLEL) : undefined;
    const f = await fleetUp(PATH, tenants, serialSample, parallel, (s) => console.log(`      ... ${s}`));
    const n = tenants.toLocaleString("en");
    perStackAt.set(tenants, f.up / (tenants + 1));
    const leaseholdMB = f.leaseholdPeakBytes / 2 ** 20;
    results.push({
      name: `leasehold process peak memory: ${n} tenants`,
      value: Math.round(leaseholdMB),
      unit: "MB",
      goal: "< 1,024 MB",
      pass: leaseholdMB < 1024,
      runs: 1,
      peakMB: Math.round(leaseholdMB),
    });
    console.log(
      `${leaseholdMB < 1024 ? "PASS" : "MISS"}  ${`leasehold process peak memory: ${n} tenants`.padEnd(46)} ${`${Math.round(leaseholdMB)} MB`.padStart(10)}  (goal < 1,024 MB; the stacks' inline programs run in it)`,
    );
    const one = (seconds: number, peakBytes = 0) => [{ seconds, peakBytes }];
    const goalUp = (600 * tenants) / 1000;
    console.log(`      (${f.parallel || "default"} stacks at a time)`);
    const mb = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString("en")} MB`;
    const byCommand = Object.entries(f.peakByCommand)
      .sort((a, b) => b[1] - a[1])
      .map(([c, b]) => `${c} ${mb(b)}`)
      .join(", ");
    console.log(`      peak memory ${mb(f.peakBytes)} in ${f.peakProcesses} processes: ${byCommand}`);
    const secondsPerStack = f.cpuLeasehold / (tenants + 1);
    console.log(
      `      CPU of the first run: leasehold up and its processes ${f.cpuLeasehold.toFixed(0)} s (${secondsPerStack.toFixed(2)} s per stack), the control plane meanwhile ${f.cpuControlPlane.toFixed(0)} s, of which idle kwok node heartbeats about ${((f.idleControlPlanePerMinute * f.up) / 60).toFixed(0)} s (${f.idleControlPlanePerMinute.toFixed(1)} CPU-s per minute)`,
    );
    results.push({
      name: `leasehold up: ${n} tenant stacks, CPU per stack`,
      value: Number(secondsPerStack.toFixed(2)),
      unit: "CPU-s",
      goal: "(reference)",
      pass: true,
      runs: 1,
      peakMB: 0,
    });
    results.push({
      name: `leasehold up: platform stack of ${f.platform.nodes.toLocaleString("en")} pool nodes (checkpoint ${mb(f.platform.checkpointBytes)})`,
      value: Number(f.platform.seconds.toFixed(1)),
      unit: "s",
      goal: "(reference)",
      pass: true,
      runs: 1,
      peakMB: 0,
    });
    results.push({
      name: `local control plane CPU during leasehold up: ${n} tenants`,
      value: Number(f.cpuControlPlane.toFixed(0)),
      unit: "CPU-s",
      goal: "(reference)",
      pass: true,
      runs: 1,
      peakMB: 0,
    });
    record(
      `leasehold up: ${n} tenant stacks from empty`,
      "s",
      tenants >= 1000 ? "< 600 s" : `< ${goalUp} s (600 s per 1,000)`,
      one(f.up, f.peakBytes),
      (v) => v < goalUp,
    );
    if (!Number.isNaN(f.noop)) record(`leasehold up: ${n} tenant stacks, no-op`, "s", "(reference)", one(f.noop, f.peakBytes), () => true);
    record(
      `kubectl apply --server-side: ${n} tenants' ${f.objects.toLocaleString("en")} objects`,
      "s",
      "(reference)",
      one(f.apply),
      () => true,
    );
    record(`kubectl apply --server-side again (no-op)`, "s", "(reference)", one(f.applyNoop), () => true);
    const ratio = f.up / f.apply;
    results.push({
      name: `leasehold up / kubectl apply: ${n} tenants`,
      value: Number(ratio.toFixed(2)),
      unit: "x",
      goal: "<= 5",
      pass: ratio <= 5,
      runs: 1,
      peakMB: 0,
    });
    console.log(
      `${ratio <= 5 ? "PASS" : "MISS"}  ${`leasehold up / kubectl apply: ${n} tenants`.padEnd(46)} ${`${ratio.toFixed(2)} x`.padStart(10)}  (goal <= 5)`,
    );
    const perStack = f.serial.reduce((a, b) => a + b, 0) / f.serial.length;
    record(
      `serial pulumi up loop: per stack (${f.serial.length} measured)`,
      "s",
      "(reference)",
      f.serial.map((s) => ({ seconds: s, peakBytes: 0 })),
      () => true,
    );
    for (const size of [tenants, 1000]) {
      const name = `serial pulumi up loop: ${size.toLocaleString("en")} stacks (extrapolated)`;
      results.push({
        name,
        value: Number((perStack * size).toFixed(0)),
        unit: "s",
        goal: "(reference)",
        pass: true,
        runs: f.serial.length,
        peakMB: 0,
      });
      console.log(
        `      ${name.padEnd(46)} ${`${(perStack * size).toFixed(0)} s`.padStart(10)}  (${perStack.toFixed(2)} s per stack x ${size}; leasehold up: ${(f.up / tenants).toFixed(2)} s per stack)`,
      );
    }
  }
  // The flat cost per stack: the largest fleet against the smallest, each from empty in its own run.
  const measured = [...perStackAt.keys()].sort((a, b) => a - b);
  if (measured.length >= 2) {
    const small = measured[0]!;
    const large = measured[measured.length - 1]!;
    const ratio = perStackAt.get(large)! / perStackAt.get(small)!;
    flat(
      ratio,
      `per-stack wall time: ${large.toLocaleString("en")} / ${small.toLocaleString("en")} tenants`,
      "<= 1.2 (flat)",
      ratio <= 1.2,
      measured.map((t) => `${t.toLocaleString("en")}: ${perStackAt.get(t)!.toFixed(2)} s per stack`).join("; "),
    );
  }
}

/**
 * One large tenant on a pool of 10,000 nodes (bench/scale.ts): each figure printed and recorded
 * as it is measured, beside its goal; a step that fails ends the group with a FAIL line (the
 * figures so far stay) and a non-zero exit.
 */
async function benchScale(): Promise<void> {
  const { toolchainBuilt } = require("./local-cluster") as typeof import("./local-cluster");
  const { scaleBench, scaleSizes } = require("./scale") as typeof import("./scale");
  const PATH = toolchainBuilt();
  if (!PATH) {
    console.log("SKIP  the scale bench: the toolchain is not built (scripts/toolchain/build.sh)");
    return;
  }
  const sizes = scaleSizes();
  console.log(
    `      pool of ${sizes.nodes.toLocaleString("en")} nodes, lease of ${sizes.lease.toLocaleString("en")}, growth at ${sizes.growth.join(", ")}, reclaim of ${sizes.reclaim.toLocaleString("en")} (LEASEHOLD_BENCH_SCALE_NODES, _LEASE, _GROWTH, _RECLAIM)`,
  );
  const fmt = (v: number, unit: string) =>
    unit === "B" ? `${Math.round(v).toLocaleString("en")} B` : `${unit === "x" ? v.toFixed(2) : v.toFixed(1)} ${unit}`;
  try {
    await scaleBench(
      PATH,
      sizes,
      (f) => {
        const reference = f.pass === undefined;
        results.push({
          name: f.name,
          value: Number(f.value.toFixed(f.unit === "B" ? 0 : 3)),
          unit: f.unit,
          goal: f.goal,
          pass: reference || f.pass!,
          runs: 1,
          peakMB: 0,
          ...(f.detail ? { detail: f.detail } : {}),
        });
        console.log(
          `${reference ? "    " : f.pass ? "PASS" : "MISS"}  ${f.name.padEnd(46)} ${fmt(f.value, f.unit).padStart(10)}  (goal ${f.goal})${f.detail ? `  ${f.detail}` : ""}`,
        );
      },
      (s) => console.log(`      ... ${s}`),
    );
  } catch (e) {
    const message = (e as Error).message;
    results.push({
      name: "scale bench: stopped",
      value: Number.NaN,
      unit: "",
      goal: "runs to its end",
      pass: false,
      runs: 1,
      peakMB: 0,
      detail: message,
    });
    console.log(`FAIL  scale bench stopped: ${message}`);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  // `npm run bench -- --only fleet` (or `scale`): the fleet or the scale figures alone (they take minutes).
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
  const fleets = process.env.LEASEHOLD_BENCH_FLEETS?.split(",").map(Number) ?? (quick ? [100] : [100, 1000]);
  if (only === "fleet") return benchFleetUp(fleets, quick ? 5 : 10);
  if (only === "scale") return benchScale();
  if (only !== undefined) throw new Error(`--only: the groups that run alone are "fleet" and "scale", got ${JSON.stringify(only)}`);
  benchProgramEvaluation(
    quick
      ? [
          [10, 3],
          [100, 1],
        ]
      : [
          [10, 5],
          [100, 3],
          [1_000, 2],
        ],
  );
  benchCheck(1_000, 10, quick ? 3 : 5, 2);
  benchRender(quick ? 3 : 5);
  benchAdmit(1_000, quick ? 3 : 5);
  await benchStackPolicies(10_000, quick ? 3 : 5);
  if (!quick) benchCheck(10_000, 10, 3, 20);
  if (!quick) benchLocalCluster(3);
  // The fleet: 100 tenants with --quick, 100 and 1,000 in the full run (LEASEHOLD_BENCH_FLEETS=100,300 to choose).
  await benchFleetUp(fleets, quick ? 5 : 10);
}

main().then(() => {
  const only = process.argv.includes("--only") ? `-${process.argv[process.argv.indexOf("--only") + 1]}` : "";
  fs.writeFileSync(path.join(__dirname, `results${only}.json`), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote bench/results${only}.json (${results.filter((r) => r.pass).length}/${results.length} figures meet their goal)`);
});
