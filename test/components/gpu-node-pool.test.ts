import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { ofType, promiseOf, runMocked } from "./mocks";
import type { Lease } from "../../lease/schema";

function lease(id: string, nodes: string[], start: string, end: string, notice?: Lease["reclaim"]["notice"]): Lease {
  return {
    id,
    gpu: { type: "h100-80gb", count: 8 * nodes.length },
    window: { start, end },
    placement: { pool: "h100-a", nodes },
    reclaim: notice ? { noticeHours: 72, notice } : { noticeHours: 72 },
  };
}

async function patches(l: Lease, at: string) {
  const { GpuNodePool } = await import("../../components/gpu-node-pool");
  let nodes: string[] = [];
  const r = await runMocked(() => {
    const pool = new GpuNodePool(
      l.id,
      { tenant: "acme", lease: l, at: Date.parse(at), kubeconfig: "kubeconfig" },
      { provider: new k8s.Provider("k8s", { kubeconfig: "{}" }) },
    );
    return { nodes: promiseOf<string[]>(pool.nodes).then((n) => (nodes = n)) };
  });
  return { patches: ofType(r, "kubernetes:core/v1:NodePatch"), taints: r.filter((x) => x.type.endsWith("NodeTaint")), nodes };
}

describe("GpuNodePool on an existing cluster", () => {
  const a = lease("acme-h100", ["gpu-001", "gpu-002"], "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");

  it("labels each leased node while the lease is in force, server-side, under the lease's own forced field manager (and leaves spec.taints, an atomic list, alone)", async () => {
    const { patches: p, nodes } = await patches(a, "2027-01-15T00:00:00Z");
    expect(nodes).toEqual(["gpu-001", "gpu-002"]);
    expect(p.map((x) => x.inputs)).toEqual(
      ["gpu-001", "gpu-002"].map((name) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          labels: { "leasehold.io/lease": "acme-h100", "leasehold.io/tenant": "acme" },
          annotations: { "pulumi.com/patchFieldManager": "leasehold-lease-acme-h100", "pulumi.com/patchForce": "true" },
        },
      })),
    );
  });

  it("taints each leased node with leasehold.io/lease=<id>:NoExecute as one entry of its taint list, given back idle when the lease goes", async () => {
    const { taints } = await patches(a, "2027-01-15T00:00:00Z");
    expect(taints.map((t) => [t.inputs.node, t.inputs.intent, t.inputs.releaseTo, t.inputs.fieldManager])).toEqual(
      ["gpu-001", "gpu-002"].map((n) => [
        n,
        { mode: "set", key: "leasehold.io/lease", value: "acme-h100", effect: "NoExecute" },
        "",
        "leasehold-lease-acme-h100",
      ]),
    );
    expect((await patches(a, "2027-02-01T00:00:00Z")).taints).toEqual([]);
  });

  it("holds no node before the window, at its exact end, or once a reclaim took effect", async () => {
    expect((await patches(a, "2026-12-31T23:59:59Z")).patches).toEqual([]);
    expect((await patches(a, "2027-02-01T00:00:00Z")).patches).toEqual([]);
    const notice = { issuedAt: "2027-01-10T00:00:00Z", effectiveAt: "2027-01-13T00:00:00Z", reason: "maintenance" };
    const reclaimed = lease("acme-h100", ["gpu-001"], "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", notice);
    expect((await patches(reclaimed, "2027-01-12T23:59:59Z")).patches).toHaveLength(1);
    expect((await patches(reclaimed, "2027-01-13T00:00:00Z")).patches).toEqual([]);
  });

  it("gives back-to-back leases on one node different field managers", async () => {
    const next = lease("bluefin-h100", ["gpu-001"], "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z");
    const first = (await patches(a, "2027-01-31T00:00:00Z")).patches[0]!.inputs.metadata.annotations["pulumi.com/patchFieldManager"];
    const second = (await patches(next, "2027-02-01T00:00:00Z")).patches[0]!.inputs.metadata.annotations["pulumi.com/patchFieldManager"];
    expect(first).not.toBe(second);
  });
});
