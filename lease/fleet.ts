import { isoInstant } from "./fields";
import { providerOf } from "../providers";
import { gpusPerNode, nodesFor, type GpuCatalog } from "./catalog";
import { leaseReserves } from "./reserve";
import { forceInterval, leaseViews, type LeaseState } from "./lifecycle";
import type { PlatformStack, Stack, TenantStack } from "./load";
import { formatPath, showValue, type Problem } from "./problems";
import { sameWrittenItem, showNodes, writtenPath } from "./node-set";
import type { Lease, Pool } from "./schema";

// The cross-stack rules of the lease contract (DESIGN.md, "Rules"): what no single file can tell.
// Overlaps are found with sweeps over window boundaries (O(n log n)), never pairwise.

/** A lease with where it lives. */
interface Placed {
  readonly stack: TenantStack;
  readonly index: number;
  readonly lease: Lease;
  readonly from: number;
  readonly to: number;
}

/** GPUs one pool can hold: the provider's nodes of the pool (listed nodes, or maxNodes) times GPUs per node. */
export function poolCapacity(platform: PlatformStack, pool: Pool): number {
  return providerOf(platform.config.cluster).poolNodes(pool) * gpusPerNode(platform.catalog, pool.gpuType);
}

/**
 * The GPUs a lease takes from its pool. Where capacity is counted in whole nodes (an EKS node
 * group), a lease of 12 GPUs on 8-GPU nodes takes 2 nodes (16 GPUs) of the pool's maxNodes;
 * where it is counted in GPUs (an existing cluster, whose node rules keep each named node to one
 * lease), it takes what it leases.
 */
export function poolFootprint(platform: PlatformStack, pool: Pool, lease: Lease): number {
  if (providerOf(platform.config.cluster).capacityUnit === "gpus") return lease.gpu.count;
  const perNode = gpusPerNode(platform.catalog, pool.gpuType);
  return nodesFor(lease.gpu.count, perNode) * perNode;
}

