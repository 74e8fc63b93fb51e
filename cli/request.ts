import * as fs from "node:fs";
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document } from "yaml";
import { gpusPerNode, nodesFor } from "../lease/catalog";
import { dnsLabel, subjectName, tenantName } from "../lease/fields";
import { forceInterval } from "../lease/lifecycle";
import { stackFile, type PlatformStack, type TenantStack } from "../lease/load";
import { expandNodeSet, showNodes } from "../lease/node-set";
import type { Lease } from "../lease/schema";
import { providerOf } from "../providers";
import { checkFolder, EXIT, loadFolder, printJson, refusal, UsageError, type Io } from "./common";
import { child, forEditing, inOriginalLayout, quoteForPulumiCli, STRINGIFY, writeAtomically } from "./yaml-edit";

/** Options of `leasehold request`, as typed values. */
export interface RequestOptions {
  /** The stacks folder. */
  stacks: string;
  /** The tenant, a DNS-1123 label; its stack is `tenant-<tenant>`. */
  tenant: string;
  /** How many GPUs the lease holds, 1 or more. */
  gpus: number;
  /** A GPU type of the platform's catalog, e.g. `h100-80gb`. */
  gpuType: string;
  /** The window's start, RFC 3339 with an offset. */
  start: string;
  /** The window's end (exclusive), RFC 3339 with an offset. */
  end: string;
  /** The platform pool to place the lease on. */
  pool: string;
  /** The platform stack. @default the tenant's platform, or the folder's only platform stack */
  platform?: string;
  /** Groups bound to tenant-admin; added to an existing tenant's, never replacing them. @default `<tenant>:admins` for a new tenant */
  admins?: string[];
  /** Groups bound to view; added to an existing tenant's, never replacing them. @default `<tenant>:viewers` for a new tenant */
  viewers?: string[];
  /**
   * Existing clusters: the leased nodes, as node names or Slurm hostlists (`gpu-[001-004]`), each
   * node once. @default on a provider whose leases name their nodes, the pool's first nodes (in its
   * order) with no lease in force at any instant of the window
   */
  nodes?: string[];
  /** The lease id, a DNS-1123 label. @default `<tenant>-<gpu type>-<yyyymmdd of start>` (60 characters at most), then `-2`, `-3`... */
  id?: string;
  /** Hours of notice of the lease's reclaim clause, zero or more (the command line's default is DEFAULT_NOTICE_HOURS). */
  noticeHours: number;
  /** Check and print the resulting stack file, writing nothing. */
  dryRun?: boolean;
  /** Print `{ok, file, created, dryRun, lease}` (with `text` on a dry run), or the refusal, as JSON on stdout. */
  json?: boolean;
}

/** Default notice, in hours, of a requested lease's reclaim clause. */
export const DEFAULT_NOTICE_HOURS = 72;

/**
 * `leasehold request`: adds a lease to a tenant stack (creating the stack when the tenant is new).
 * The would-be fleet is checked first; on any problem no file is touched.
 */
