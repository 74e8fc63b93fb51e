import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { podSecurityRestricted, type PodSecurityViolation } from "../../lease/pod-security";

// The restricted profile against Kubernetes' own pod-security-admission fixtures (Apache-2.0),
// plus hand-written cases for the rules the fixtures do not pin down.

const CORPUS = path.resolve(__dirname, "../../../shared/corpora/pod-security");
const HAS_CORPUS = fs.existsSync(CORPUS);

/** The check ids of pod-security-admission (policy v1.35). */
const BASELINE_CHECKS = [
  "hostNamespaces",
  "privileged",
  "capabilities_baseline",
  "hostPathVolumes",
  "hostPorts",
  "appArmorProfile",
  "seLinuxOptions",
  "procMount",
  "seccompProfile_baseline",
  "sysctls",
  "windowsHostProcess",
  "hostProbesAndHostLifecycle",
];
const RESTRICTED_CHECKS = [
  "restrictedVolumes",
  "allowPrivilegeEscalation",
  "runAsNonRoot",
  "runAsUser",
  "seccompProfile_restricted",
  "capabilities_restricted",
  "procMount_restricted",
];
const ALL_CHECKS = new Set([...BASELINE_CHECKS, ...RESTRICTED_CHECKS]);

interface Fixture {
  file: string;
  /** The check the fixture exercises: its file name without the trailing number, lowercased. */
  prefix: string;
  violations: PodSecurityViolation[];
}

function fixtures(folder: string): Fixture[] {
  const dir = path.join(CORPUS, folder);
  if (!HAS_CORPUS || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const pod = parse(fs.readFileSync(path.join(dir, file), "utf8")) as { spec?: unknown; metadata?: unknown };
      // The fixtures expect the user-namespace relaxations (procmount1: Unmasked in a hostUsers:
      // false pod passes baseline); the API server applies them only behind a feature gate that is
      // off by default, so admit's default is off (the e2e admission differential checks that).
      return {
        file,
        prefix: file.replace(/\d*\.yaml$/, ""),
        violations: podSecurityRestricted(pod.spec, pod.metadata, { userNamespaceRelaxations: true }),
      };
    });
}

const show = (vs: PodSecurityViolation[]) => vs.map((v) => `${v.check}: ${v.message}`).join("\n");

describe.skipIf(!HAS_CORPUS)(
  HAS_CORPUS ? "pod-security-admission fixtures" : `pod-security-admission fixtures (skipped: no corpus at ${CORPUS})`,
  () => {
    const restrictedFail = fixtures("restricted/fail");
    const restrictedPass = fixtures("restricted/pass");
    const baselineFail = fixtures("baseline/fail");
    const baselinePass = fixtures("baseline/pass");

    it("finds every folder of the corpus populated", () => {
      expect(restrictedFail.length).toBeGreaterThan(0);
      expect(restrictedPass.length).toBeGreaterThan(0);
      expect(baselineFail.length).toBeGreaterThan(0);
      expect(baselinePass.length).toBeGreaterThan(0);
    });

    describe.each([
      ["restricted/fail", restrictedFail],
      ["baseline/fail", baselineFail],
    ])("%s: refused, for the fixture's own reason", (_folder, list) => {
      it.each(list.map((f) => [f.file, f] as const))("%s", (_file, f) => {
        expect(f.violations.length, `${f.file} was admitted`).toBeGreaterThan(0);
        const checks = f.violations.map((v) => v.check.toLowerCase());
        expect(checks, `${f.file} refused for other reasons:\n${show(f.violations)}`).toContain(f.prefix);
        for (const v of f.violations) {
          expect(ALL_CHECKS.has(v.check), `unknown check id ${v.check}`).toBe(true);
          expect(v.message.length).toBeGreaterThan(10);
        }
      });
    });

    it.each(restrictedPass.map((f) => [f.file, f] as const))("restricted/pass: admits %s", (_file, f) => {
      expect(f.violations, show(f.violations)).toEqual([]);
    });

    it.each(baselinePass.map((f) => [f.file, f] as const))("baseline/pass: no baseline check refuses %s", (_file, f) => {
      const baseline = f.violations.filter((v) => BASELINE_CHECKS.includes(v.check));
      expect(baseline, show(baseline)).toEqual([]);
    });

    it("names fixtures only after real check ids", () => {
      const prefixes = new Set([...restrictedFail, ...baselineFail].map((f) => f.prefix));
      const known = new Set([...ALL_CHECKS].map((c) => c.toLowerCase()));
      expect([...prefixes].filter((p) => !known.has(p))).toEqual([]);
    });
  },
);

