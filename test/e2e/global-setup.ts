import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { buildToolchain, controlPlaneDown, controlPlaneUp, registerPoolNodes, ROOT } from "../../scripts/local/toolchain";

declare module "vitest" {
  export interface ProvidedContext {
    e2e: { PATH: string; kubeconfig: string };
  }
}

/** Builds the toolchain if needed, starts a control plane of the suite's own, registers the pool nodes. */
export default function setup(project: TestProject): () => void {
  const t0 = Date.now();
  const PATH = buildToolchain();
  console.error(`[e2e] toolchain ready in ${Math.round((Date.now() - t0) / 1000)} s`);
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-e2e-controlplane-"));
  const base = { ...process.env, PATH };
  const kubeconfig = controlPlaneUp(state, base);
  registerPoolNodes(path.join(ROOT, "stacks"), { ...base, KUBECONFIG: kubeconfig });
  console.error(`[e2e] control plane up in ${Math.round((Date.now() - t0) / 1000)} s (${state})`);
  project.provide("e2e", { PATH, kubeconfig });
  return () => controlPlaneDown(state, base);
}
