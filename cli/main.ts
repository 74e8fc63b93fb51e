import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { check } from "./check";
import { defaultStacksDir, EXIT, parseTimeOption, processIo, UsageError, type Io } from "./common";
import { admit } from "./admit";
import { affected } from "./affected";
import { defaultParallel, fleetRun, type Operation } from "./fleet-run";
import { policyConfig } from "./policy-config";
import { purge } from "./purge";
import { reclaim } from "./reclaim";
import { report } from "./report";
import { DEFAULT_PUE } from "../lease/report";
import { render } from "./render";
import { requestFromIssue } from "./request-from-issue";
import { DEFAULT_NOTICE_HOURS, request, type RequestOptions } from "./request";
import { validate } from "./validate";
import { deployInstantFrom, rfc3339Error } from "../lease/fields";

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected hours, zero or more, got ${JSON.stringify(v)}`);
  return n;
}

function seconds(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v.trim()))
    throw new InvalidArgumentError(`expected seconds, zero or more (e.g. 600), got ${JSON.stringify(v)}`);
  return Number(v);
}

function pue(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 1)
    throw new InvalidArgumentError(`expected a power usage effectiveness of 1 or more (e.g. 1.2), got ${JSON.stringify(v)}`);
  return n;
}

function time(v: string): string {
  const why = rfc3339Error(v);
  if (why) throw new InvalidArgumentError(`${why}, got ${JSON.stringify(v)}`);
  return v;
}

function list(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const stacksOption = () => new Option("--stacks <dir>", "the folder of stack files (default: the project's stacks/)");

/** Builds the command tree; each action stores its exit code in `result.code`. */
export function program(io: Io, result: { code: number }): Command {
  // One reading of the clock per command: `--since now --at now` is an empty interval, not a
  // refusal when the clock ticks between the two options.
  const NOW = Date.now();
  const cmd = new Command("leasehold")
    .description("Lease GPU cluster capacity to tenants: check, request and manage leases declared in Pulumi stack files.")
    .version(require("../package.json").version as string)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) })
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 the input breaks a rule (the messages say which), 2 usage error.

Examples:
  $ leasehold validate
  $ leasehold check --at 2027-01-01T00:00:00Z
  $ leasehold request --tenant acme --gpus 16 --gpu-type h100-80gb --pool h100-a \\
      --start 2027-06-01T00:00:00Z --end 2027-09-01T00:00:00Z`,
    );

  cmd
    .command("validate")
    .description("schema-check stack files, each on its own (default: every Pulumi.*.yaml of the stacks folder)")
    .argument("[files...]", "stack files to check")
    .addOption(stacksOption())
    .option("--json", "print machine-readable results on stdout")
    .addHelpText("after", "\nExamples:\n  $ leasehold validate\n  $ leasehold validate stacks/Pulumi.tenant-acme.yaml --json")
    .action((files: string[], o: { stacks?: string; json?: boolean }) => {
      result.code = validate(files, { stacks: o.stacks ?? defaultStacksDir(), json: o.json }, io);
    });

  cmd
    .command("check")
    .description(
      "check the fleet: every stack file valid, plus the rules across stacks (pool capacity and node exclusivity at every instant, unique ids, placements)",
    )
    .addOption(stacksOption())
    .option("--at <time>", "the instant the summary describes: RFC 3339 with an offset, or now", "now")
    .option("--json", "print machine-readable results on stdout")
    .addHelpText("after", "\nExamples:\n  $ leasehold check\n  $ leasehold check --stacks ./stacks --at 2027-01-01T00:00:00Z --json")
    .action((o: { stacks?: string; at: string; json?: boolean }) => {
      result.code = check({ stacks: o.stacks ?? defaultStacksDir(), at: parseTimeOption("--at", o.at), json: o.json }, io);
    });

  cmd
    .command("request")
    .description(
      "add a lease to a tenant stack (created when the tenant is new); refuses, changing no file, when the fleet check would fail",
    )
    .requiredOption("--tenant <name>", "the tenant (its stack is tenant-<name>)")
    .requiredOption("--gpus <n>", "how many GPUs", positiveInt)
    .requiredOption("--gpu-type <type>", "a GPU type of the platform's catalog, e.g. h100-80gb")
    .requiredOption("--start <time>", "window start, RFC 3339 with an offset", time)
    .requiredOption("--end <time>", "window end (exclusive), RFC 3339 with an offset", time)
    .requiredOption("--pool <pool>", "the platform pool to place the lease on")
    .option("--platform <stack>", "the platform stack (default: the tenant's, or the only one)")
    .option("--admins <groups>", "groups bound to tenant-admin, comma-separated (default for a new tenant: <tenant>:admins)", list)
    .option("--viewers <groups>", "groups bound to view, comma-separated (default for a new tenant: <tenant>:viewers)", list)
    .option(
      "--nodes <nodes>",
      "existing clusters: the leased nodes, comma-separated names or a Slurm hostlist such as gpu-[001-004,010] (default: free nodes of the pool)",
      (v: string) => [v],
    )
    .option("--id <id>", "the lease id (default: <tenant>-<gpu type>-<start date>)")
    .option("--notice-hours <hours>", "the reclaim clause's notice", nonNegativeNumber, DEFAULT_NOTICE_HOURS)
    .option("--dry-run", "print the resulting stack file instead of writing it")
    .option("--json", "print machine-readable results on stdout")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      `
Examples:
  $ leasehold request --tenant acme --gpus 16 --gpu-type h100-80gb --pool h100-a \\
      --start 2027-06-01T00:00:00Z --end 2027-09-01T00:00:00Z
  $ leasehold request --tenant delta --gpus 8 --gpu-type l40s --pool l40s-a --nodes l40s-002 \\
      --start 2027-01-01T00:00:00Z --end 2027-02-01T00:00:00Z --admins delta:ops --dry-run
  $ leasehold request --tenant acme --gpus 32 --gpu-type h100-80gb --pool h100-a --nodes 'gpu-[005-008]' \\
      --start 2027-06-01T00:00:00Z --end 2027-09-01T00:00:00Z`,
    )
    .action((o: Omit<RequestOptions, "stacks"> & { stacks?: string }) => {
      result.code = request(
        {
          stacks: o.stacks ?? defaultStacksDir(),
          tenant: o.tenant,
          gpus: o.gpus,
          gpuType: o.gpuType,
          start: o.start,
          end: o.end,
          pool: o.pool,
          platform: o.platform,
          admins: o.admins,
          viewers: o.viewers,
          nodes: o.nodes,
          id: o.id,
          noticeHours: o.noticeHours,
          dryRun: o.dryRun,
          json: o.json,
        },
        io,
      );
    });
  cmd
    .command("render")
    .description("print the Kubernetes objects a stack declares, as YAML: no cluster, no cloud credentials, no Pulumi CLI")
    .requiredOption("--stack <name>", "the stack, e.g. tenant-acme or platform-local")
    .option("--at <time>", "the instant to render: RFC 3339 with an offset, or now", "now")
    .option("--out <dir>", "write one file per object into this folder instead of printing")
    .option("--json", "print the objects and the stack's outputs as JSON")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      "\nExamples:\n  $ leasehold render --stack tenant-acme --at 2027-01-01T00:00:00Z\n  $ leasehold render --stack platform-local --out rendered/",
    )
    .action(async (o: { stack: string; at: string; out?: string; json?: boolean; stacks?: string }) => {
      result.code = await render(
        { stacks: o.stacks ?? defaultStacksDir(), stack: o.stack, at: parseTimeOption("--at", o.at), out: o.out, json: o.json },
        io,
      );
    });
  cmd
    .command("admit")
    .description(
      "would these workload manifests be admitted under the tenant's leases? (Pod Security restricted, lease pinning, GPU quota)",
    )
    .requiredOption("-f, --file <files...>", "manifest files (multi-document YAML and Lists are fine)")
    .requiredOption("--stack <name>", "the tenant stack, e.g. tenant-acme")
    .option("--at <time>", "the instant to judge at: RFC 3339 with an offset, or now", "now")
    .option("--json", 'print {"allowed", "violations": [{"policy", "message", "file", "object"}]} on stdout')
    .addOption(stacksOption())
    .addHelpText(
      "after",
      "\nExamples:\n  $ leasehold admit -f job.yaml --stack tenant-acme\n  $ leasehold admit -f a.yaml b.yaml --stack tenant-acme --at 2027-01-01T00:00:00Z --json",
    )
    .action((o: { file: string[]; stack: string; at: string; json?: boolean; stacks?: string }) => {
      result.code = admit(
        { files: o.file, stack: o.stack, at: parseTimeOption("--at", o.at), json: o.json, stacks: o.stacks ?? defaultStacksDir() },
        io,
      );
    });

  cmd
    .command("reclaim")
    .description(
      "write a reclaim notice into a lease (effective after the contract's notice, sooner only with --emergency), or withdraw one with --cancel",
    )
    .requiredOption("--stack <name>", "the tenant stack, e.g. tenant-acme")
    .requiredOption("--lease <id>", "the lease to reclaim")
    .option("--reason <text>", "why, in words the tenant reads (required unless --cancel)")
    .option("--notice <hours>", "hours of notice to give (default and minimum: the lease's noticeHours)", nonNegativeNumber)
    .option("--emergency", "allow a notice shorter than the contract's; recorded as an emergency")
    .option("--cancel", "withdraw the lease's notice before it takes effect")
    .option("--json", "print machine-readable results on stdout")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      '\nThe notice is issued now (or at LEASEHOLD_AT). Examples:\n  $ leasehold reclaim --stack tenant-acme --lease acme-h100-2026q4 --reason "Capacity moves to a new cluster."\n  $ leasehold reclaim --stack tenant-acme --lease acme-h100-2026q4 --notice 4 --emergency --reason "Cooling failure in hall B."\n  $ leasehold reclaim --stack tenant-acme --lease acme-h100-2026q4 --cancel',
    )
    .action(
      (o: {
        stack: string;
        lease: string;
        reason?: string;
        notice?: number;
        emergency?: boolean;
        cancel?: boolean;
        json?: boolean;
        stacks?: string;
      }) => {
        const now = deployInstantFrom();
        if (typeof now === "string") throw new UsageError(now);
        result.code = reclaim({ ...o, stacks: o.stacks ?? defaultStacksDir(), now }, io);
      },
    );

  cmd
    .command("purge")
    .description("mark a tenant's data (its namespace and every PVC in it) for deletion: the only way tenant data is ever deleted")
    .requiredOption("--stack <name>", "the tenant stack, e.g. tenant-acme")
    .requiredOption("--tenant <name>", "the tenant whose data goes")
    .option("--confirm <name>", "the tenant's name again, to confirm")
    .option("--cancel", "withdraw the purge marker")
    .option("--json", "print machine-readable results on stdout")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      "\nRefused while any of the tenant's leases is in force or still to come (at now, or LEASEHOLD_AT).\nThen `pulumi up` lifts the namespace's protection and `pulumi destroy` deletes it. Examples:\n  $ leasehold purge --stack tenant-acme --tenant acme --confirm acme\n  $ leasehold purge --stack tenant-acme --tenant acme --cancel",
    )
    .action((o: { stack: string; tenant: string; confirm?: string; cancel?: boolean; json?: boolean; stacks?: string }) => {
      const now = deployInstantFrom();
      if (typeof now === "string") throw new UsageError(now);
      result.code = purge({ ...o, stacks: o.stacks ?? defaultStacksDir(), now }, io);
    });

  cmd
    .command("report")
    .description(
      "GPU-hours, list cost and energy per lease and tenant over a period, each pool's leased share, and an allocation chart (SVG)",
    )
    .option("--from <time>", "the period's start (RFC 3339 with an offset, or now; default: the first lease's start)")
    .option("--to <time>", "the period's end, exclusive (default: the last lease's end)")
    .option("--pue <n>", "power usage effectiveness of the data center", pue, DEFAULT_PUE)
    .option("--out <dir>", "write report.md, report.json and allocation.svg into this folder")
    .option("--json", "print the report as JSON on stdout")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      "\nExamples:\n  $ leasehold report --out report/\n  $ leasehold report --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z --pue 1.3 --json",
    )
    .action(async (o: { from?: string; to?: string; pue: number; out?: string; json?: boolean; stacks?: string }) => {
      result.code = await report(
        {
          stacks: o.stacks ?? defaultStacksDir(),
          from: o.from === undefined ? undefined : parseTimeOption("--from", o.from),
          to: o.to === undefined ? undefined : parseTimeOption("--to", o.to),
          pue: o.pue,
          out: o.out,
          json: o.json,
        },
        io,
      );
    });

  cmd
    .command("affected")
    .description(
      "the stacks to preview or deploy, platforms first: those a git diff affects (--base), those whose leases change state (--at --since), or all",
    )
    .option("--base <ref>", "a git revision: the stacks the diff from its merge base to --head affects")
    .option("--head <ref>", "with --base: the revision compared (default HEAD)")
    .option("--at <time>", "the lease clock: the end of the interval, RFC 3339 with an offset, or now")
    .option("--since <time>", "the lease clock: the start of the interval (exclusive), e.g. the last scheduled run")
    .option("--all", "every stack")
    .option("--json", 'print {"stacks": [{stack, role, reasons}], "platforms", "tenants", "removed", "shards"} on stdout')
    .option("--max-shards <n>", "with --json: the most CI shard jobs `shards` lists (one per 50 stacks)", positiveInt, 16)
    .option("--shard <k/n>", "only the stacks of shard k of n (as leasehold up --shard)")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      "\nStack names go to stdout, one per line, in deploy order; the reasons to stderr. Examples:\n  $ leasehold affected --base origin/main\n  $ leasehold affected --since 2026-12-01T00:00:00Z --at now\n  $ leasehold affected --all --json",
    )
    .action(
      (o: {
        at?: string;
        since?: string;
        base?: string;
        head?: string;
        all?: boolean;
        json?: boolean;
        maxShards?: number;
        shard?: string;
        stacks?: string;
      }) => {
        result.code = affected(
          {
            stacks: o.stacks ?? defaultStacksDir(),
            at: o.at === undefined ? undefined : parseTimeOption("--at", o.at, NOW),
            since: o.since === undefined ? undefined : parseTimeOption("--since", o.since, NOW),
            base: o.base,
            head: o.head,
            all: o.all,
            json: o.json,
            maxShards: o.maxShards,
            shard: o.shard,
          },
          io,
        );
      },
    );

  const descriptions: Record<Operation, string> = {
    up: "deploy the selected stacks (platforms first), each with the policy pack and its lease contract",
    preview: "preview the selected stacks (platforms first), each with the policy pack and its lease contract",
    refresh: "refresh the selected stacks from the cluster and the cloud",
    destroy: "destroy the selected stacks (tenants before their platform)",
  };
  for (const op of ["up", "preview", "refresh", "destroy"] as const) {
    const c = cmd.command(op);
    if (op === "up" || op === "preview") c.option("--refresh", "refresh each stack from the cluster and the cloud first");
    if (op === "up" || op === "preview")
      c.option(
        "--expect-no-changes",
        "a stack whose run would change something fails (drift checks: preview --refresh --expect-no-changes)",
      );
    c.description(`${descriptions[op]}, on Pulumi's Automation API, several at a time`)
      .option("--stack <names...>", "these stacks")
      .option("--affected", "the stacks a git diff affects (with --base, as leasehold affected)")
      .option("--base <ref>", "with --affected: the git revision compared")
      .option("--head <ref>", "with --affected: the revision compared with --base (default HEAD)")
      .option("--since <time>", "the lease clock: the stacks whose leases change state in (--since, --at]")
      .option("--at <time>", "the deploy instant of every stack (default: LEASEHOLD_AT, else now); with --since, the end of the interval")
      .option("--all", "every stack")
      .option("--role <role>", "of the selected stacks, only the platforms or only the tenants (platform, tenant)")
      .option("--shard <k/n>", "of the selected stacks, only shard k of n (stack names hashed; CI runs n jobs, k = 1..n)")
      .option("--parallel <n>", `stacks at a time (default: the machine's cores, at most 8: ${defaultParallel()} here)`, positiveInt)
      .option(
        "--lock-wait <seconds>",
        "a stack another run holds locked is tried again until this many seconds have passed (default 0: fails at once)",
        seconds,
      )
      .option(
        "--json",
        'print {"ok", "operation", "at", "seconds", "stacks": [{stack, result, changes, seconds, message, recovery}]} on stdout',
      )
      .addOption(stacksOption())
      .addHelpText(
        "after",
        `\nA summary table ends the run; exit 1 when any stack failed (a failed platform skips its tenants, nothing else). Ctrl-C starts no new stack and lets the running ones finish. Examples:\n  $ leasehold ${op} --stack tenant-acme\n  $ leasehold ${op} --affected --base origin/main --parallel 4\n  $ leasehold ${op} --all --json`,
      )
      .action(
        async (o: {
          stack?: string[];
          affected?: boolean;
          base?: string;
          head?: string;
          at?: string;
          since?: string;
          all?: boolean;
          role?: string;
          shard?: string;
          parallel?: number;
          lockWait?: number;
          refresh?: boolean;
          expectNoChanges?: boolean;
          json?: boolean;
          stacks?: string;
        }) => {
          result.code = await fleetRun(
            op,
            {
              stacks: o.stacks ?? defaultStacksDir(),
              stack: o.stack,
              affected: o.affected,
              base: o.base,
              head: o.head,
              at: o.at === undefined ? undefined : parseTimeOption("--at", o.at, NOW),
              since: o.since === undefined ? undefined : parseTimeOption("--since", o.since, NOW),
              all: o.all,
              role: o.role,
              shard: o.shard,
              parallel: o.parallel,
              lockWait: o.lockWait,
              refresh: o.refresh,
              expectNoChanges: o.expectNoChanges,
              json: o.json,
            },
            io,
          );
        },
      );
  }

  cmd
    .command("request-from-issue")
    .description("leasehold request, with its options read from a lease request filed through the issue form")
    .requiredOption("--body <file>", "the issue's body, as GitHub renders the form (- for standard input)")
    .option("--form <file>", "the issue form (default: .github/ISSUE_TEMPLATE/lease-request.yml of the project)")
    .option("--dry-run", "print the resulting stack file instead of writing it")
    .option("--json", "print machine-readable results on stdout")
    .addOption(stacksOption())
    .action(async (o: { body: string; form?: string; dryRun?: boolean; json?: boolean; stacks?: string }) => {
      result.code = await requestFromIssue({ ...o, stacks: o.stacks ?? defaultStacksDir() }, io, (argv) => main(argv, io));
    });

  cmd
    .command("policy-config")
    .description("the policy pack config carrying a stack's lease contract, for pulumi preview --policy-pack-config")
    .requiredOption("--stack <name>", "the stack, e.g. tenant-acme")
    .option("--at <time>", "judge at this instant (default: whenever the policies run)")
    .option("--out <file>", "write to this file instead of stdout")
    .addOption(stacksOption())
    .addHelpText(
      "after",
      "\nExamples:\n  $ leasehold policy-config --stack tenant-acme --out policy-config.json\n  $ pulumi preview --stack tenant-acme --policy-pack policies --policy-pack-config policy-config.json",
    )
    .action((o: { stack: string; at?: string; out?: string; stacks?: string }) => {
      result.code = policyConfig(
        {
          stack: o.stack,
          at: o.at === undefined ? undefined : parseTimeOption("--at", o.at),
          out: o.out,
          stacks: o.stacks ?? defaultStacksDir(),
        },
        io,
      );
    });
  return cmd;
}

/** Runs the CLI; returns the exit code. A user mistake never surfaces as a stack trace. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const result = { code: EXIT.ok as number };
  try {
    await program(io, result).parseAsync(argv, { from: "user" });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every parse error is a usage error.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError) {
      io.err(`leasehold: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}
