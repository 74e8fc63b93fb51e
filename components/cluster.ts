import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ambientKubeconfig } from "./ambient-kubeconfig";

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
 * path, `~` the home folder), else the ambient one (the first existing file of KUBECONFIG, else
 * ~/.kube/config); see {@link ambientKubeconfig}.
 *
 * @throws pulumi.RunError naming the source and the file when the file cannot be read.
 */
export function existingKubeconfig(config = new pulumi.Config("kubernetes")): pulumi.Output<string> {
  const read = (configured: string | undefined) => {
    try {
      return ambientKubeconfig(configured);
    } catch (e) {
      throw new pulumi.RunError((e as Error).message);
    }
  };
  const configured = config.getSecret("kubeconfig");
  if (configured !== undefined) return configured.apply(read);
  return pulumi.secret(read(undefined));
}
