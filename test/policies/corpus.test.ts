import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { contractOf } from "../../lease/contract";
import { loadStackFile, type PlatformStack, type TenantStack } from "../../lease/load";
import { podSecurityRestrictedPolicy } from "../../policies/workloads";
import { createResourceValidationArgs, messages, runResourcePolicy } from "./util";

// Kubernetes' own Pod Security fixtures (restricted/fail and restricted/pass), through the pack's
// pod-security-restricted policy, as a bare Pod and as the pod template of a Deployment and of a
// CronJob. The corpus lives outside the project; without it these tests skip.

const CORPUS = path.resolve(__dirname, "../../../shared/corpora/pod-security");
const present = fs.existsSync(path.join(CORPUS, "restricted"));
const STACKS = path.resolve(__dirname, "../../stacks");
const stack = <T>(n: string) => (loadStackFile(path.join(STACKS, `Pulumi.${n}.yaml`)) as unknown as { stack: T }).stack;
const cfg = { contract: contractOf(stack<TenantStack>("tenant-acme"), stack<PlatformStack>("platform-local"), "2026-12-20T00:00:00Z") };

const fixtures = (dir: string) =>
  present
    ? fs
        .readdirSync(path.join(CORPUS, dir))
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => ({ name: f, pod: parse(fs.readFileSync(path.join(CORPUS, dir, f), "utf8")) as { metadata?: object; spec: object } }))
    : [];

const wrappers: [string, (pod: { metadata?: object; spec: object }) => { type: any; props: object }][] = [
  ["Pod", (pod) => ({ type: k8s.core.v1.Pod, props: pod })],
  [
    "Deployment",
    (pod) => ({
      type: k8s.apps.v1.Deployment,
      props: { metadata: { name: "d" }, spec: { selector: {}, template: { metadata: pod.metadata, spec: pod.spec } } },
    }),
  ],
  [
    "CronJob",
    (pod) => ({
      type: k8s.batch.v1.CronJob,
      props: {
        metadata: { name: "c" },
        spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { metadata: pod.metadata, spec: pod.spec } } } },
      },
    }),
  ],
];

describe.skipIf(!present)(`Pod Security corpus through pod-security-restricted (${CORPUS})`, () => {
  const fail = fixtures("restricted/fail");
  const pass = fixtures("restricted/pass");

  it("has the corpus's fixtures", () => {
    expect(fail.length).toBeGreaterThanOrEqual(70);
    expect(pass.length).toBeGreaterThanOrEqual(20);
  });

  for (const [kind, wrap] of wrappers) {
    it(`refuses every restricted/fail fixture as a ${kind}`, async () => {
      const admitted: string[] = [];
      for (const f of fail) {
        const v = await runResourcePolicy(podSecurityRestrictedPolicy, createResourceValidationArgs(wrap(f.pod), cfg));
        if (messages(v).length === 0) admitted.push(f.name);
      }
      expect(admitted).toEqual([]);
    });

    it(`accepts every restricted/pass fixture as a ${kind}`, async () => {
      const refused: string[] = [];
      for (const f of pass) {
        const v = await runResourcePolicy(podSecurityRestrictedPolicy, createResourceValidationArgs(wrap(f.pod), cfg));
        if (messages(v).length > 0) refused.push(`${f.name}: ${messages(v).join("; ")}`);
      }
      expect(refused).toEqual([]);
    });
  }
});

if (!present) {
  describe("Pod Security corpus", () => {
    it.skip(`skipped: the corpus folder ${CORPUS} is absent`, () => undefined);
  });
}
