import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import type { TenantNamespace } from "../components/tenant-namespace";

interface Kubeconfig {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string } }[];
  clusters?: { name: string; cluster: Record<string, unknown> }[];
}

/**
 * A kubeconfig for the tenant: the platform cluster's server and CA, the tenant-admin
 * ServiceAccount's token, the tenant's namespace as the default. Secret.
 */
export function tenantKubeconfig(admin: pulumi.Output<string>, ns: TenantNamespace): pulumi.Output<string> {
  const out = pulumi.all([admin, ns.adminTokenSecret.data, ns.namespace]).apply(([text, data, namespace]) => {
    const kc = parse(text) as Kubeconfig;
    const ctx = kc.contexts?.find((c) => c.name === kc["current-context"]) ?? kc.contexts?.[0];
    const cluster = kc.clusters?.find((c) => c.name === ctx?.context.cluster) ?? kc.clusters?.[0];
    if (!cluster) throw new pulumi.RunError("the platform's kubeconfig names no cluster");
    // The token controller fills the Secret shortly after it is created; until then the token is empty.
    const token = data?.token ? Buffer.from(data.token, "base64").toString("utf8") : "";
    const user = `${namespace}-tenant-admin`;
    return stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: cluster.name, cluster: cluster.cluster }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: namespace, context: { cluster: cluster.name, user, namespace } }],
      "current-context": namespace,
    });
  });
  return pulumi.secret(out);
}
