import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inShard, type AffectedSet } from "../lease/changes";
import { contractOf } from "../lease/contract";
import { deployInstantFrom, isoInstant } from "../lease/fields";
import type { PlatformStack, Stack } from "../lease/load";
import { policyPackConfig } from "../lease/policy-names";
import { selectAffected } from "./affected";
import {
  checkedFolder,
  display,
  EXIT,
  findProjectRoot,
  parseShard,
  printJson,
  projectSettings,
  requireDir,
  stackConfigDirOf,
  UsageError,
  type Io,
} from "./common";

// `leasehold up | preview | refresh | destroy` over a set of stacks, on Pulumi's Automation API:
// platforms before their tenants (tenants before their platforms for destroy), a bounded number
// of stacks at a time, each stack's lease contract always handed to the policy pack. A failed
// platform stops its own tenants only; one stack's failure never stops the others.

/** A Pulumi operation over a fleet. */
export type Operation = "up" | "preview" | "refresh" | "destroy";

/** One stack to run, with the platform it depends on (a tenant's). */
export interface StackJob {
  /** The stack's name, e.g. `tenant-acme`. */
  stack: string;
  /** The stack's `leasehold:role`. */
  role: "platform" | "tenant";
  /** The tenant's platform stack. */
  platform?: string;
}

/** What happened to one stack. */
export interface StackResult {
  /** The stack's name. */
  stack: string;
  /**
   * `succeeded`, `failed`, `skipped` (a stack it waits for did not succeed: it never started) or
   * `cancelled` (not started: the run was cancelled).
   */
  result: "succeeded" | "failed" | "skipped" | "cancelled";
  /** Resource changes by kind (`create`, `update`, `delete`, `same`, ...), as the engine counts them. */
  changes?: Record<string, number>;
  /** Wall time, seconds. */
  seconds: number;
  /** Why it failed or was skipped: the engine's last error lines. */
  message?: string;
  /** The command that recovers the stack, when the engine left it locked or with pending operations. */
  recovery?: string;
  /** The policy pack the engine ran and passed (`leasehold@v0.1.0`), for up and preview. */
  policyPack?: string;
}

/** Runs one stack; resolves (never rejects) with its result. */
export type StackRunner = (job: StackJob) => Promise<StackResult>;

/** Progress reports while a fleet runs. */
export interface Progress {
  started(job: StackJob, counts: Counts): void;
  finished(result: StackResult, counts: Counts): void;
}

/** How many stacks are done, failed, running and queued. */
export interface Counts {
  /** Stacks that succeeded. */
  done: number;
  /** Stacks that failed, were skipped or were cancelled. */
  failed: number;
  /** Stacks started and not finished. */
  running: number;
  /** Stacks not started yet. */
  queued: number;
}

/**
 * Runs the jobs with at most `parallel` at a time: a stack starts once the stacks it depends on
 * (a tenant's platform; for destroy, a platform's tenants) have succeeded, and is skipped when one
 * of them failed. `cancelled()` is asked before each start: once it says yes, queued stacks are
 * reported cancelled and the running ones finish.
 */
