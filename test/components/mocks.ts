import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, as the engine would have received it. */
export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  custom: boolean;
  /** The resource options the registration carried that decide whether it can ever be deleted. */
  protect: boolean;
  retainOnDelete: boolean;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
}
const settings = require("@pulumi/pulumi/runtime/settings") as {
  waitForRPCs(): Promise<void>;
  getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): Promise<void> };
};

/**
 * Runs `build` under strict mocks (any provider function call fails the test; every resource is
 * recorded with its inputs returned as its state) and waits until every registration is done.
 */
export async function runMocked(build: () => unknown, stack = "test", platformOutputs?: Record<string, unknown>): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom ?? true, protect: false, retainOnDelete: false });
        if (args.type === "pulumi:pulumi:StackReference") {
          return { id: args.inputs.name, state: { name: args.inputs.name, outputs: platformOutputs ?? { kubeconfig: "apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://x'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n" } } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        throw new Error(`unexpected provider call in a unit test: ${args.token}`);
      },
    },
    "leasehold",
    stack,
    false,
    "organization",
  );
  // The mocks API does not pass resource options on; the registration request (what the engine
  // receives) does, so read protect and retainOnDelete from it.
  const options = new Map<string, { protect: boolean; retainOnDelete: boolean }>();
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    options.set(`${req.getType()}::${req.getName()}`, { protect: req.getProtect() ?? false, retainOnDelete: req.getRetainondelete() ?? false });
    return register(req, cb);
  };
  const failures: unknown[] = [];
  const onRejection = (e: unknown) => failures.push(e);
  process.on("unhandledRejection", onRejection);
  try {
    const out = build();
    if (out && typeof out === "object") for (const v of Object.values(out)) await promiseOf(v);
    await settings.waitForRPCs();
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length > 0) throw failures[0];
  for (const r of recorded) Object.assign(r, options.get(`${r.type}::${r.name}`));
  return recorded;
}

/** The value of an Output (or a plain value), awaited: never assert inside an apply. */
export function promiseOf<T>(v: pulumi.Input<T> | unknown): Promise<T> {
  return new Promise((resolve) => pulumi.output(v as pulumi.Input<T>).apply((x) => resolve(x as T)));
}

/** The recorded Kubernetes objects of one type token, e.g. `kubernetes:core/v1:ResourceQuota`. */
export function ofType(recorded: Recorded[], type: string): Recorded[] {
  return recorded.filter((r) => r.type === type);
}
