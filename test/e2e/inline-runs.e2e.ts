import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as pulumi from "@pulumi/pulumi";
import * as auto from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeEngineClients } from "../../cli/fleet-run";

// `leasehold up` runs every stack of a fleet as an Automation API inline program inside its own
// process. These runs use the real Pulumi CLI and engine (a file backend, no cluster): they prove
// that a finished run's resources and outputs can be collected once leasehold closes the run's
// engine connections, and that without that they cannot (the runtime's own disconnect leaves
// them open), so a fleet of 1,000 stacks does not keep 1,000 programs' objects alive.

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-inline-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The runtime store of the program run now (the Automation API gives each inline run one). */
function currentStore(): object | undefined {
  return (globalThis as { asyncLocalStorage?: { getStore(): object | undefined } }).asyncLocalStorage?.getStore();
}

/** Runs `up` of an inline program of `n` component resources with outputs; a WeakRef to its store. */
async function runOnce(stackName: string, n: number, close: boolean): Promise<WeakRef<object>> {
  const { PATH } = inject("e2e");
  let store: object | undefined;
  const program = async () => {
    store = currentStore();
    const outs: pulumi.Output<string>[] = [];
    for (let i = 0; i < n; i++) {
      const c = new pulumi.ComponentResource("test:index:Thing", `thing-${i}`, {});
      outs.push(pulumi.output(`value-${i}`).apply((v) => `${v}-${c.urn ? "x" : "y"}`));
    }
    return { count: pulumi.all(outs).apply((o) => o.length) };
  };
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "inline-runs", program },
    {
      envVars: {
        PATH,
        PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "test",
        PULUMI_HOME: path.join(work, "home"),
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      },
      pulumiCommand: await auto.PulumiCommand.get({ skipVersionCheck: true }),
    },
  );
  try {
    await stack.up({ color: "never" });
  } finally {
    if (close) closeEngineClients(store as Parameters<typeof closeEngineClients>[0]);
  }
  expect(store).toBeDefined();
  const ref = new WeakRef(store!);
  // The program's closure holds this variable: drop the strong reference the test itself made.
  // eslint-disable-next-line no-useless-assignment
  store = undefined;
  return ref;
}

/** Collects garbage until `ref` is cleared or `rounds` passes went by (timers and sockets close asynchronously). */
async function collected(ref: WeakRef<object>, rounds = 20): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

describe("inline programs in one process (leasehold up's runs)", () => {
  const savedPath = process.env.PATH;
  afterAll(() => {
    process.env.PATH = savedPath;
  });
  beforeAll(() => {
    fs.mkdirSync(path.join(work, "state"), { recursive: true });
    // The toolchain's Pulumi CLI, as PulumiCommand.get finds it.
    process.env.PATH = inject("e2e").PATH;
  });

  // The first run and the latest one may stay reachable from objects the runtime keeps process-wide
  // (the gRPC subchannel pool's cleanup timer is made in the first run and carries its store; the
  // runtime keeps the latest run's stack resource in a global): at most two runs, never growing.
  it("a finished run's resources and outputs are collected once leasehold closes its engine connections", async () => {
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 4; i++) refs.push(await runOnce(`closed-${i}`, 50, true));
    const results = [];
    for (const ref of refs.slice(1, 3)) results.push(await collected(ref));
    expect(results).toEqual([true, true]);
  });

  it("without that, the runtime's connections keep the whole run alive (the leak the close works around)", async () => {
    const open = await runOnce("left-open", 50, false);
    await runOnce("closed-after", 50, true);
    // When this fails, @pulumi/pulumi closes a run's own clients itself and closeEngineClients
    // (cli/fleet-run.ts) can go.
    expect(await collected(open)).toBe(false);
    // Close them now: their open channels would keep the test worker from exiting.
    const leftOpen = open.deref();
    if (leftOpen) closeEngineClients(leftOpen as Parameters<typeof closeEngineClients>[0]);
  });
});