export async function runFleet(
  op: Operation,
  jobs: readonly StackJob[],
  runner: StackRunner,
  opts: { parallel: number; progress?: Progress; cancelled?: () => boolean },
): Promise<StackResult[]> {
  const inSet = new Set(jobs.map((j) => j.stack));
  // What each job waits for, among the jobs of this run.
  const waitsFor = new Map<string, string[]>();
  for (const j of jobs) {
    const deps =
      op === "destroy"
        ? j.role === "platform"
          ? jobs.filter((t) => t.role === "tenant" && t.platform === j.stack).map((t) => t.stack)
          : []
        : j.role === "tenant" && j.platform && inSet.has(j.platform)
          ? [j.platform]
          : [];
    waitsFor.set(j.stack, deps);
  }
  const results = new Map<string, StackResult>();
  const pending = [...jobs];
  let running = 0;
  const counts = (): Counts => ({
    done: [...results.values()].filter((r) => r.result === "succeeded").length,
    failed: [...results.values()].filter((r) => r.result !== "succeeded").length,
    running,
    queued: pending.length,
  });
  return new Promise((resolve) => {
    const pump = () => {
      for (let i = 0; i < pending.length;) {
        const job = pending[i]!;
        const deps = waitsFor.get(job.stack)!;
        const failedDep = deps.find((d) => results.has(d) && results.get(d)!.result !== "succeeded");
        const cancelled = opts.cancelled?.() ?? false;
        if (failedDep || cancelled) {
          pending.splice(i, 1);
          const r: StackResult = cancelled
            ? { stack: job.stack, result: "cancelled", seconds: 0, message: "not started: the run was cancelled" }
            : {
                stack: job.stack,
                result: "skipped",
                seconds: 0,
                message: `${failedDep} did not ${op === "destroy" ? "go first" : "succeed"} (${results.get(failedDep!)!.result})`,
              };
          results.set(job.stack, r);
          opts.progress?.finished(r, counts());
          continue;
        }
        if (running >= opts.parallel || !deps.every((d) => results.get(d)?.result === "succeeded")) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        running++;
        opts.progress?.started(job, counts());
        void runner(job).then((r) => {
          running--;
          results.set(job.stack, r);
          opts.progress?.finished(r, counts());
          pump();
        });
      }
      if (pending.length === 0 && running === 0) resolve(jobs.map((j) => results.get(j.stack)!));
    };
    pump();
  });
}

/** The engine's error text: the stack is locked or has pending operations, and how to recover. */
export function recoveryFor(stack: string, error: string): string | undefined {
  if (/pending operations?|interrupted while creating|pending_operations/i.test(error)) {
    return `pulumi refresh --stack ${stack} --clear-pending-creates --yes   (then run it again)`;
  }
  if (isLocked(error)) {
    return `pulumi cancel --stack ${stack} --yes   (only when no other run is using the stack)`;
  }
  return undefined;
}

/** Why the Pulumi CLI cannot be started (no executable `pulumi` in a PATH folder), or undefined when one is there. */
export function pulumiCliMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Looked up on PATH as the shell would, rather than by starting `pulumi version` (a tenth of a
  // second before every run).
  let denied: string | undefined;
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, "pulumi");
    try {
      if (!fs.statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return undefined;
    } catch {
      denied ??= file;
    }
  }
  return denied
    ? `the Pulumi CLI (pulumi) could not be started: ${denied} is not executable`
    : "the Pulumi CLI (pulumi) is not on PATH: install it (https://www.pulumi.com/docs/install/, or pulumi/actions in GitHub Actions) and run again";
}

/** The engine's error says another run holds the stack. */
export function isLocked(error: string): boolean {
  return /currently locked|locked by|update is already in progress|conflict: Another update is currently in progress/i.test(error);
}

/** Options of `leasehold up | preview | refresh | destroy`. */
export interface FleetRunOptions {
  /** The stacks folder; it must be the `stackConfigDir` of the project's Pulumi.yaml. */
  stacks: string;
  /** Stacks named on the command line. */
  stack?: string[];
  /** `--affected --base REF [--head REF]`. */
  affected?: boolean;
  /** With `affected`: the git revision compared. */
  base?: string;
  /** With `affected`: the revision compared with `base`. @default HEAD */
  head?: string;
  /** The deploy instant (LEASEHOLD_AT of every run). @default LEASEHOLD_AT, else now */
  at?: number;
  /** The lease clock: the stacks whose leases change state in (since, at]. */
  since?: number;
  /** Every stack. */
  all?: boolean;
  /** Of the selected stacks, only the platforms or only the tenants (`platform`, `tenant`). */
  role?: string;
  /** Of the selected stacks, only shard `k/n` (see shardOf): `"2/8"`. */
  shard?: string;
  /** Stacks at a time, 1 or more. @default defaultParallel() (the machine's cores, at most 8) */
  parallel?: number;
  /** Seconds a stack another run holds locked is tried again for. @default 0 (fails at once) */
  lockWait?: number;
  /** up and preview: refresh each stack's state from the cluster and the cloud first. */
  refresh?: boolean;
  /** up and preview: a stack whose run would change something fails (drift checks). */
  expectNoChanges?: boolean;
  /** Print `{ok, operation, at, seconds, stacks}` as JSON on stdout instead of the summary table. */
  json?: boolean;
  /** The live display (one line per running stack); @default on when stderr is a terminal outside CI */
  live?: boolean;
}

