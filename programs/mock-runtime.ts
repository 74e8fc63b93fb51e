import type * as pulumiSdk from "@pulumi/pulumi";

// The one way leasehold runs a program without an engine: Pulumi's mock runtime, strict (a
// provider function call is an error: the programs call none), with every resource recorded as
// the engine would receive it. `leasehold render` and the unit tests both run programs here.

/** One resource the program registered, as the engine would have received it. */
export interface Recorded {
  /** The type token, e.g. `kubernetes:core/v1:Namespace`. */
  type: string;
  /** The resource's logical name. */
  name: string;
  /** Its inputs, resolved: the resource's arguments, of any shape. */
  // The tests read the nested inputs of every resource type field by field; `unknown` would need a cast at each of those reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary resource inputs, read field by field
  inputs: Record<string, any>;
  /** Its explicit provider reference (`urn::id`), when it has one. */
  provider?: string;
  /** False for component resources. */
  custom: boolean;
  /** The resource option `protect`: the engine refuses to delete it. */
  protect: boolean;
  /** The resource option `retainOnDelete`: deleting the resource leaves the cloud or cluster object in place. */
  retainOnDelete: boolean;
  /**
   * Its URN as the engine makes it: `urn:pulumi:<stack>::leasehold::<parent types $-joined>$<type>::<name>`.
   * A changed URN is a delete and a create (pulumi-kubernetes#2948), so tests pin them.
   */
  urn: string;
}

/** What {@link runMocked} needs besides the program. */
export interface MockRunOptions {
  /** The stack name the program sees. */
  stack: string;
  /** The outputs every StackReference reads (the platform stack's). @default a kubeconfig to https://x */
  platformOutputs?: Record<string, unknown>;
  /** Output names of the StackReference that are secrets. @default none */
  secretOutputNames?: string[];
  /** Stack config as the Pulumi CLI hands it over (`leasehold:key` to text). @default none set */
  config?: Record<string, string>;
}

/** What a mocked run produced. */
export interface MockRun {
  /** Every registration, in order, with its resource options. */
  recorded: Recorded[];
  /** The program's returned outputs, resolved; secret ones as "[secret]". */
  outputs: Record<string, unknown>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
}

const DEFAULT_PLATFORM_OUTPUTS = {
  kubeconfig:
    "apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://x'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
};

/**
 * Puts this process under Pulumi's strict mock runtime as stack `opts.stack` with `opts.config`,
 * and returns the list every registration from now on is recorded into.
 */
export async function useMockRuntime(opts: MockRunOptions): Promise<Recorded[]> {
  const pulumi = require("@pulumi/pulumi") as typeof pulumiSdk;
  const recorded: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          custom: args.custom ?? true,
          protect: false,
          retainOnDelete: false,
          urn: "",
        });
        if (args.type === "pulumi:pulumi:StackReference") {
          return {
            id: args.inputs.name,
            state: {
              name: args.inputs.name,
              outputs: opts.platformOutputs ?? DEFAULT_PLATFORM_OUTPUTS,
              secretOutputNames: opts.secretOutputNames ?? [],
            },
          };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        throw new Error(`unexpected provider call ${args.token}: leasehold's programs call no provider function`);
      },
    },
    "leasehold",
    opts.stack,
    false,
    // The DIY (file) backend's organization, so StackReference names match a real deploy.
    "organization",
  );
  pulumi.runtime.setAllConfig(opts.config ?? {});
  return recorded;
}

/**
 * Runs `build` (a program, returning its outputs) under strict mocks and waits until every
 * registration is done. Errors: the program's own (thrown or rejected), and any provider function
 * call. The Pulumi SDK is loaded on first use, so commands that never render start faster.
 */
export async function runMocked(build: () => unknown, opts: MockRunOptions): Promise<MockRun> {
  const pulumi = require("@pulumi/pulumi") as typeof pulumiSdk;
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    waitForRPCs(): Promise<void>;
    getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): Promise<void> };
  };
  const recorded = await useMockRuntime(opts);
  // The mocks API does not pass resource options on; the registration request (what the engine
  // receives) does, so read protect and retainOnDelete from it.
  const options = new Map<string, { protect: boolean; retainOnDelete: boolean; urn: string }>();
  // The mock monitor names a child by its parent's last type alone; the engine qualifies it by
  // the parent's whole chain of types. Keep the engine's URN of every registration, by the mock's.
  const engineUrns = new Map<string, string>();
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const [type, name, parent] = [req.getType(), req.getName(), req.getParent()];
    const mockUrn = `urn:pulumi:${opts.stack}::leasehold::${parent ? `${parent.split("::")[2]!.split("$").pop()}$` : ""}${type}::${name}`;
    const parentType = parent ? (engineUrns.get(parent) ?? parent).split("::")[2]! : "";
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    const urn = `urn:pulumi:${opts.stack}::leasehold::${qualified}::${name}`;
    engineUrns.set(mockUrn, urn);
    options.set(`${type}::${name}`, { protect: req.getProtect() ?? false, retainOnDelete: req.getRetainondelete() ?? false, urn });
    return register(req, cb);
  };
  const failures: unknown[] = [];
  const onRejection = (e: unknown) => failures.push(e);
  process.on("unhandledRejection", onRejection);
  let outputs: Record<string, unknown> = {};
  try {
    const out = build();
    if (out && typeof out === "object") outputs = await resolveOutputs(pulumi, out as Record<string, unknown>);
    await settings.waitForRPCs();
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length > 0) throw failures[0];
  for (const r of recorded) {
    Object.assign(r, options.get(`${r.type}::${r.name}`));
    // A read (a StackReference) is not registered: the engine names it at the stack's root.
    if (!r.urn) r.urn = `urn:pulumi:${opts.stack}::leasehold::${r.type}::${r.name}`;
  }
  return { recorded, outputs };
}

async function resolveOutputs(pulumi: typeof pulumiSdk, result: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) {
    const o = pulumi.output(v as pulumiSdk.Input<unknown>) as pulumiSdk.Output<unknown>;
    const resolved = await new Promise<unknown>((resolve) => o.apply((x: unknown) => resolve(x)));
    // Secret outputs are never printed.
    const secret = await (o as unknown as { isSecret: Promise<boolean> }).isSecret;
    out[k] = secret ? "[secret]" : resolved;
  }
  return out;
}
