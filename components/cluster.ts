import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link Cluster}. */
export interface ClusterArgs {
  /** The kubeconfig contents that reach the cluster (kept secret). */
  kubeconfig: pulumi.Input<string>;
}

/**
 * A Kubernetes cluster leasehold manages, as an explicit provider: no leasehold resource ever
 * uses an implicit default provider, so a stray KUBECONFIG can never redirect a deploy.
 */
export class Cluster extends pulumi.ComponentResource {
  /** The provider every resource in this cluster uses. */
  public readonly provider: k8s.Provider;
  /** The kubeconfig (secret). */
  public readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("leasehold:k8s:Cluster", name, {}, opts);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        kubeconfig: this.kubeconfig,
        // Server-side apply, so that NodePatch field managers own exactly the fields they set.
        enableServerSideApply: true,
      },
      { parent: this },
    );
    this.registerOutputs({ provider: this.provider, kubeconfig: this.kubeconfig });
  }
}

/**
 * The kubeconfig of an existing cluster: the `kubernetes:kubeconfig` config value (contents or a
 * path), else the ambient one (the first file of KUBECONFIG, else ~/.kube/config).
 */
export function existingKubeconfig(config = new pulumi.Config("kubernetes")): pulumi.Output<string> {
  const configured = config.getSecret("kubeconfig");
  if (configured !== undefined) return configured.apply((v) => (looksLikePath(v) ? readKubeconfig(v, "kubernetes:kubeconfig") : v));
  const env = process.env.KUBECONFIG?.split(path.delimiter).find((p) => p.length > 0);
  const file = env ?? path.join(os.homedir(), ".kube", "config");
  return pulumi.secret(readKubeconfig(file, env ? "KUBECONFIG" : "~/.kube/config"));
}

function looksLikePath(v: string): boolean {
  return !v.includes("\n") && !v.trimStart().startsWith("{") && !v.includes("apiVersion:");
}

function readKubeconfig(file: string, source: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new pulumi.RunError(
      `cannot read the kubeconfig named by ${source} (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; set kubernetes:kubeconfig in the platform stack or point KUBECONFIG at the cluster`,
    );
  }
}
