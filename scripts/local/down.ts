// `npm run down:local`: destroys the stacks `npm run up:local` deployed (tenants first), then
// stops the local control plane and deletes its state. Tenant namespaces are retained by design
// (data is deleted only by an explicit purge); stopping the control plane removes them with it.
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKEND, CONTROLPLANE, deployOrder, LOCAL, PROJECT } from "./up";
import { controlPlaneDown, pulumi, pulumiEnv, toolchainPath } from "./toolchain";

function main(): void {
  if (!fs.existsSync(PROJECT)) {
    console.error("[down:local] nothing deployed (no .leasehold/project)");
  } else {
    const env = pulumiEnv(
      { ...process.env, PATH: toolchainPath() },
      path.join(LOCAL, "pulumi-home"),
      process.env.PULUMI_CONFIG_PASSPHRASE ?? "leasehold-local",
    );
    const kubeconfig = path.join(CONTROLPLANE, "kubeconfig");
    env.KUBECONFIG = kubeconfig;
    pulumi(PROJECT, env, ["login", `file://${BACKEND}`]);
    for (const stack of deployOrder().reverse()) {
      // Tenant namespaces are protected (tenant data): they go with the control plane below.
      const r = pulumi(PROJECT, env, ["destroy", "--yes", "--skip-preview", "--exclude-protected", "--stack", stack.name], true);
      console.error(`[down:local] destroy ${stack.name}: ${r.code === 0 ? "ok" : `failed (${r.stderr.trim().split("\n").pop()})`}`);
    }
  }
  controlPlaneDown(CONTROLPLANE, process.env);
  fs.rmSync(BACKEND, { recursive: true, force: true });
  fs.rmSync(path.join(LOCAL, "env"), { force: true });
  console.error("[down:local] control plane stopped; state removed");
}

main();