/** Checks the rules that span stack files; the stacks must each be valid on their own. */
export function checkFleet(stacks: readonly Stack[]): Problem[] {
  const problems: Problem[] = [];
  const at = (stack: Stack, path: PropertyKey[], message: string): void => {
    // An index into an expanded node set names the item that was written (lease/node-set.ts).
    const written = writtenPath(stack.config, path);
    problems.push({ file: stack.file, path: formatPath(written), line: stack.locate(written), message });
  };
  const platforms = new Map<string, PlatformStack>();
  const tenants: TenantStack[] = [];
  for (const s of stacks) {
    if (s.role === "platform") platforms.set(s.name, s);
    else tenants.push(s);
  }

  // Tenant names and lease ids are unique across the fleet.
  const tenantNames = new Map<string, TenantStack>();
  const leaseIds = new Map<string, { stack: TenantStack; index: number }>();
  for (const t of tenants) {
    const other = tenantNames.get(t.config.tenant.name);
    if (other)
      at(
        t,
        ["leasehold:tenant", "name"],
        `expected a tenant name unique across the fleet, but ${other.file} declares it too, got ${showValue(t.config.tenant.name)}`,
      );
    else tenantNames.set(t.config.tenant.name, t);
    t.config.leases.forEach((l, i) => {
      const first = leaseIds.get(l.id);
      if (first) {
        at(
          t,
          ["leasehold:leases", i, "id"],
          `expected a lease id unique across the fleet, but ${first.stack.file} leasehold:leases[${first.index}] has it too, got ${showValue(l.id)}`,
        );
      } else leaseIds.set(l.id, { stack: t, index: i });
    });
  }

  // Pulumi names a lease's node resources `<lease id>-<node>` under one component type, so two of
  // a tenant's leases must not give the same name (lease a-gpu on node 001, lease a on gpu-001):
  // the engine would refuse the stack for a duplicate URN.
  // One problem per pair of leases, naming every node of the clash as one node set.
  for (const t of tenants) {
    const seen = new Map<string, number>();
    t.config.leases.forEach((l, i) => {
      const clashes = new Map<number, { nodes: string[]; indexes: number[] }>();
      (l.placement.nodes ?? []).forEach((node, k) => {
        const name = `${l.id}-${node}`;
        const first = seen.get(name);
        if (first !== undefined && first !== i) {
          let c = clashes.get(first);
          if (!c) clashes.set(first, (c = { nodes: [], indexes: [] }));
          c.nodes.push(node);
          c.indexes.push(k);
        } else seen.set(name, i);
      });
      for (const [first, { nodes, indexes }] of clashes) {
        const rule = "expected lease id and node names whose Pulumi resource name <lease id>-<node> is unique in the stack";
        if (nodes.length === 1) {
          at(
            t,
            ["leasehold:leases", i, "placement", "nodes", indexes[0]!],
            `${rule}, but leasehold:leases[${first}] gives ${showValue(`${l.id}-${nodes[0]}`)} too, got ${showValue(nodes[0])}`,
          );
        } else {
          at(
            t,
            nodeSetPath(t, i, indexes),
            `${rule}, but leasehold:leases[${first}] gives the names of ${nodes.length} of these nodes too (${showValue(`${l.id}-${nodes[0]}`)}, ...), got ${showNodes(nodes)}`,
          );
        }
      }
    });
  }

  // Each lease on its platform and pool; collect the placed ones for the sweeps.
  const byPool = new Map<string, { platform: PlatformStack; pool: Pool; leases: Placed[] }>();
  const byNode = new Map<string, Placed[]>();
  for (const t of tenants) {
    const platform = platforms.get(t.config.platform);
    if (!platform) {
      const names = [...platforms.keys()];
      at(
        t,
        ["leasehold:platform"],
        `expected a platform stack of this folder (${names.length ? names.join(", ") : "there is none"}), got ${showValue(t.config.platform)}`,
      );
      continue;
    }
    // The tenant's namespace is its name: never one of the landlord's own.
    if ((platform.config.systemNamespaces ?? []).includes(t.config.tenant.name))
      at(
        t,
        ["leasehold:tenant", "name"],
        `expected a tenant name that is none of platform ${platform.name}'s system namespaces (leasehold:systemNamespaces in ${platform.file}): the tenant's namespace is its name, got ${showValue(t.config.tenant.name)}`,
      );
    const provider = providerOf(platform.config.cluster);
    problems.push(...provider.tenantProblems(t, platform, platform.config.cluster));
    t.config.leases.forEach((lease, i) => {
      const base: PropertyKey[] = ["leasehold:leases", i];
      const pool = platform.config.pools.find((p) => p.name === lease.placement.pool);
      if (!pool) {
        at(
          t,
          [...base, "placement", "pool"],
          `expected a pool of ${platform.name} (${platform.config.pools.map((p) => p.name).join(", ") || "it has none"}), got ${showValue(lease.placement.pool)}`,
        );
        return;
      }
      if (pool.gpuType !== lease.gpu.type) {
        at(t, [...base, "gpu", "type"], `expected ${pool.gpuType}, the GPU type of pool ${pool.name}, got ${showValue(lease.gpu.type)}`);
        return;
      }
      const { from, to } = forceInterval(lease);
      const placed: Placed = { stack: t, index: i, lease, from, to };
      const key = `${platform.name}/${pool.name}`;
      let entry = byPool.get(key);
      if (!entry) byPool.set(key, (entry = { platform, pool, leases: [] }));
      entry.leases.push(placed);
      const perNode = gpusPerNode(platform.catalog, pool.gpuType);
      // Nodes outside the pool, found here in one pass and named as one node set. A hostlist typo
      // (`gpu-[0001-8192]` on a pool of `gpu-[00001-12500]`) would otherwise give a problem per
      // node, each listing the whole pool (gigabytes for one character). The lease's other node
      // rules wait until its nodes are in its pool.
      if (provider.leaseNodes === "named" && pool.nodes && lease.placement.nodes) {
        const inPool = new Set(pool.nodes);
        const outside: number[] = [];
        lease.placement.nodes.forEach((n, j) => {
          if (!inPool.has(n)) outside.push(j);
        });
        if (outside.length > 0) {
          const names = outside.map((j) => lease.placement.nodes![j]!);
          const poolSet = poolNodesShown(pool);
          at(
            t,
            nodeSetPath(t, i, outside),
            names.length === 1
              ? `expected a node of pool ${pool.name} (${poolSet}), got ${showValue(names[0])}`
              : `expected nodes of pool ${pool.name} (${poolSet}), got ${showNodes(names)}, which are not in it`,
          );
          return;
        }
      }
      const held = provider.leaseRules({
        tenant: t,
        platform,
        pool,
        index: i,
        lease,
        perNode,
        report: (path, message) => at(t, path, message),
      });
      for (const n of held) {
        let list = byNode.get(`${platform.name}/${n}`);
        if (!list) byNode.set(`${platform.name}/${n}`, (list = []));
        list.push(placed);
      }
    });
  }

  for (const { platform, pool, leases } of byPool.values()) sweepPool(platform, pool, leases, at);
  const clashes = new Map<Placed, Map<Placed, string[]>>();
  for (const [key, leases] of byNode) sweepNode(key.slice(key.indexOf("/") + 1), leases, clashes);
  reportNodeClashes(clashes, at);
  return problems;
}