// ---------------------------------------------------------------------------------------------
// Hand-written cases.

type Json = Record<string, unknown>;

const RESTRICTED_SC = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/** A fully compliant pod spec, with `patch` applied to the pod and `app` merged into the one container. */
function spec(patch: Json = {}, app: Json = {}): Json {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [{ name: "app", image: "registry.k8s.io/pause", securityContext: { ...RESTRICTED_SC }, ...app }],
    ...patch,
  };
}

const checksOf = (s: unknown, m?: unknown) => podSecurityRestricted(s, m).map((v) => v.check);
const only = (s: unknown, check: string, m?: unknown) => podSecurityRestricted(s, m).find((v) => v.check === check);

describe("podSecurityRestricted", () => {
  it("admits a fully compliant pod", () => {
    expect(podSecurityRestricted(spec())).toEqual([]);
  });

  it("admits runAsNonRoot set only at pod level, inherited by every container", () => {
    const s = spec({}, { securityContext: { ...RESTRICTED_SC } });
    expect((s.securityContext as Json).runAsNonRoot).toBe(true);
    expect(checksOf(s)).toEqual([]);
  });

  it("refuses a container that overrides runAsNonRoot to false, naming it", () => {
    const v = only(spec({}, { securityContext: { ...RESTRICTED_SC, runAsNonRoot: false } }), "runAsNonRoot");
    expect(v?.message).toBe('container "app" must not set securityContext.runAsNonRoot=false');
  });

  it("refuses a pod where neither pod nor container sets runAsNonRoot", () => {
    const v = only(spec({ securityContext: { seccompProfile: { type: "RuntimeDefault" } } }), "runAsNonRoot");
    expect(v?.message).toBe('pod or container "app" must set securityContext.runAsNonRoot=true');
  });

  it("names the offending containers in its messages", () => {
    const s = spec({
      initContainers: [{ name: "init", securityContext: { capabilities: { drop: ["ALL"] } } }],
      ephemeralContainers: [{ name: "debugger", securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ["ALL"] } } }],
    });
    expect(only(s, "allowPrivilegeEscalation")?.message).toBe(
      'containers "init", "debugger" must set securityContext.allowPrivilegeEscalation=false',
    );
  });

  it("reports the bad values", () => {
    const s = spec({}, { securityContext: { ...RESTRICTED_SC, capabilities: { drop: ["ALL"], add: ["NET_RAW", "NET_BIND_SERVICE"] } } });
    expect(only(s, "capabilities_restricted")?.message).toBe(
      'container "app" must not include "NET_RAW" in securityContext.capabilities.add',
    );
    expect(only(s, "capabilities_baseline")?.message).toBe(
      'container "app" must not include "NET_RAW" in securityContext.capabilities.add',
    );
    const vol = spec({ volumes: [{ name: "data", nfs: { server: "x", path: "/" } }] });
    expect(only(vol, "restrictedVolumes")?.message).toBe('volume "data" uses restricted volume type "nfs"');
  });

  it("exempts Windows pods from the Linux-only restricted checks, and only those", () => {
    const windows = { os: { name: "windows" }, securityContext: { runAsNonRoot: true }, containers: [{ name: "win" }] };
    expect(checksOf(windows)).toEqual([]);
    const linux = { ...windows, os: { name: "linux" } };
    expect(checksOf(linux)).toEqual(["allowPrivilegeEscalation", "seccompProfile_restricted", "capabilities_restricted"]);
    expect(checksOf({ ...windows, securityContext: {} })).toEqual(["runAsNonRoot"]);
  });

  it("judges user-namespace pods like any other unless the relaxations are on (the API server's feature gate, off by default)", () => {
    const s = spec(
      { hostUsers: false, securityContext: { runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } } },
      { securityContext: { ...RESTRICTED_SC, procMount: "Unmasked" } },
    );
    expect(checksOf(s)).toEqual(["procMount", "runAsNonRoot", "runAsUser", "procMount_restricted"]);
    expect(podSecurityRestricted(s, undefined, { userNamespaceRelaxations: true }).map((v) => v.check)).toEqual(["procMount_restricted"]);
    expect(checksOf({ ...s, hostUsers: true })).toEqual(["procMount", "runAsNonRoot", "runAsUser", "procMount_restricted"]);
  });

  it("takes the seccomp profile from the pod unless a container overrides it", () => {
    expect(
      checksOf(spec({}, { securityContext: { ...RESTRICTED_SC, seccompProfile: { type: "Localhost", localhostProfile: "p" } } })),
    ).toEqual([]);
    const unconfined = spec({}, { securityContext: { ...RESTRICTED_SC, seccompProfile: { type: "Unconfined" } } });
    expect(only(unconfined, "seccompProfile_restricted")?.message).toBe(
      'container "app" must not set securityContext.seccompProfile.type to "Unconfined"',
    );
    expect(checksOf(unconfined)).toContain("seccompProfile_baseline");
  });

  it("checks AppArmor in the field and in the legacy annotation", () => {
    const field = spec({}, { securityContext: { ...RESTRICTED_SC, appArmorProfile: { type: "Unconfined" } } });
    expect(only(field, "appArmorProfile")?.message).toBe(
      'container "app" must not set securityContext.appArmorProfile.type to "Unconfined"',
    );
    const ann = (v: string) => ({ annotations: { "container.apparmor.security.beta.kubernetes.io/app": v } });
    expect(checksOf(spec(), ann("unconfined"))).toEqual(["appArmorProfile"]);
    expect(checksOf(spec(), ann("localhost/profile"))).toEqual([]);
    expect(checksOf(spec(), ann("runtime/default"))).toEqual([]);
  });

  it("forbids hosts in probes and lifecycle handlers", () => {
    const s = spec(
      {},
      { lifecycle: { preStop: { tcpSocket: { host: "10.0.0.1", port: 80 } } }, readinessProbe: { httpGet: { port: 80, host: "" } } },
    );
    expect(checksOf(s)).toEqual(["hostProbesAndHostLifecycle"]);
    expect(only(s, "hostProbesAndHostLifecycle")?.message).toContain('"10.0.0.1"');
  });

  it("knows the newer allowances: image volumes, container_engine_t, tcp_rmem", () => {
    expect(checksOf(spec({ volumes: [{ name: "model", image: { reference: "registry.example/model:1" } }] }))).toEqual([]);
    expect(checksOf(spec({}, { securityContext: { ...RESTRICTED_SC, seLinuxOptions: { type: "container_engine_t" } } }))).toEqual([]);
    expect(
      checksOf(
        spec({
          securityContext: {
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
            sysctls: [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 16777216" }],
          },
        }),
      ),
    ).toEqual([]);
    expect(
      checksOf(
        spec({
          securityContext: {
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
            sysctls: [{ name: "kernel.msgmax", value: "1" }],
          },
        }),
      ),
    ).toEqual(["sysctls"]);
  });

  it("refuses a volume source it does not know", () => {
    expect(only(spec({ volumes: [{ name: "odd", somethingNew: {} }] }), "restrictedVolumes")?.message).toContain("somethingNew");
  });

  it("never lets a wrongly typed value satisfy a requirement", () => {
    expect(checksOf(spec({ securityContext: { runAsNonRoot: "true", seccompProfile: { type: "RuntimeDefault" } } }))).toEqual([
      "runAsNonRoot",
    ]);
    expect(checksOf(spec({}, { securityContext: { allowPrivilegeEscalation: "false", capabilities: { drop: ["ALL"] } } }))).toEqual([
      "allowPrivilegeEscalation",
    ]);
  });

  it("answers any input with a list of violations, never an exception", () => {
    let seed = 7;
    const r = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const atoms: unknown[] = [null, undefined, 0, 1, -1, "", "x", "ALL", "Unconfined", true, false, [], {}];
    const keys = [
      "containers",
      "initContainers",
      "ephemeralContainers",
      "securityContext",
      "name",
      "capabilities",
      "add",
      "drop",
      "volumes",
      "hostPath",
      "ports",
      "hostPort",
      "seccompProfile",
      "type",
      "sysctls",
      "os",
      "hostUsers",
      "runAsNonRoot",
      "livenessProbe",
      "httpGet",
      "host",
      "lifecycle",
      "postStart",
      "annotations",
      "appArmorProfile",
      "seLinuxOptions",
      "procMount",
    ];
    const value = (depth: number): unknown => {
      const p = r();
      if (depth <= 0 || p < 0.35) return atoms[Math.floor(r() * atoms.length)];
      if (p < 0.55) return Array.from({ length: Math.floor(r() * 3) }, () => value(depth - 1));
      const o: Json = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[keys[Math.floor(r() * keys.length)]!] = value(depth - 1);
      return o;
    };
    for (let i = 0; i < 2000; i++) {
      const result = podSecurityRestricted(value(5), value(3));
      expect(Array.isArray(result)).toBe(true);
      for (const v of result) {
        expect(ALL_CHECKS.has(v.check)).toBe(true);
        expect(typeof v.message).toBe("string");
      }
    }
    expect(podSecurityRestricted(undefined)).toEqual([]);
    expect(podSecurityRestricted("pod", 42)).toEqual([]);
  });
});
