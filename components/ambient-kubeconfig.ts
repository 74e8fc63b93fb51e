import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The kubeconfig of an existing cluster, found the way kubectl and the Kubernetes provider find it.
// Shared by the platform program (components/cluster.ts) and the NodeTaint provider, which reads it
// in the engine's plugin process when it runs: keep this file free of imports beyond Node's.

/** The stack config key that names an existing cluster's kubeconfig (contents or a path). */
export const KUBECONFIG_CONFIG_KEY = "kubernetes:kubeconfig";

/** An existing cluster's kubeconfig as found: its contents, where they came from, and the file read, if any. */
export interface FoundKubeconfig {
  /** The kubeconfig's contents. */
  contents: string;
  /** Where it was named: `kubernetes:kubeconfig`, `KUBECONFIG` or `~/.kube/config`. */
  source: string;
  /** The file it was read from (absolute); undefined when the config value held the contents. */
  file?: string;
}

/**
 * Finds an existing cluster's kubeconfig: `configured` (the `kubernetes:kubeconfig` config value:
 * contents, or a path to read, a leading `~` the home folder), else the first file of KUBECONFIG
 * that exists (kubectl merges them all; leasehold reads one), else ~/.kube/config.
 *
 * @throws Error naming the source and the file when no file can be read.
 */
export function findKubeconfig(configured: string | undefined, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): FoundKubeconfig {
  if (configured !== undefined) {
    if (!looksLikePath(configured)) return { contents: configured, source: KUBECONFIG_CONFIG_KEY };
    const file = path.resolve(configured === "~" || configured.startsWith("~/") ? path.join(home, configured.slice(1)) : configured);
    return readKubeconfig(file, KUBECONFIG_CONFIG_KEY, configured);
  }
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter((p) => p.length > 0);
  if (listed.length > 0) {
    const file = listed.find((p) => fs.existsSync(p)) ?? listed[0]!;
    return readKubeconfig(path.resolve(file), "KUBECONFIG", file);
  }
  const file = path.join(home, ".kube", "config");
  return readKubeconfig(file, "~/.kube/config", file);
}

/** The contents of an existing cluster's kubeconfig; see {@link findKubeconfig}. @throws Error as findKubeconfig does */
export function ambientKubeconfig(configured: string | undefined, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  return findKubeconfig(configured, env, home).contents;
}

/** Whether a `kubernetes:kubeconfig` value is a path rather than the contents (YAML or JSON). */
export function looksLikePath(v: string): boolean {
  return !v.includes("\n") && !v.trimStart().startsWith("{") && !v.includes("apiVersion:");
}

function readKubeconfig(file: string, source: string, named: string): FoundKubeconfig {
  try {
    return { contents: fs.readFileSync(file, "utf8"), source, file };
  } catch (e) {
    throw new Error(
      `cannot read the kubeconfig named by ${source} (${named}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; set ${KUBECONFIG_CONFIG_KEY} in the platform stack or point KUBECONFIG at the cluster`,
      { cause: e },
    );
  }
}
