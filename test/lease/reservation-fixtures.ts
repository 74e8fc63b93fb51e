import { stringify } from "yaml";
import { loadStackText, type Stack } from "../../lease/load";
import { formatProblem } from "../../lease/problems";

// Shared by the capacity reservation tests: an EKS cluster, a two-week capacity block, and stack
// texts through the real loader.

/** An EKS cluster of two zones of us-east-2. */
export const CLUSTER = {
  provider: "eks",
  name: "gpu",
  version: "1.33",
  vpcCidr: "10.40.0.0/16",
  availabilityZones: ["us-east-2a", "us-east-2b"],
};

/** A capacity block from 2027-01-01 to 2027-01-15, 11:30 UTC (when blocks start and end). */
export const BLOCK = {
  id: "cr-0123456789abcdef0",
  kind: "capacity-block",
  availabilityZone: "us-east-2a",
  start: "2027-01-01T11:30:00Z",
  end: "2027-01-15T11:30:00Z",
};

/** A stack file `stacks/Pulumi.<name>.yaml` with `config`, through the loader. */
export function load(name: string, config: object) {
  return loadStackText(`stacks/Pulumi.${name}.yaml`, stringify({ config }));
}

/** {@link load}, for a valid stack: its problems thrown otherwise. */
export function ok(name: string, config: object): Stack {
  const r = load(name, config);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("; "));
  return r.stack;
}
