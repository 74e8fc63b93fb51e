import * as fs from "node:fs";
import { admissionSettings } from "../lease/admission";
import { configObjectViolations, isWorkloadKind, judgeWorkload, networkObjectViolations } from "../lease/admit";
import { isoInstant } from "../lease/fields";
import { parseManifests } from "../lease/kube-yaml";
import { loadWithPlatform, stackFile, type PlatformStack, type TenantStack } from "../lease/load";
import type { Problem } from "../lease/problems";
import { EXIT, printJson, printProblems, requireDir, UsageError, type Io } from "./common";

/** Options of `leasehold admit`. */
export interface AdmitOptions {
  /** The manifest files to judge (`-f`), each multi-document YAML; Lists are expanded. */
  files: string[];
  /** The stacks folder. */
  stacks: string;
  /** The tenant stack whose leases judge the manifests, e.g. `tenant-acme`. */
  stack: string;
  /** The instant to judge at, epoch milliseconds. */
  at: number;
  /** Print `{allowed, violations, warnings}` (or `{allowed, problems, violations}`) as JSON on stdout. */
  json?: boolean;
}

/** One reason an object would be refused, as `admit --json` prints it. */
export interface AdmitViolation {
  /** The policy that refuses it, e.g. `lease-pinning`, `tenant-namespace`, or `manifest` when the file cannot be read as objects. */
  policy: string;
  /** Why, in a sentence. */
  message: string;
  /** The manifest file, as given on the command line. */
  file: string;
  /** `Kind/namespace/name` of the object, `document N[, item M]` for a malformed one, or "" for the whole file. */
  object: string;
}

/** A Kubernetes object read from a manifest: a map with a string `apiVersion` and `kind`, any other field unchecked. */
type ManifestObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata?: { name?: unknown; namespace?: unknown };
};

/** The tenant stack and its platform, or the problems that stop the command. */
export function tenantAndPlatform(stacks: string, name: string): { tenant: TenantStack; platform: PlatformStack } | Problem[] {
  requireDir(stacks);
  const file = stackFile(stacks, name);
  if (!fs.existsSync(file)) throw new UsageError(`--stack: no stack file ${file}`);
  const found = loadWithPlatform(stacks, name);
  if (Array.isArray(found)) return found;
  if (found.stack.role !== "tenant")
    return [
      {
        file,
        path: "leasehold:role",
        message: `expected a tenant stack: workloads run under a tenant's leases, got "${found.stack.role}"`,
      },
    ];
  return { tenant: found.stack, platform: found.platform };
}

/** The Kubernetes objects of one manifest file (multi-document YAML, Lists expanded) as kubectl reads them, or why it holds none. */
function objectsOf(file: string): { objects: ManifestObject[]; errors: AdmitViolation[] } {
  const errors: AdmitViolation[] = [];
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      objects: [],
      errors: [{ policy: "manifest", file, object: "", message: `cannot read the file: ${code === "ENOENT" ? "no such file" : code}` }],
    };
  }
  const objects: ManifestObject[] = [];
  parseManifests(text).forEach((doc, i) => {
    if (doc.error !== undefined) {
      errors.push({ policy: "manifest", file, object: `document ${i + 1}`, message: doc.error });
      return;
    }
    const v = doc.value;
    if (v === null || v === undefined) return;
    const add = (o: unknown, where: string) => {
      if (
        !o ||
        typeof o !== "object" ||
        Array.isArray(o) ||
        typeof (o as Record<string, unknown>).apiVersion !== "string" ||
        typeof (o as Record<string, unknown>).kind !== "string"
      ) {
        errors.push({
          policy: "manifest",
          file,
          object: where,
          message: "not a Kubernetes object: expected a map with apiVersion and kind",
        });
        return;
      }
      const obj = o as ManifestObject;
      if (obj.kind.endsWith("List") && Array.isArray(obj.items))
        obj.items.forEach((item: unknown, j: number) => add(item, `${where}, item ${j}`));
      else objects.push(obj);
    };
    add(v, `document ${i + 1}`);
  });
  return { objects, errors };
}

/** `leasehold admit`: would these manifests be admitted under the tenant's leases at `--at`? */
export function admit(opts: AdmitOptions, io: Io): number {
  if (opts.files.length === 0) throw new UsageError("-f: name at least one manifest file");
  const found = tenantAndPlatform(opts.stacks, opts.stack);
  if (Array.isArray(found)) {
    if (opts.json) printJson(io, { allowed: false, problems: found, violations: [] });
    else printProblems(io, found);
    return EXIT.rule;
  }
  const { tenant, platform } = found;
  const ns = tenant.config.tenant.name;
  const settings = admissionSettings(platform.catalog, platform.config.cluster, platform.config.pools);
  const violations: AdmitViolation[] = [];
  const warnings: AdmitViolation[] = [];
  let count = 0;
  for (const file of opts.files) {
    const { objects, errors } = objectsOf(file);
    violations.push(...errors);
    for (const o of objects) {
      count++;
      const namespace = typeof o.metadata?.namespace === "string" ? o.metadata.namespace : ns;
      const id = `${o.kind}/${namespace}/${o.metadata?.name ?? "(unnamed)"}`;
      if (namespace !== ns) {
        violations.push({
          policy: "tenant-namespace",
          file,
          object: id,
          message: `The object is in namespace ${namespace}, but tenant ${ns} may create objects only in its own namespace ${ns}.`,
        });
      }
      for (const m of networkObjectViolations(o.kind, o, namespace))
        violations.push({ policy: "no-public-services", file, object: id, message: m });
      for (const m of configObjectViolations(o.kind, o, namespace))
        violations.push({ policy: "gpu-requests-within-quota", file, object: id, message: m });
      if (isWorkloadKind(o.kind)) {
        const judged = judgeWorkload(o.kind, o, tenant.config, { catalog: platform.catalog, settings }, opts.at);
        for (const v of judged.violations) violations.push({ ...v, file, object: id });
        for (const v of judged.warnings) warnings.push({ ...v, file, object: id });
      }
    }
  }
  const allowed = violations.length === 0;
  if (opts.json) {
    printJson(io, { allowed, violations, warnings });
  } else {
    for (const v of violations) io.err(`${v.file}: ${v.object ? `${v.object}: ` : ""}[${v.policy}] ${v.message}`);
    for (const v of warnings) io.err(`${v.file}: ${v.object ? `${v.object}: ` : ""}warning: [${v.policy}] ${v.message}`);
    io.out(
      allowed
        ? `admitted: ${count} object(s) under tenant ${ns}'s leases at ${isoInstant(opts.at)}`
        : `refused: ${violations.length} violation(s) in ${opts.files.length} file(s) under tenant ${ns}'s leases at ${isoInstant(opts.at)}`,
    );
  }
  return allowed ? EXIT.ok : EXIT.rule;
}
