import * as fs from "node:fs";
import { contractOf } from "../lease/contract";
import { isoInstant } from "../lease/fields";
import { loadWithPlatform, stackFile } from "../lease/load";
import { POLICY_NAMES, policyPackConfig } from "../lease/policy-names";
import { EXIT, printProblems, requireDir, UsageError, type Io } from "./common";

/** Options of `leasehold policy-config`. */
export interface PolicyConfigOptions {
  /** The stacks folder. */
  stacks: string;
  /** The stack whose lease contract the config carries, e.g. `tenant-acme`. */
  stack: string;
  /** Judge at this instant (epoch milliseconds) instead of the moment the policies run. */
  at?: number;
  /** Write the config (JSON) to this file instead of stdout. */
  out?: string;
}

/**
 * `leasehold policy-config`: the policy pack config that carries a stack's lease contract, for
 * `pulumi preview --policy-pack policies --policy-pack-config FILE`.
 */
export function policyConfig(opts: PolicyConfigOptions, io: Io): number {
  requireDir(opts.stacks);
  const file = stackFile(opts.stacks, opts.stack);
  if (!fs.existsSync(file)) throw new UsageError(`--stack: no stack file ${file}`);
  const found = loadWithPlatform(opts.stacks, opts.stack);
  if (Array.isArray(found)) {
    printProblems(io, found);
    return EXIT.rule;
  }
  const contract = contractOf(found.stack, found.platform, opts.at === undefined ? undefined : isoInstant(opts.at));
  const config = policyPackConfig(contract);
  const text = `${JSON.stringify(config, null, 2)}\n`;
  if (opts.out) {
    fs.writeFileSync(opts.out, text);
    io.err(`wrote the lease contract of ${found.stack.name} for ${POLICY_NAMES.length} policies to ${opts.out}`);
  } else io.out(text);
  return EXIT.ok;
}