const shownPools = new WeakMap<Pool, string>();

/** A pool's nodes as one compact node set, computed once per pool. */
function poolNodesShown(pool: Pool): string {
  let shown = shownPools.get(pool);
  if (shown === undefined) shownPools.set(pool, (shown = showNodes(pool.nodes ?? [])));
  return shown;
}

/** The path of a lease's nodes at `indexes`: the item that names them all when there is one, else the node set. */
function nodeSetPath(t: TenantStack, index: number, indexes: readonly number[]): PropertyKey[] {
  const nodes: PropertyKey[] = ["leasehold:leases", index, "placement", "nodes"];
  return indexes.length === 1 || sameWrittenItem(t.config, nodes, indexes) ? [...nodes, indexes[0]!] : nodes;
}

type At = (stack: Stack, path: PropertyKey[], message: string) => void;

/**
 * A pool's leased GPUs never exceed its capacity at any instant. Sweep the window boundaries in
 * time order, ends before starts at the same instant (a window that ends when the next starts
 * does not overlap it), and blame each lease whose start pushes the sum over the capacity.
 */
function sweepPool(platform: PlatformStack, pool: Pool, leases: Placed[], at: At): void {
  const capacity = poolCapacity(platform, pool);
  const wholeNodes = providerOf(platform.config.cluster).capacityUnit === "nodes";
  const perNode = gpusPerNode(platform.catalog, pool.gpuType);
  const events: { t: number; delta: number; p: Placed }[] = [];
  for (const p of leases) {
    if (p.to <= p.from) continue;
    const take = poolFootprint(platform, pool, p.lease);
    events.push({ t: p.from, delta: take, p }, { t: p.to, delta: -take, p });
  }
  events.sort((a, b) => a.t - b.t || a.delta - b.delta);
  const live = new Set<Placed>();
  let sum = 0;
  for (const e of events) {
    sum += e.delta;
    if (e.delta < 0) {
      live.delete(e.p);
      continue;
    }
    live.add(e.p);
    if (sum > capacity) {
      if (wholeNodes) {
        const nodes = (n: number) => `${n} node${n === 1 ? "" : "s"}`;
        const holders = [...live]
          .map((p) => `${p.lease.id} (${p.lease.gpu.count} GPUs, ${nodes(poolFootprint(platform, pool, p.lease) / perNode)})`)
          .join(", ");
        at(
          e.p.stack,
          ["leasehold:leases", e.p.index, "gpu", "count"],
          `pool ${pool.name} of ${platform.name} holds ${nodes(capacity / perNode)} of ${perNode} GPUs (maxNodes), but from ${isoInstant(e.t)} its leases in force would take ${nodes(sum / perNode)} (a node group holds whole nodes): ${holders}`,
        );
      } else {
        const holders = [...live].map((p) => `${p.lease.id} (${p.lease.gpu.count})`).join(", ");
        at(
          e.p.stack,
          ["leasehold:leases", e.p.index, "gpu", "count"],
          `pool ${pool.name} of ${platform.name} holds ${capacity} GPUs, but from ${isoInstant(e.t)} its leases in force would hold ${sum}: ${holders}`,
        );
      }
    }
  }
}

/**
 * A node is leased to at most one lease at any instant: sorted by start, each must begin after the
 * last ends. Each clash is recorded under the lease that takes the node and the lease holding it.
 */
function sweepNode(node: string, leases: Placed[], clashes: Map<Placed, Map<Placed, string[]>>): void {
  const sorted = leases.filter((p) => p.to > p.from).sort((a, b) => a.from - b.from || a.to - b.to);
  let holder: Placed | undefined;
  for (const p of sorted) {
    if (holder && p.from < holder.to) {
      let byHolder = clashes.get(p);
      if (!byHolder) clashes.set(p, (byHolder = new Map()));
      let nodes = byHolder.get(holder);
      if (!nodes) byHolder.set(holder, (nodes = []));
      nodes.push(node);
    }
    if (!holder || p.to > holder.to) holder = p;
  }
}