/** The default number of stacks at a time: a Pulumi run keeps about one core busy (program, engine, provider). */
export function defaultParallel(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

/** `leasehold up | preview | refresh | destroy`: the operation over the selected stacks. */
export async function fleetRun(
  op: Operation,
  opts: FleetRunOptions,
  io: Io,
  runnerFor?: (ctx: RunContext) => StackRunner,
): Promise<number> {
  const modes = [!!opts.stack?.length, !!opts.affected, opts.since !== undefined, !!opts.all].filter(Boolean).length;
  if (modes !== 1)
    throw new UsageError("give one of --stack NAME..., --affected --base REF, --since TIME [--at TIME] (the lease clock) or --all");
  if (opts.affected && opts.base === undefined) throw new UsageError("--affected needs --base REF (the revision to compare with)");
  // Ignored otherwise, while the caller believes a diff was compared.
  if (!opts.affected && opts.base !== undefined)
    throw new UsageError("--base is the revision --affected compares with: give --affected too (or leave --base out)");
  if (!opts.affected && opts.head !== undefined)
    throw new UsageError("--head is the revision --affected compares with --base: give --affected --base REF too (or leave --head out)");
  if (opts.parallel !== undefined && (!Number.isInteger(opts.parallel) || opts.parallel < 1))
    throw new UsageError(`--parallel: expected a whole number of stacks, 1 or more, got ${opts.parallel}`);
  if (opts.role !== undefined && opts.role !== "platform" && opts.role !== "tenant")
    throw new UsageError(`--role: expected platform or tenant, got ${JSON.stringify(opts.role)}`);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (opts.lockWait !== undefined && !(opts.lockWait >= 0))
    throw new UsageError(`--lock-wait: expected seconds, 0 or more, got ${opts.lockWait}`);
  requireDir(opts.stacks);
  const root = findProjectRoot(opts.stacks);
  if (root === undefined && runnerFor === undefined)
    throw new UsageError(`no Pulumi.yaml at or above ${opts.stacks}: run from the project`);
  if (root !== undefined && runnerFor === undefined) {
    // The Pulumi CLI reads each stack's config from its project's stackConfigDir: another folder
    // would be judged here and deployed from there (and `pulumi stack init` would write there).
    const pulumiDir = stackConfigDirOf(root);
    if (path.resolve(opts.stacks) !== path.resolve(pulumiDir)) {
      throw new UsageError(
        `--stacks: ${opts.stacks} is not the folder the Pulumi CLI reads this project's stack files from (${display(pulumiDir)}, stackConfigDir in ${display(path.join(root, "Pulumi.yaml"))}): run with --stacks ${display(pulumiDir)}, or copy the project`,
      );
    }
  }
  // Nothing runs unless the whole fleet passes its check: the same one-line errors as `check`.
  const folder = checkedFolder(opts.stacks, opts.json, io);
  if (!folder) return EXIT.rule;
  if (folder.files.length === 0) {
    io.err(`no stack files (Pulumi.<stack>.yaml) in ${opts.stacks}`);
    return EXIT.rule;
  }
  const byName = new Map(folder.stacks.map((s) => [s.name, s]));
  // The deploy instant: --at, else LEASEHOLD_AT, else now; the lease clock's interval ends there.
  const at = opts.at ?? deployInstantOr(Date.now());
  let names: string[];
  if (opts.stack?.length) {
    const unknown = opts.stack.filter((n) => !byName.has(n));
    if (unknown.length > 0)
      throw new UsageError(`--stack: no stack file for ${unknown.join(", ")} in ${opts.stacks} (stacks: ${[...byName.keys()].join(", ")})`);
    const wanted = new Set(opts.stack);
    names = folder.stacks
      .filter((s) => wanted.has(s.name))
      .sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "platform" ? -1 : 1))
      .map((s) => s.name);
  } else {
    const clock = opts.since === undefined ? {} : { since: opts.since, at };
    const { set } = selectAffected(folder.stacks, {
      stacks: opts.stacks,
      base: opts.affected ? opts.base : undefined,
      head: opts.head,
      all: opts.all,
      ...clock,
    }) as { set: AffectedSet };
    names = set.stacks.map((a) => a.stack);
    for (const r of set.removed)
      io.err(
        `${r}: its stack file was removed; leasehold runs only stacks that have one (destroy it with pulumi destroy --stack ${r} --exclude-protected)`,
      );
  }
  if (opts.role) {
    const other = opts.stack?.filter((n) => byName.get(n)!.role !== opts.role) ?? [];
    if (other.length > 0)
      throw new UsageError(
        `--role ${opts.role}: ${other.join(", ")} ${other.length === 1 ? "is not a" : "are not"} ${opts.role} stack${other.length === 1 ? "" : "s"}: name only ${opts.role} stacks with --stack, or leave --role out`,
      );
    names = names.filter((n) => byName.get(n)!.role === opts.role);
  }
  if (shard) names = names.filter((n) => inShard(n, shard));
  const jobs: StackJob[] = names.map((n) => {
    const s = byName.get(n)!;
    return s.role === "platform" ? { stack: n, role: "platform" } : { stack: n, role: "tenant", platform: s.config.platform };
  });
  if (op === "destroy") jobs.reverse();
  const parallel = opts.parallel ?? defaultParallel();
  const ctx: RunContext = {
    op,
    root: root ?? path.resolve(opts.stacks),
    stacksDir: opts.stacks,
    stacks: byName,
    at,
    io,
    refresh: opts.refresh,
    expectNoChanges: opts.expectNoChanges,
  };
  if (runnerFor === undefined && jobs.length > 0) {
    const missing = pulumiCliMissing();
    if (missing) throw new UsageError(missing);
  }
  const runner = waitingForLocks((runnerFor ?? automationRunner)(ctx), (opts.lockWait ?? 0) * 1000, io);

  let cancelled = false;
  const onSigint = () => {
    if (!cancelled) io.err(`leasehold ${op}: cancelling: no new stack starts; the running ones finish (Ctrl-C again to stop at once)`);
    else process.exit(130);
    cancelled = true;
  };
  process.on("SIGINT", onSigint);
  const t0 = Date.now();
  io.err(
    `leasehold ${op}: ${jobs.length} stack(s)${shard ? ` (shard ${shard.index} of ${shard.count})` : ""}, ${parallel} at a time, at ${isoInstant(at)}`,
  );
  // A terminal gets the live display; CI logs and pipes get one plain line per event.
  const live = opts.live ?? (process.stderr.isTTY === true && !process.env.CI);
  const liveDisplay = live ? new LiveDisplay(op, (text) => process.stderr.write(text)) : undefined;
  let results: StackResult[];
  try {
    results = await runFleet(op, jobs, runner, {
      parallel,
      cancelled: () => cancelled,
      progress: liveDisplay ?? {
        started: (job, c) => io.err(`  ${job.stack}: ${op} started  [${countsText(c)}]`),
        finished: (r, c) => io.err(`  ${resultLine(r)}  [${countsText(c)}]`),
      },
    });
  } finally {
    liveDisplay?.stop();
    process.off("SIGINT", onSigint);
  }
  const seconds = (Date.now() - t0) / 1000;
  const failed = results.filter((r) => r.result !== "succeeded");
  if (opts.json) printJson(io, { ok: failed.length === 0, operation: op, at: isoInstant(at), seconds, stacks: results });
  else {
    io.out(summaryTable(results));
    io.out(
      `${op}: ${results.length - failed.length} of ${results.length} stack(s) succeeded in ${seconds.toFixed(1)} s${failed.length ? `; ${failed.length} did not` : ""}`,
    );
    for (const r of results) if (r.recovery) io.out(`  ${r.stack}: recover with: ${r.recovery}`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.rule;
}

/**
 * A runner that tries a stack again while another run holds it locked (a deploy and the lease
 * clock on the same stack), every 5 to 15 s, until `waitMs` has passed since its first try.
 */
export function waitingForLocks(
  runner: StackRunner,
  waitMs: number,
  io: Io,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): StackRunner {
  if (waitMs <= 0) return runner;
  return async (job) => {
    const t0 = Date.now();
    for (let attempt = 1; ; attempt++) {
      const r = await runner(job);
      if (r.result !== "failed" || !isLocked(r.message ?? "") || Date.now() - t0 >= waitMs)
        return attempt === 1 ? r : { ...r, seconds: (Date.now() - t0) / 1000 };
      const pause = Math.min(15_000, 5_000 * attempt, Math.max(0, waitMs - (Date.now() - t0)));
      io.err(`  ${job.stack}: locked by another run; trying again in ${Math.round(pause / 1000)} s (--lock-wait)`);
      await sleep(pause);
    }
  };
}

function countsText(c: Counts): string {
  return `${c.done} done, ${c.failed} failed, ${c.running} running, ${c.queued} queued`;
}

/** A finished stack's line: its result, changes, seconds and, unless it succeeded, why. */
function resultLine(r: StackResult): string {
  return `${r.stack}: ${r.result}${r.changes ? ` (${changeText(r.changes)})` : ""}${r.seconds ? ` in ${r.seconds.toFixed(1)} s` : ""}${r.result === "succeeded" ? "" : `: ${firstLine(r.message)}`}`;
}

/**
 * The live progress of a fleet run on a terminal: finished stacks scroll by, one line each; below
 * them, redrawn every second and on every event, the counts and one line per running stack with
 * its time so far. `stop()` clears the redrawn part.
 */
export class LiveDisplay implements Progress {
  private readonly running = new Map<string, number>();
  private counts: Counts = { done: 0, failed: 0, running: 0, queued: 0 };
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly op: Operation,
    private readonly write: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.draw(), 1000);
    this.timer.unref();
  }

  started(job: StackJob, counts: Counts): void {
    this.running.set(job.stack, this.now());
    this.counts = counts;
    this.draw();
  }

  finished(r: StackResult, counts: Counts): void {
    this.running.delete(r.stack);
    this.counts = counts;
    this.draw(`  ${resultLine(r)}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
    this.write(this.clear());
    this.drawn = 0;
  }

  /** Clears the redrawn lines, prints `above` (scrolling), then the counts and the running stacks. */
  private draw(above = ""): void {
    const lines = [
      `  ${this.op}: ${countsText(this.counts)}`,
      ...[...this.running].map(([stack, since]) => `    ${stack}  ${((this.now() - since) / 1000).toFixed(0)} s`),
    ];
    this.write(this.clear() + above + lines.map((l) => `${l}\x1b[K\n`).join(""));
    this.drawn = lines.length;
  }

  private clear(): string {
    return this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[J` : "";
  }
}

/** LEASEHOLD_AT when set (the usage error names it when malformed), else `now`. */
function deployInstantOr(now: number): number {
  const at = deployInstantFrom(process.env, now);
  if (typeof at === "string") throw new UsageError(at);
  return at;
}

/** What a stack runner needs of the run. */
export interface RunContext {
  /** The operation each stack runs. */
  op: Operation;
  /** The project folder (Pulumi.yaml). */
  root: string;
  /** The stacks folder, as given. */
  stacksDir: string;
  /** Every stack of the folder (not only the selected ones), by name. */
  stacks: ReadonlyMap<string, Stack>;
  /** The deploy instant (LEASEHOLD_AT of each run), epoch milliseconds. */
  at: number;
  /** Where the runner writes messages. */
  io: Io;
  /** up and preview: refresh first. */
  refresh?: boolean;
  /** up and preview: fail a stack whose run would change something. */
  expectNoChanges?: boolean;
}

/**
 * Runs a stack with Pulumi's Automation API (a LocalWorkspace on the project folder, the backend
 * of the current `pulumi login` or PULUMI_BACKEND_URL): up and preview with the policy pack and
 * the stack's lease contract as its config. The program runs in this process (an inline program:
 * Node.js starts and leasehold's modules load once for the whole run, not once per stack); the
 * engine, the providers and the policy pack run as the Pulumi CLI starts them for each stack.
 */
export function automationRunner(ctx: RunContext): StackRunner {
  // Loaded here: the Automation API and the program cost about a second to load.
  const auto = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const { leaseholdProgram } = require("../programs/main") as typeof import("../programs/main");
  const stacksDir = path.resolve(ctx.stacksDir);
  const name = projectSettings(ctx.root).name;
  const project = typeof name === "string" ? name : "leasehold";
  // One Pulumi CLI handle for the run, made when the first stack starts: `pulumi version` runs once, not once per stack.
  let command: ReturnType<typeof auto.PulumiCommand.get> | undefined;
  return async (job) => {
    const t0 = Date.now();
    const done = (r: Omit<StackResult, "stack" | "seconds">): StackResult => ({
      stack: job.stack,
      seconds: (Date.now() - t0) / 1000,
      ...r,
    });
    // The stack's policy config, in a folder of its own that goes with the run.
    let work: string | undefined;
    // The inline program's runtime state, whose engine connections the run closes at its end.
    let run: RunStore | undefined;
    try {
      const envVars = { LEASEHOLD_AT: isoInstant(ctx.at) };
      const args = {
        stackName: job.stack,
        projectName: project,
        program: async () => {
          run = runStore();
          return leaseholdProgram({ stacksDir, at: ctx.at });
        },
      };
      command ??= auto.PulumiCommand.get({ skipVersionCheck: true });
      const opts = { workDir: ctx.root, envVars, pulumiCommand: await command };
      const stack =
        ctx.op === "up" || ctx.op === "preview"
          ? await auto.LocalWorkspace.createOrSelectStack(args, opts)
          : await auto.LocalWorkspace.selectStack(args, opts);
      const output: string[] = [];
      const onOutput = (out: string) => {
        output.push(out);
        if (output.length > 200) output.shift();
      };
      let policy = {};
      if (ctx.op === "up" || ctx.op === "preview") {
        const s = ctx.stacks.get(job.stack)!;
        const platform = (s.role === "platform" ? s : ctx.stacks.get(s.config.platform)) as PlatformStack;
        const contract = contractOf(s, platform, isoInstant(ctx.at));
        work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-policy-"));
        const file = path.join(work, `policy-config-${job.stack}.json`);
        fs.writeFileSync(file, JSON.stringify(policyPackConfig(contract)));
        policy = { policyPacks: [path.join(ctx.root, "policies")], policyPackConfigs: [file] };
      }
      // The changes come from the engine's summary event. Stack.up, refresh and destroy would
      // then read the stack's outputs (twice) and its last history entry, three more Pulumi CLI
      // runs per stack that leasehold does not use: measured at a sixth of a stack's CPU time.
      let summary: Record<string, number> | undefined;
      const onEvent = (e: { summaryEvent?: { resourceChanges?: Record<string, number> } }) => {
        if (e.summaryEvent) summary = { ...e.summaryEvent.resourceChanges };
      };
      Object.assign(stack, { outputs: async () => ({}), info: async () => undefined });
      const common = { onOutput, onEvent, color: "never" as const, refresh: ctx.refresh, expectNoChanges: ctx.expectNoChanges, ...policy };
      switch (ctx.op) {
        case "up":
          await stack.up(common);
          return done({ result: "succeeded", changes: summary, policyPack: packPassed(output) });
        case "preview": {
          const r = await stack.preview(common);
          return done({
            result: "succeeded",
            changes: (r.changeSummary as Record<string, number>) ?? summary,
            policyPack: packPassed(output),
          });
        }
        case "refresh":
          await stack.refresh({ onOutput, onEvent, color: "never" });
          return done({ result: "succeeded", changes: summary });
        case "destroy":
          await stack.destroy({ onOutput, onEvent, color: "never" });
          return done({ result: "succeeded", changes: summary });
      }
    } catch (e) {
      const text = String((e as Error).message ?? e);
      return done({ result: "failed", message: engineError(text), recovery: recoveryFor(job.stack, text) });
    } finally {
      closeEngineClients(run);
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }
  };
}

/** The part of `@pulumi/pulumi`'s per-program runtime state (its AsyncLocalStorage store) that holds the engine connections. */
interface RunStore {
  settings?: { monitor?: { close(): void }; engine?: { close(): void } };
}

/** The runtime state of the inline program running now (the Automation API runs each in an AsyncLocalStorage store of its own). */
function runStore(): RunStore | undefined {
  return (globalThis as { asyncLocalStorage?: { getStore(): unknown } }).asyncLocalStorage?.getStore() as RunStore | undefined;
}

/**
 * Closes the gRPC clients an inline program opened to the engine (the resource monitor and the
 * engine service). `@pulumi/pulumi` (3.248 to 3.276) opens them per program run in the run's store
 * but closes only the process-wide ones, so each client, its channel's idle timer (30 minutes)
 * and DNS resolver kept the whole run alive: every resource and output of every stack the
 * process had deployed. Measured in `leasehold up` of 300 tenant stacks: the heap grew by about
 * half a megabyte per stack, and each run's store was reachable only from those clients.
 */
export function closeEngineClients(store: RunStore | undefined): void {
  const settings = store?.settings;
  if (!settings) return;
  for (const key of ["monitor", "engine"] as const) {
    try {
      settings[key]?.close();
    } catch {
      // Already closed.
    }
    settings[key] = undefined;
  }
}

/** The policy pack the engine reports as passed (its "✅ name@version" line), if any. */
function packPassed(output: readonly string[]): string | undefined {
  return /✅\s+(\S+@v?\d\S*)/.exec(output.join(""))?.[1];
}

/**
 * What an engine failure says went wrong: each error diagnostic and policy violation once, with
 * its continuation lines, without warnings, the progress echo's repeats or the closing
 * "update failed".
 */
export function engineError(text: string): string {
  const items: string[] = [];
  let current: string[] | undefined;
  const flush = () => {
    if (current) items.push(current.join(" "));
    current = undefined;
  };
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (/\berror:|\[mandatory\]/.test(l)) {
      flush();
      const t = /\[mandatory\]/.test(l) ? l.replace(/^[-\s]*/, "") : l.replace(/^.*?\berror:/, "error:");
      if (!/^error: (update|preview|refresh|destroy) failed$/.test(t)) current = [t];
      continue;
    }
    // A blank line, a warning, a section or a resource heading ends the item.
    if (
      !l ||
      /warning:|^(Diagnostics|Resources|Policies|Duration|Outputs|code|stdout|stderr|err\?):|\):$|^[-+~*]?\s*[a-z]+:[\w/.-]+:\S+ /i.test(l)
    )
      flush();
    else current?.push(l);
  }
  flush();
  // The progress echo repeats the first line of a diagnostic: keep the fullest text of each.
  const kept = [...new Set(items)].filter((x, _, all) => !all.some((y) => y !== x && y.startsWith(x)));
  return (
    kept.slice(-4).join("\n") ||
    text
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ||
    "failed"
  );
}

function firstLine(text?: string): string {
  return (
    (text ?? "")
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? ""
  );
}

function changeText(changes: Record<string, number>): string {
  const words: Record<string, string> = { create: "created", update: "updated", delete: "deleted", replace: "replaced", same: "unchanged" };
  return Object.entries(changes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${words[k] ?? k}`)
    .join(", ");
}

/** The summary table: stack, result, changes, duration. */
export function summaryTable(results: readonly StackResult[]): string {
  const rows = [
    ["STACK", "RESULT", "CHANGES", "SECONDS"],
    ...results.map((r) => [r.stack, r.result, r.changes ? changeText(r.changes) || "none" : "-", r.seconds ? r.seconds.toFixed(1) : "-"]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}
