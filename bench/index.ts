import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateFleet } from "./fleet-gen";

// `npm run bench [-- --quick]`: one line per figure with its goal and verdict; bench/results.json.

interface Figure {
  name: string;
  value: number;
  unit: string;
  goal: string;
  pass: boolean;
  runs: number;
  peakMB: number;
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

function record(name: string, unit: string, goalText: string, samples: { seconds: number; peakBytes: number }[], goal: (v: number) => boolean): void {
  const value = Number(median(samples.map((s) => s.seconds)).toFixed(3));
  const peakMB = Math.round(Math.max(...samples.map((s) => s.peakBytes)) / 2 ** 20);
  const pass = goal(value);
  results.push({ name, value, unit, goal: goalText, pass, runs: samples.length, peakMB });
  console.log(`${pass ? "PASS" : "MISS"}  ${name.padEnd(46)} ${`${value} ${unit}`.padStart(10)}  median of ${samples.length}, peak ${peakMB} MB  (goal ${goalText})`);
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

console.log(`leasehold benchmarks on ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}${quick ? " (--quick)" : ""}`);
benchCheck(1_000, 10, quick ? 3 : 5, 2);
if (!quick) benchCheck(10_000, 10, 3, 20);

fs.writeFileSync(path.join(__dirname, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote bench/results.json (${results.filter((r) => r.pass).length}/${results.length} figures meet their goal)`);