/**
 * One problem per pair of clashing leases, naming every node of the clash (as a compact node set,
 * `gpu-[001-004]`): a lease of thousands of nodes that overlaps another gives one line, not thousands.
 */
function reportNodeClashes(clashes: Map<Placed, Map<Placed, string[]>>, at: At): void {
  for (const [p, byHolder] of clashes) {
    const indexOf = new Map((p.lease.placement.nodes ?? []).map((n, j) => [n, j]));
    for (const [holder, nodes] of byHolder) {
      const indexes = nodes.map((n) => indexOf.get(n)!).sort((a, b) => a - b);
      const one = nodes.length === 1;
      at(
        p.stack,
        nodeSetPath(p.stack, p.index, indexes),
        `${one ? "node" : "nodes"} ${showNodes(nodes)} ${one ? "is" : "are"} leased to ${holder.lease.id} (${holder.stack.file}) until ${isoInstant(holder.to)}, but this lease takes ${one ? "it" : "them"} from ${isoInstant(p.from)}`,
      );
    }
  }
}

/** One lease as the fleet stands at an instant. */
export interface LeaseAt {
  /** The lease id. */
  id: string;
  /** The tenant's name. */
  tenant: string;
  /** The tenant's platform stack. */
  platform: string;
  /** The pool the lease is placed on. */
  pool: string;
  /** The lease's GPU type. */
  gpuType: string;
  /** GPUs the lease holds (`gpu.count`), whether in force or not. */
  gpus: number;
  /** Where the lease stands at the instant. */
  state: LeaseState;
  /**
   * While in force, the GPUs of its nodes beyond its count, which its reserve holds
   * (lease/reserve.ts), and the node they are on (absent where no node is named); absent when none.
   */
  reserved?: { units: number; node?: string };
  /** The tenant stack's file. */
  file: string;
}

/** One pool as the fleet stands at an instant. */
export interface PoolAt {
  /** The platform stack. */
  platform: string;
  /** The pool's name. */
  pool: string;
  /** The pool's GPU type. */
  gpuType: string;
  /** GPUs the pool can hold ({@link poolCapacity}). */
  capacity: number;
  /** GPUs of the leases in force on the pool at the instant: their `gpu.count`, not their whole-node footprint. */
  leased: number;
}

/** The fleet at an instant: every lease's state and every pool's leased GPUs. */
export function fleetAt(stacks: readonly Stack[], at: number): { leases: LeaseAt[]; pools: PoolAt[] } {
  const leases: LeaseAt[] = [];
  const pools = new Map<string, PoolAt>();
  const catalogs = new Map<string, GpuCatalog>();
  for (const s of stacks) {
    if (s.role !== "platform") continue;
    catalogs.set(s.name, s.catalog);
    for (const pool of s.config.pools) {
      pools.set(`${s.name}/${pool.name}`, {
        platform: s.name,
        pool: pool.name,
        gpuType: pool.gpuType,
        capacity: poolCapacity(s, pool),
        leased: 0,
      });
    }
  }
  for (const s of stacks) {
    if (s.role !== "tenant") continue;
    const catalog = catalogs.get(s.config.platform);
    const reserves = new Map(
      (catalog ? leaseReserves(s.config.tenant.name, s.config.leases, catalog, at) : []).map((r) => [
        r.lease,
        { units: r.units, ...(r.node !== undefined ? { node: r.node } : {}) },
      ]),
    );
    for (const { lease: l, state, inForce } of leaseViews(s.config.leases, at)) {
      const reserved = reserves.get(l.id);
      leases.push({
        id: l.id,
        tenant: s.config.tenant.name,
        platform: s.config.platform,
        pool: l.placement.pool,
        gpuType: l.gpu.type,
        gpus: l.gpu.count,
        state,
        ...(reserved ? { reserved } : {}),
        file: s.file,
      });
      const pool = pools.get(`${s.config.platform}/${l.placement.pool}`);
      if (pool && inForce) pool.leased += l.gpu.count;
    }
  }
  return { leases, pools: [...pools.values()] };
}
