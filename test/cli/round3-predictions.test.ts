import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { goInt } from "../../lease/kube-yaml";
import { ROOT, run } from "./helpers";

// ../shared/cases/round3: manifests `leasehold admit` judged otherwise than kubectl and the API
// server. The e2e admission differential runs the same kinds against the API server.

const CASES = path.join(ROOT, "test/fixtures/cases/round3");
const STACKS = path.join(ROOT, "stacks");
type Verdict = {
  code: number;
  allowed: boolean;
  violations: { object: string; message: string }[];
  warnings: { object: string; message: string }[];
};
async function admit(stack: string, at: string, file: string): Promise<Verdict> {
  const r = await run("admit", "--stacks", STACKS, "--stack", stack, "--at", at, "--json", "-f", path.join(CASES, file));
  return { code: r.code, ...JSON.parse(r.stdout) };
}
const BLUEFIN = ["tenant-bluefin", "2026-10-01T00:00:00Z"] as const;
const of = (v: { object: string; message: string }[], object: string) =>
  v.filter((x) => x.object.endsWith(`/${object}`)).map((x) => x.message);

describe("admit reads and judges as kubectl and the API server do (round3)", () => {
  it("Go's integers: 0o20 replicas are 16 (128 GPUs: refused), 0o10 GPUs are 8 (admitted)", async () => {
    const r = await admit(...BLUEFIN, "replicas-0o.yaml");
    expect(of(r.violations, "r-0o20")).toEqual([
      "Deployment requests 8 nvidia.com/gpu per pod x 16 pod(s) = 128 GPUs, but tenant bluefin's leases in force at 2026-10-01T00:00:00Z grant 8.",
    ]);
    const g = await admit(...BLUEFIN, "gpu-0o.yaml");
    expect(g.violations).toEqual([]);
    expect(g.allowed).toBe(true);
  });

  it("goInt reads what Go's strconv.ParseInt(s, 0, 64) reads once go-yaml v2 removed underscores", () => {
    expect(goInt("0o20")).toBe(16);
    expect(goInt("0O20")).toBe(16);
    expect(goInt("-0o20")).toBe(-16);
    expect(goInt("+0x10")).toBe(16);
    expect(goInt("0X10")).toBe(16);
    expect(goInt("0B101")).toBe(5);
    expect(goInt("0o_2_0")).toBe(16);
    expect(goInt("010")).toBe(8);
    expect(goInt("0o8")).toBeUndefined();
    expect(goInt("0o")).toBeUndefined();
    expect(goInt("1e3")).toBeUndefined();
    expect(goInt("0x1p-2")).toBeUndefined();
  });

  it("pod-level resources: refused when the LimitRange's container defaults break them, admitted when they fit", async () => {
    const r = await admit(...BLUEFIN, "podlevel.yaml");
    expect(of(r.violations, "too-small")).toEqual([
      "Container app's memory limit (the LimitRange's default, 4Gi) is over the pod-level limit 2Gi; the API server refuses it.",
      "Container sidecar's memory limit (the LimitRange's default, 4Gi) is over the pod-level limit 2Gi; the API server refuses it.",
      "The pod-level cpu request 500m is under its containers' requests together (with the LimitRange's defaults for those that state none): the API server refuses it; raise spec.resources.requests.cpu or set the containers' own.",
      "The pod-level memory request 1Gi is under its containers' requests together (with the LimitRange's defaults for those that state none): the API server refuses it; raise spec.resources.requests.memory or set the containers' own.",
    ]);
    expect(of(r.violations, "fits")).toEqual([]);
  });

  it("restart policies: a Job's left out (Always) and a Deployment's OnFailure are refused", async () => {
    const r = await admit(...BLUEFIN, "job-restartpolicy.yaml");
    expect(of(r.violations, "no-restart-policy")).toEqual([
      "A Job's pod template must set restartPolicy OnFailure or Never (left out, it is Always); the API server refuses it.",
    ]);
    expect(of(r.violations, "on-failure")).toEqual([
      "A Deployment's pods must restart Always, not OnFailure; the API server refuses it (spec.template.spec.restartPolicy).",
    ]);
  });

  it("a GPU DaemonSet whose rolling update surges is admitted with a warning, as the Deployment is", async () => {
    const r = await admit(...BLUEFIN, "daemonset-surge.yaml");
    expect(r.allowed).toBe(true);
    expect(of(r.warnings, "node-trainer")).toContain(
      "A rolling update of this DaemonSet starts each node's new pod before its old one stops (maxSurge): 2 x 8 nvidia.com/gpu on one node at once, which its lease's node and quota never hold, so the update would never finish; set updateStrategy.rollingUpdate.maxSurge: 0 (and maxUnavailable: 1).",
    );
  });

  it("a YAML 1.1 boolean where a string is wanted (a container named n) is refused, as the API server cannot decode it", async () => {
    const r = await admit("tenant-corvid", "2026-12-10T00:00:00Z", "yaml11-bool-in-string-field.yaml");
    expect(r.code).toBe(1);
    expect(of(r.violations, "notebook")).toEqual([
      "spec.containers[0].name is false, not a string: kubectl sends it so (YAML 1.1 reads y/n, yes/no, on/off as booleans, digits as numbers) and the API server cannot decode it; quote it.",
    ]);
  });
});
