import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The kubeconfig of an existing cluster, found the way kubectl and the Kubernetes provider find it.
// Shared by the platform program (components/cluster.ts) and the NodeTaint provider, which reads it
// in the engine's plugin process when it runs: keep this file free of imports beyond Node's.

/** The stack config key that names an existing cluster's kubeconfig (contents or a path). */
export const KUBECONFIG_CONFIG_KEY = "kubernetes:kubeconfig";

/**
 * The contents of an existing cluster's kubeconfig: `configured` (the `kubernetes:kubeconfig` config
 * value: contents, or a path to read), else the first file of KUBECONFIG, else ~/.kube/config.
 *
 * @throws Error naming the source and the file when the file cannot be read.
 */
export function ambientKubeconfig(configured: string | undefined, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (configured !== undefined) return looksLikePath(configured) ? readKubeconfig(configured, KUBECONFIG_CONFIG_KEY) : configured;
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).find((p) => p.length > 0);
  return readKubeconfig(fromEnv ?? path.join(home, ".kube", "config"), fromEnv ? "KUBECONFIG" : "~/.kube/config");
}

/** Whether a `kubernetes:kubeconfig` value is a path rather than the contents (YAML or JSON). */
export function looksLikePath(v: string): boolean {
  return !v.includes("\n") && !v.trimStart().startsWith("{") && !v.includes("apiVersion:");
}

function readKubeconfig(file: string, source: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read the kubeconfig named by ${source} (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; set ${KUBECONFIG_CONFIG_KEY} in the platform stack or point KUBECONFIG at the cluster`,
      { cause: e },
    );
  }
}
