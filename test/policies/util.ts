import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

// Builds the arguments the engine hands to policies, as the pack's server does (@pulumi/policy
// server.js): type matching by the class's Pulumi type token, per-policy config, and
// notApplicable() as an exception that the runner catches.

class NotApplicable extends Error {}

type ResourceClass = { new (...rest: any[]): any; __pulumiType?: string };

function typeOf(cls: ResourceClass | string): string {
  if (typeof cls === "string") return cls;
  const t = (cls as { __pulumiType?: string }).__pulumiType;
  if (!t) throw new Error(`class ${cls.name} has no Pulumi type token`);
  return t;
}

const isTypeOf = (type: string) => (cls: ResourceClass) => typeOf(cls) === type;

/** A resource for a policy test: its class (or type token), its properties, a name. */
export interface TestResource {
  type: ResourceClass | string;
  props: Record<string, any>;
  name?: string;
  /** Resource options as the engine reports them (protect, ...). */
  opts?: Partial<PolicyResourceOptions>;
}

const defaultOpts = (): PolicyResourceOptions => ({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  additionalSecretOutputs: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
});

export function createResourceValidationArgs(r: TestResource, config: object = {}): ResourceValidationArgs {
  const type = typeOf(r.type);
  return {
    type,
    props: r.props,
    urn: `urn:pulumi:test::leasehold::${type}::${r.name ?? "r"}`,
    name: r.name ?? "r",
    opts: { ...defaultOpts(), ...r.opts },
    stackTags: new Map(),
    isType: isTypeOf(type) as ResourceValidationArgs["isType"],
    asType: ((cls: ResourceClass) => (typeOf(cls) === type ? r.props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export function createStackValidationArgs(resources: TestResource[], config: object = {}): StackValidationArgs {
  const policyResources: PolicyResource[] = resources.map((r, i) => {
    const type = typeOf(r.type);
    return {
      type,
      props: r.props,
      urn: `urn:pulumi:test::leasehold::${type}::${r.name ?? `r${i}`}`,
      name: r.name ?? `r${i}`,
      opts: { ...defaultOpts(), ...r.opts },
      dependencies: [],
      propertyDependencies: {},
      isType: isTypeOf(type) as PolicyResource["isType"],
      asType: ((cls: ResourceClass) => (typeOf(cls) === type ? r.props : undefined)) as PolicyResource["asType"],
    };
  });
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** What a policy said: its violations, or that it does not apply (and why). */
export interface Verdict {
  violations: { message: string; urn?: string }[];
  notApplicable?: string;
}

export async function runResourcePolicy(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Verdict> {
  const violations: Verdict["violations"] = [];
  const report: ReportViolation = (message, urn) => violations.push({ message, urn });
  const fns = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  try {
    for (const fn of fns) await fn(args, report);
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, notApplicable: e.message };
    throw e;
  }
  return { violations };
}

export async function runStackPolicy(policy: StackValidationPolicy, args: StackValidationArgs): Promise<Verdict> {
  const violations: Verdict["violations"] = [];
  const report: ReportViolation = (message, urn) => violations.push({ message, urn });
  try {
    await policy.validateStack(args, report);
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, notApplicable: e.message };
    throw e;
  }
  return { violations };
}

/** Asserts-friendly: the messages of a verdict. */
export const messages = (v: Verdict) => v.violations.map((x) => x.message);
