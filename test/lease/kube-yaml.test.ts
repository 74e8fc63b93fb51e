import { describe, expect, it } from "vitest";
import { parseManifests } from "../../lease/kube-yaml";

// kubectl reads manifests with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1): admit must read them alike.
describe("parseManifests (manifests as kubectl reads them)", () => {
  const one = (text: string) => {
    const [d] = parseManifests(text);
    expect(d!.error).toBeUndefined();
    return d!.value as Record<string, any>;
  };

  it("applies merge keys, a list of merges with the earlier map winning", () => {
    const v = one(
      "base: &b {allowPrivilegeEscalation: false, runAsUser: 1000}\nsc:\n  <<: *b\n  runAsUser: 2000\nlist: {<<: [{a: 1}, {a: 2, b: 2}]}\n",
    );
    expect(v.sc).toEqual({ allowPrivilegeEscalation: false, runAsUser: 2000 });
    expect(v.list).toEqual({ a: 1, b: 2 });
  });

  it("lets a merge key overwrite the keys written before it, as go-yaml v2 does", () => {
    expect(one("b: &b {allowPrivilegeEscalation: false}\nsc: {allowPrivilegeEscalation: true, <<: *b}\n").sc).toEqual({
      allowPrivilegeEscalation: false,
    });
  });

  it("reads YAML 1.1 scalars: yes/no/on/off, octal, hex, underscores; keeps timestamps and 1:30 as strings", () => {
    expect(one("a: [yes, No, on, OFF, y, 'yes', 010, 0x1f, 4_00, .5, 2001-12-14, 1:30, ~]").a).toEqual([
      true,
      false,
      true,
      false,
      true,
      "yes",
      8,
      31,
      400,
      0.5,
      "2001-12-14",
      "1:30",
      null,
    ]);
  });

  it("keeps a quoted << as a key, and refuses a merge of a scalar", () => {
    expect(one('m: {"<<": 1}').m).toEqual({ "<<": 1 });
    expect(parseManifests("m: {<<: 1}")[0]!.error).toContain("map merge requires");
  });

  it("reads every document; an empty one is null, a broken one an error", () => {
    const docs = parseManifests("a: 1\n---\n---\nb: [\n");
    expect(docs.map((d) => d.value ?? null)).toEqual([{ a: 1 }, null, null]);
    expect(docs[2]!.error).toMatch(/^not valid YAML/);
  });

  it("gives __proto__ as a plain key, never a prototype", () => {
    const v = one("__proto__: {polluted: true}\n");
    expect(Object.keys(v)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a document that expands exponentially through its aliases (a billion laughs), quickly", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${"bcdefghij"[i - 1]}: &${"bcdefghij"[i - 1]} [${Array(10)
          .fill(`*${i === 1 ? "a" : "bcdefghij"[i - 2]}`)
          .join(", ")}]`,
      );
    // Expanded, the document holds a billion scalars: a reader without the alias limit never
    // returns, and the test's timeout fails it. Under a loaded machine the refusal took 6 s.
    expect(parseManifests(levels.join("\n"))[0]!.error).toContain("excessive aliasing");
  }, 60_000);
});

describe("the fast reading of manifests (js-yaml when nothing reads otherwise in YAML 1.1)", () => {
  it("gives the YAML 1.1 reading for every scalar in every place a plain scalar can stand", async () => {
    const { PLAIN_SCALARS } = await import("../fixtures/yaml-scalars");
    const { parseManifestsYaml11 } = await import("../../lease/kube-yaml");
    const scalars = [
      ...PLAIN_SCALARS,
      "y",
      "Y",
      "n",
      "N",
      "yes",
      "NO",
      "on",
      "Off",
      "~",
      "100m",
      "16Gi",
      "8Ki",
      "1.5Gi",
      "nginx",
      "none",
      "onion",
      "Yesterday",
      "registry.example/app:1",
      "/bin/sh",
      "a b c",
    ];
    const places = [
      (v: string) => `k: ${v}`,
      (v: string) => `k:\n  - ${v}`,
      (v: string) => `k: [a, ${v}]`,
      (v: string) => `k: {a: ${v}}`,
      (v: string) => `k: &anchor ${v}`,
      (v: string) => `k:\n  ${v}`,
      (v: string) => `${v}: k`,
      (v: string) => `? ${v}\n: k`,
    ];
    let otherwise = 0;
    for (const s of scalars) {
      for (const place of places) {
        const text = `a: 1\n${place(s)}\n---\nb: 2\n`;
        const slow = parseManifestsYaml11(text);
        if (slow.some((d) => d.error)) continue;
        const fast = parseManifests(text);
        expect(JSON.stringify(fast), text).toBe(JSON.stringify(slow));
        if (JSON.stringify(slow) !== JSON.stringify(parseManifestsYaml11(`a: 1\n${place(JSON.stringify(s))}\n---\nb: 2\n`))) otherwise++;
      }
    }
    // Many of them do read otherwise in YAML 1.1 (the scan sent those to the full reading).
    expect(otherwise).toBeGreaterThan(100);
  });
});