export function request(opts: RequestOptions, io: Io): number {
  const wanted = checkNames(opts);
  const folder = loadFolder(opts.stacks);
  const refuse = refusal(io, opts.json, "request");
  const before = checkFolder(folder);
  if (before.length > 0) return refuse(before, "the fleet check fails already, before this request (fix the problems above first)");

  const file = stackFile(opts.stacks, `tenant-${opts.tenant}`);
  const existing = folder.stacks.find((s): s is TenantStack => s.file === file && s.role === "tenant");
  const platforms = folder.stacks.filter((s): s is PlatformStack => s.role === "platform");
  const platformName = opts.platform ?? existing?.config.platform ?? (platforms.length === 1 ? platforms[0]!.name : undefined);
  if (platformName === undefined) {
    throw new UsageError(
      `--platform is required: ${opts.stacks} holds ${platforms.length === 0 ? "no platform stack" : `several platform stacks (${platforms.map((p) => p.name).join(", ")})`}`,
    );
  }
  if (existing && existing.config.platform !== platformName) {
    return refuse(
      [
        {
          file,
          path: "leasehold:platform",
          message: `tenant ${opts.tenant} runs on ${existing.config.platform}, but the request names --platform ${platformName}`,
        },
      ],
      "a tenant's leases all live on its platform",
    );
  }
  const platform = platforms.find((p) => p.name === platformName);
  const pool = platform?.config.pools.find((p) => p.name === opts.pool);

  const lease: Lease = {
    id: opts.id ?? freshId(folder.stacks, opts),
    gpu: { type: opts.gpuType, count: opts.gpus },
    window: { start: opts.start, end: opts.end },
    placement: { pool: opts.pool },
    reclaim: { noticeHours: opts.noticeHours },
  };
  if (wanted) lease.placement.nodes = wanted;
  else if (platform && providerOf(platform.config.cluster).leaseNodes === "named" && pool && pool.gpuType === opts.gpuType) {
    // Pick the pool's nodes that are free for the whole window, in the pool's order.
    const perNode = gpusPerNode(platform.catalog, pool.gpuType);
    const need = nodesFor(opts.gpus, perNode);
    const free = freeNodes(folder.stacks, platform.name, pool.nodes ?? [], forceInterval(lease));
    if (free.length < need) {
      return refuse(
        [
          {
            file,
            path: "leasehold:leases",
            message: `pool ${pool.name} has ${free.length} node(s) free from ${opts.start} to ${opts.end} (${free.length > 0 ? showNodes(free) : "none"}), but ${opts.gpus} ${pool.gpuType} GPUs need ${need} (${perNode} per node)`,
          },
        ],
        "not enough free nodes",
      );
    }
    lease.placement.nodes = free.slice(0, need);
  }

  const text = existing ? addToExisting(fs.readFileSync(file, "utf8"), opts, lease) : newStackText(opts, platformName, lease);
  const after = checkFolder(loadFolder(opts.stacks, new Map([[file, text]])));
  if (after.length > 0) return refuse(after, "the fleet check would fail with this lease");

  if (!opts.dryRun) writeAtomically(file, text);
  const result = { ok: true, file, created: !existing, dryRun: !!opts.dryRun, lease };
  if (opts.json) printJson(io, opts.dryRun ? { ...result, text } : result);
  else {
    if (opts.dryRun) io.out(text);
    const where = lease.placement.nodes ? ` on ${showNodes(lease.placement.nodes)}` : "";
    const verb = opts.dryRun ? "would add" : "added";
    io[opts.dryRun ? "err" : "out"](
      `${verb} lease ${lease.id}: ${lease.gpu.count} x ${lease.gpu.type} in pool ${lease.placement.pool}${where}, ${lease.window.start} to ${lease.window.end}, ${existing ? "to" : "in a new stack file"} ${file}`,
    );
  }
  return EXIT.ok;
}

/** Names given on the command line must be valid before any file is read; returns the nodes of --nodes, expanded. */
function checkNames(opts: RequestOptions): string[] | undefined {
  const bad = (
    option: string,
    value: string,
    schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
  ) => {
    const r = schema.safeParse(value);
    if (!r.success) throw new UsageError(`${option}: ${r.error!.issues[0]!.message}, got ${JSON.stringify(value)}`);
  };
  bad("--tenant", opts.tenant, tenantName);
  bad("--pool", opts.pool, dnsLabel);
  bad("--gpu-type", opts.gpuType, dnsLabel);
  if (opts.id !== undefined) bad("--id", opts.id, dnsLabel);
  for (const g of [...(opts.admins ?? []), ...(opts.viewers ?? [])]) bad("--admins/--viewers", g, subjectName);
  if (opts.nodes === undefined) return undefined;
  const { names, issues } = expandNodeSet(opts.nodes);
  const first = issues[0];
  if (first) throw new UsageError(`--nodes: ${first.message}, got ${JSON.stringify(first.input)}`);
  return names;
}

