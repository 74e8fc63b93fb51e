import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { listStackFiles, loadStackFile, type PlatformStack } from "../../lease/load";

// The real systems the e2e suite and `npm run up:local` drive: the toolchain built by
// scripts/toolchain/build.sh, the control plane of scripts/controlplane, the Pulumi CLI with a
// file backend. Shared by both, so the main job and the tests deploy the same way.

/** The project root. */
export const ROOT = path.resolve(__dirname, "../..");

/** Runs a command; throws with its output when it fails (unless `allowFail`). */
export function sh(cmd: string, args: string[], opts: SpawnSyncOptions & { allowFail?: boolean; input?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  const out = { code: r.status ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
  if (r.error) throw r.error;
  if (out.code !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}\n${out.stdout.slice(-4000)}\n${out.stderr.slice(-4000)}`);
  }
  return out;
}

/** Builds what is missing (progress on this process's stderr) and returns the PATH with the toolchain first. */
export function buildToolchain(): string {
  sh("bash", [path.join(ROOT, "scripts/toolchain/build.sh")], { stdio: ["ignore", "inherit", "inherit"] });
  return toolchainPath();
}

/** PATH with the toolchain's folders first (build.sh --print-path), without building. */
export function toolchainPath(): string {
  const exports = sh("bash", [path.join(ROOT, "scripts/toolchain/build.sh"), "--print-path"]).stdout;
  const m = /export PATH="?([^"\n]+)"?/.exec(exports);
  if (!m) throw new Error(`build.sh --print-path printed no PATH: ${exports}`);
  return m[1]!.replace(/\$PATH|\$\{PATH\}/, process.env.PATH ?? "");
}

/** Starts the control plane with its state in `stateDir`; returns the admin kubeconfig path. */
export function controlPlaneUp(stateDir: string, env: NodeJS.ProcessEnv): string {
  const r = sh("bash", [path.join(ROOT, "scripts/controlplane/up.sh")], { env: { ...env, LEASEHOLD_CONTROLPLANE_DIR: stateDir }, stdio: ["ignore", "pipe", "inherit"] });
  const lines = r.stdout.trim().split("\n");
  return lines[lines.length - 1]!;
}

/** Stops the control plane of `stateDir` and deletes its state. */
export function controlPlaneDown(stateDir: string, env: NodeJS.ProcessEnv): void {
  sh("bash", [path.join(ROOT, "scripts/controlplane/down.sh")], { env: { ...env, LEASEHOLD_CONTROLPLANE_DIR: stateDir }, stdio: ["ignore", "inherit", "inherit"], allowFail: true });
}

/**
 * Registers the nodes of every existing-cluster pool of the platform stacks in `stacksDir` as
 * Node objects with `nvidia.com/gpu` capacity (the local control plane has no kubelets).
 */
export function registerPoolNodes(stacksDir: string, env: NodeJS.ProcessEnv): string[] {
  const nodes: string[] = [];
  for (const f of listStackFiles(stacksDir)) {
    const r = loadStackFile(f);
    if (!r.ok || r.stack.role !== "platform" || r.stack.config.cluster.provider !== "existing") continue;
    const p = r.stack as PlatformStack;
    for (const pool of p.config.pools) {
      const gpus = String(p.catalog[pool.gpuType]?.gpusPerNode ?? 0);
      for (const node of pool.nodes ?? []) {
        sh("kubectl", ["apply", "-f", "-"], { env, input: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: node } }) });
        const status = { status: { capacity: { "nvidia.com/gpu": gpus, cpu: "192", memory: "2Ti", pods: "110" }, allocatable: { "nvidia.com/gpu": gpus, cpu: "192", memory: "2Ti", pods: "110" } } };
        sh("kubectl", ["patch", "node", node, "--subresource=status", "--type=merge", "-p", JSON.stringify(status)], { env });
        nodes.push(node);
      }
    }
  }
  return nodes;
}

/** The environment of every Pulumi CLI run: no update checks, no plugin downloads, a file backend. */
export function pulumiEnv(base: NodeJS.ProcessEnv, home: string, passphrase: string): NodeJS.ProcessEnv {
  return {
    ...base,
    PULUMI_HOME: home,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}

/**
 * A working copy of the project for the Pulumi CLI: the tracked sources (so the CLI's
 * `encryptionsalt` never lands in the repository's stack files), node_modules linked. Stack
 * files are refreshed from `stacksDir` on every call, keeping the salt of the previous copy.
 */
export function syncProject(dest: string, stacksDir = path.join(ROOT, "stacks")): void {
  fs.mkdirSync(dest, { recursive: true });
  const files = sh("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT }).stdout.split("\0").filter((f) => f && !f.startsWith("stacks/") && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dest, f));
  }
  if (!fs.existsSync(path.join(dest, "node_modules"))) fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dest, "node_modules"));
  fs.mkdirSync(path.join(dest, "stacks"), { recursive: true });
  for (const f of fs.readdirSync(stacksDir).filter((x) => /^Pulumi\..+\.yaml$/.test(x))) {
    const target = path.join(dest, "stacks", f);
    const salt = fs.existsSync(target) ? /^encryptionsalt:.*$/m.exec(fs.readFileSync(target, "utf8"))?.[0] : undefined;
    fs.writeFileSync(target, fs.readFileSync(path.join(stacksDir, f), "utf8") + (salt ? `\n${salt}\n` : ""));
  }
}

/** Runs the Pulumi CLI in `cwd`. */
export function pulumi(cwd: string, env: NodeJS.ProcessEnv, args: string[], allowFail = false) {
  return sh("pulumi", [...args, "--non-interactive"], { cwd, env, allowFail });
}

/** Logs in to a file backend and makes sure the stack exists. */
export function ensureStack(cwd: string, env: NodeJS.ProcessEnv, backend: string, stack: string): void {
  fs.mkdirSync(backend, { recursive: true });
  pulumi(cwd, env, ["login", `file://${backend}`]);
  const ls = pulumi(cwd, env, ["stack", "ls", "--json"]).stdout;
  const names = (JSON.parse(ls) as { name: string }[]).map((s) => s.name);
  if (!names.includes(stack)) pulumi(cwd, env, ["stack", "init", stack]);
}