/** `<tenant>-<gpu type>-<yyyymmdd>`, with `-2`, `-3` ... when the fleet has it already. */
function freshId(stacks: readonly (PlatformStack | TenantStack)[], opts: RequestOptions): string {
  const taken = new Set<string>();
  for (const s of stacks) if (s.role === "tenant") for (const l of s.config.leases) taken.add(l.id);
  const day = opts.start.slice(0, 10).replace(/-/g, "");
  const base = `${opts.tenant}-${opts.gpuType}-${day}`.slice(0, 60).replace(/-+$/, "");
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** Nodes of a pool with no lease in force on them at any instant of `want`. */
function freeNodes(
  stacks: readonly (PlatformStack | TenantStack)[],
  platform: string,
  nodes: readonly string[],
  want: { from: number; to: number },
): string[] {
  const busy = new Set<string>();
  for (const s of stacks) {
    if (s.role !== "tenant" || s.config.platform !== platform) continue;
    for (const l of s.config.leases) {
      const f = forceInterval(l);
      if (f.from < want.to && want.from < f.to) for (const n of l.placement.nodes ?? []) busy.add(n);
    }
  }
  return nodes.filter((n) => !busy.has(n));
}

/** The lease as a YAML node, in the compact style of the example stacks; its nodes as one Slurm hostlist (`gpu-[003-004]`). */
function leaseNode(doc: Document, lease: Lease): YAMLMap {
  const nodes = lease.placement.nodes;
  const written = nodes ? { ...lease, placement: { ...lease.placement, nodes: showNodes(nodes) } } : lease;
  const node = doc.createNode(written) as unknown as YAMLMap;
  for (const key of ["gpu", "window"]) (child(node, key) as YAMLMap).flow = true;
  for (const key of ["start", "end"]) (child(child(node, "window"), key) as Scalar).type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** Appends the lease to an existing tenant file, keeping its comments and key order. */
function addToExisting(text: string, opts: RequestOptions, lease: Lease): string {
  const doc = parseDocument(forEditing(text));
  const config = child(doc.contents, "config") ?? doc.get("config", true);
  if (!isMap(config)) throw new Error("a valid tenant stack has a config map");
  let leases = child(config, "leasehold:leases");
  if (!isSeq(leases)) {
    leases = new YAMLSeq();
    config.set("leasehold:leases", leases);
  }
  (leases as YAMLSeq).items.push(leaseNode(doc, lease));
  // New groups join the existing ones; a request never removes access.
  const tenant = child(config, "leasehold:tenant") as YAMLMap;
  for (const [key, groups] of [
    ["admins", opts.admins],
    ["viewers", opts.viewers],
  ] as const) {
    if (!groups || groups.length === 0) continue;
    let access = child(tenant, "access");
    if (!isMap(access)) {
      access = doc.createNode({});
      tenant.set("access", access);
    }
    let list = child(access, key);
    if (!isSeq(list)) {
      list = new YAMLSeq();
      (list as YAMLSeq).flow = true;
      (access as YAMLMap).set(key, list);
    }
    const seq = list as YAMLSeq;
    const have = new Set(seq.items.map((i) => String(isScalar(i) ? i.value : i)));
    for (const g of groups) if (!have.has(g)) seq.items.push(doc.createNode(g));
  }
  quoteForPulumiCli(doc);
  return inOriginalLayout(text, doc.toString(STRINGIFY));
}

/** A new tenant stack file holding one lease. */
function newStackText(opts: RequestOptions, platform: string, lease: Lease): string {
  const doc = parseDocument("config: {}\n");
  doc.commentBefore = ` Tenant ${opts.tenant}: created by \`leasehold request\`. Edit access and network here;\n reclaim notices are written by \`leasehold reclaim\`.`;
  const config = doc.createNode({
    "leasehold:role": "tenant",
    "leasehold:platform": platform,
    "leasehold:tenant": {
      name: opts.tenant,
      access: { admins: opts.admins ?? [`${opts.tenant}:admins`], viewers: opts.viewers ?? [`${opts.tenant}:viewers`] },
    },
    "leasehold:leases": [],
  }) as unknown as YAMLMap;
  for (const key of ["admins", "viewers"]) (child(child(child(config, "leasehold:tenant"), "access"), key) as YAMLSeq).flow = true;
  (child(config, "leasehold:leases") as YAMLSeq).items.push(leaseNode(doc, lease));
  doc.set("config", config);
  quoteForPulumiCli(doc);
  return doc.toString(STRINGIFY);
}
