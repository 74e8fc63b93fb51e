// The Kubernetes Pod Security Standards "restricted" profile (every baseline check included), as the
// pod-security-admission library (k8s.io/pod-security-admission/policy) evaluates it at policy
// version v1.35, the newest its registry knows of: the version `latest` resolves to.
//
// A reimplementation, not a port: each check below names its rule and follows the library's logic
// and its forbidden-detail sentences. Where this module deliberately differs:
//
// - The library lets some restricted checks *override* baseline ones at the restricted level
//   (restrictedVolumes over hostPathVolumes, capabilities_restricted over capabilities_baseline,
//   seccompProfile_restricted over seccompProfile_baseline, procMount_restricted over procMount),
//   so it reports such a pod under the restricted id only. Here every baseline check always runs,
//   so a hostPath volume, say, is reported both as hostPathVolumes and as restrictedVolumes. The
//   verdict (refused or not) is the same; each violation names the rule it breaks.
// - The input is untrusted JSON, not a decoded Go struct. Nothing here throws. Absent (or null)
//   fields are absent. A value of the wrong type never satisfies a requirement (runAsNonRoot: "true"
//   is not true), a string field compared against an allow-list fails on a non-string value, and
//   a boolean or number only counts as set to a forbidden value when it has the right type
//   (privileged: "true" is not true; the API server would refuse such a pod anyway).
// - A volume with a source this module does not know is refused as an unknown restricted type, and
//   a volume naming several sources is judged on all of them (the API server refuses both).
// - Messages are full sentences; a few are more explicit than the library's (host namespaces,
//   sysctls, hostPath volumes, SELinux user/role, AppArmor annotations, probe and lifecycle hosts).

/** How the API server evaluates the profile. */
export interface PodSecurityOptions {
  /**
   * The KEP-127 relaxations for user-namespace pods (hostUsers: false: runAsNonRoot, runAsUser and
   * procMount not checked), which the API server applies only with its
   * UserNamespacesPodSecurityStandards feature gate on (alpha; a v1.34 server refuses such pods,
   * as the admission differential shows). @default false
   */
  userNamespaceRelaxations?: boolean;
}

/** One failed Pod Security check. */
export interface PodSecurityViolation {
  /** The check's id, as pod-security-admission names it, e.g. `runAsNonRoot` or `seccompProfile_restricted`. */
  check: string;
  /** What the pod does that the check forbids, in the library's words. */
  message: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const objOf = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const present = (v: unknown): boolean => v !== undefined && v !== null;

/** A value as the text an allow-list compares (non-strings never match an allowed string). */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** `"a", "b"`: each item quoted. */
const quoted = (items: readonly string[]): string => items.map((s) => JSON.stringify(s)).join(", ");
const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);
const uniq = (items: readonly string[]): string[] => [...new Set(items)];
const sortedUniq = (items: readonly string[]): string[] => uniq(items).sort();
/** `container "a"` / `containers "a", "b"`. */
const containersPhrase = (names: readonly string[]): string => {
  const u = uniq(names);
  return `${plural(u.length, "container", "containers")} ${quoted(u)}`;
};

// ---------------------------------------------------------------------------------------------
// The pod as the checks see it.

interface Container {
  /** Its name, or where it sits (`containers[2]`) when it has none. */
  name: string;
  /** Its securityContext, when that is an object. */
  sc: Obj | undefined;
  raw: Obj;
}

interface Pod {
  spec: Obj;
  annotations: Obj;
  /** spec.securityContext, when that is an object. */
  sc: Obj | undefined;
  /** initContainers, containers, ephemeralContainers: the library's visiting order. */
  containers: Container[];
  /** spec.os.name == "windows": the Linux-only restricted checks do not apply (policy v1.25+). */
  windows: boolean;
  /**
   * spec.hostUsers == false and the KEP-127 relaxations on: the API server relaxes runAsNonRoot,
   * runAsUser and procMount for user-namespace pods only with its UserNamespacesPodSecurityStandards
   * feature gate (alpha, off by default).
   */
  userNamespace: boolean;
}

function podOf(spec: unknown, metadata: unknown, userNamespaceRelaxations: boolean): Pod {
  const s = objOf(spec) ?? {};
  const containers: Container[] = [];
  for (const field of ["initContainers", "containers", "ephemeralContainers"] as const) {
    listOf(s[field]).forEach((entry, i) => {
      const raw = objOf(entry) ?? {};
      const name = typeof raw.name === "string" && raw.name !== "" ? raw.name : `${field}[${i}]`;
      containers.push({ name, sc: objOf(raw.securityContext), raw });
    });
  }
  return {
    spec: s,
    annotations: objOf(objOf(metadata)?.annotations) ?? {},
    sc: objOf(s.securityContext),
    containers,
    windows: objOf(s.os)?.name === "windows",
    userNamespace: userNamespaceRelaxations && s.hostUsers === false,
  };
}

/** "pod", "containers \"a\"", or "pod and container \"a\"": who set a forbidden value. */
function settersPhrase(pod: boolean, containers: readonly string[]): string {
  const parts: string[] = [];
  if (pod) parts.push("pod");
  if (containers.length > 0) parts.push(containersPhrase(containers));
  return parts.join(" and ");
}

// ---------------------------------------------------------------------------------------------
// Tables.

/** capabilities_baseline: the capabilities a container may add (the container runtime's default set). */
const BASELINE_ADDABLE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

/** capabilities_restricted: containers must drop this... */
const CAPABILITY_ALL = "ALL";
/** ...and may add only this. */
const RESTRICTED_ADDABLE_CAPABILITY = "NET_BIND_SERVICE";

/** sysctls: the safe (namespaced, isolated) sysctls, as of policy v1.32 (unchanged through v1.35). */
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports", // v1.27
  "net.ipv4.tcp_keepalive_time", // v1.29
  "net.ipv4.tcp_fin_timeout", // v1.29
  "net.ipv4.tcp_keepalive_intvl", // v1.29
  "net.ipv4.tcp_keepalive_probes", // v1.29
  "net.ipv4.tcp_rmem", // v1.32
  "net.ipv4.tcp_wmem", // v1.32
]);

/** seLinuxOptions: the allowed SELinux types ("" is the runtime's default). */
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t" /* v1.31 */]);

/** restrictedVolumes: the volume sources a restricted pod may use (image: v1.33+). */
const ALLOWED_VOLUME_SOURCES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** restrictedVolumes: the other volume sources of the core API, all refused. Any other key is refused as unknown. */
const RESTRICTED_VOLUME_SOURCES = new Set([
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "storageos",
]);

/** seccompProfile_*: the allowed profile types. */
const SECCOMP_TYPES = new Set(["RuntimeDefault", "Localhost"]);
/** appArmorProfile: the allowed securityContext.appArmorProfile types. */
const APPARMOR_TYPES = new Set(["RuntimeDefault", "Localhost"]);
/** appArmorProfile: the legacy per-container annotation, and the values it may take. */
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const appArmorAnnotationAllowed = (v: string) => v === "" || v === "runtime/default" || v.startsWith("localhost/");

/** procMount / procMount_restricted: the only allowed procMount. */
const DEFAULT_PROC_MOUNT = "Default";

/** hostProbesAndHostLifecycle: where a host may hide. */
const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const LIFECYCLE_HANDLERS = ["postStart", "preStop"] as const;
const HANDLER_ACTIONS = ["httpGet", "tcpSocket"] as const;

// ---------------------------------------------------------------------------------------------
// Shared rules.

/** The bad seccomp setters (`type` outside RuntimeDefault/Localhost) at pod and container level. */
function badSeccomp(pod: Pod): { pod: boolean; podValid: boolean; containers: string[]; values: string[] } {
  const values: string[] = [];
  const profileType = (sc: Obj | undefined): string | undefined => {
    const profile = objOf(sc?.seccompProfile);
    if (!profile) return undefined;
    return present(profile.type) ? text(profile.type) : "";
  };
  const podType = profileType(pod.sc);
  const podBad = podType !== undefined && !SECCOMP_TYPES.has(podType);
  if (podBad) values.push(podType);
  const containers: string[] = [];
  for (const c of pod.containers) {
    const t = profileType(c.sc);
    if (t !== undefined && !SECCOMP_TYPES.has(t)) {
      containers.push(c.name);
      values.push(t);
    }
  }
  return { pod: podBad, podValid: podType !== undefined && !podBad, containers, values: sortedUniq(values) };
}

/** Containers setting procMount to anything but Default, and the values set. */
function badProcMounts(pod: Pod): string | undefined {
  const bad: string[] = [];
  const values: string[] = [];
  for (const c of pod.containers) {
    const pm = c.sc?.procMount;
    if (present(pm) && text(pm) !== DEFAULT_PROC_MOUNT) {
      bad.push(c.name);
      values.push(text(pm));
    }
  }
  if (bad.length === 0) return undefined;
  return `${containersPhrase(bad)} must not set securityContext.procMount to ${quoted(sortedUniq(values))}`;
}

// ---------------------------------------------------------------------------------------------
// The checks. Each returns the violation's message, or undefined when the pod passes it.

interface Check {
  id: string;
  level: "baseline" | "restricted";
  run: (pod: Pod) => string | undefined;
}

const CHECKS: readonly Check[] = [
  // --- baseline -------------------------------------------------------------------------------

  {
    // Sharing the host's network, PID or IPC namespace is forbidden.
    id: "hostNamespaces",
    level: "baseline",
    run: (pod) => {
      const set = ["hostIPC", "hostNetwork", "hostPID"].filter((k) => pod.spec[k] === true);
      return set.length ? `pod must not set ${set.map((k) => `${k}=true`).join(", ")}` : undefined;
    },
  },
  {
    // Privileged containers are forbidden.
    id: "privileged",
    level: "baseline",
    run: (pod) => {
      const bad = pod.containers.filter((c) => c.sc?.privileged === true).map((c) => c.name);
      return bad.length ? `${containersPhrase(bad)} must not set securityContext.privileged=true` : undefined;
    },
  },
  {
    // Containers may add only capabilities of the runtime's default set (no NET_RAW, nothing else).
    id: "capabilities_baseline",
    level: "baseline",
    run: (pod) => {
      const bad: string[] = [];
      const caps: string[] = [];
      for (const c of pod.containers) {
        const added = listOf(objOf(c.sc?.capabilities)?.add)
          .map(text)
          .filter((cap) => !BASELINE_ADDABLE_CAPABILITIES.has(cap));
        if (added.length) {
          bad.push(c.name);
          caps.push(...added);
        }
      }
      return bad.length
        ? `${containersPhrase(bad)} must not include ${quoted(sortedUniq(caps))} in securityContext.capabilities.add`
        : undefined;
    },
  },
  {
    // hostPath volumes are forbidden.
    id: "hostPathVolumes",
    level: "baseline",
    run: (pod) => {
      const bad = volumesOf(pod)
        .filter((v) => present(v.raw.hostPath))
        .map((v) => v.name);
      return bad.length ? `${plural(bad.length, "volume", "volumes")} ${quoted(bad)} must not set hostPath` : undefined;
    },
  },
  {
    // Host ports are forbidden (hostPort must be unset or 0).
    id: "hostPorts",
    level: "baseline",
    run: (pod) => {
      const bad: string[] = [];
      const ports: number[] = [];
      for (const c of pod.containers) {
        const used = listOf(c.raw.ports)
          .map((p) => objOf(p)?.hostPort)
          .filter((hp): hp is number => typeof hp === "number" && hp !== 0);
        if (used.length) {
          bad.push(c.name);
          ports.push(...used);
        }
      }
      if (!bad.length) return undefined;
      const list = [...new Set(ports)].sort((a, b) => a - b);
      return `${containersPhrase(bad)} ${plural(uniq(bad).length, "uses", "use")} ${plural(list.length, "hostPort", "hostPorts")} ${list.join(", ")}`;
    },
  },
  {
    // AppArmor may not be disabled: securityContext.appArmorProfile.type (pod or container) must be
    // RuntimeDefault or Localhost; the legacy annotation must be runtime/default, localhost/* or empty.
    id: "appArmorProfile",
    level: "baseline",
    run: (pod) => {
      const values: string[] = [];
      const profileBad = (sc: Obj | undefined): boolean => {
        const profile = objOf(sc?.appArmorProfile);
        if (!profile) return false;
        const t = present(profile.type) ? text(profile.type) : "";
        if (APPARMOR_TYPES.has(t)) return false;
        values.push(t);
        return true;
      };
      const podBad = profileBad(pod.sc);
      const bad = pod.containers.filter((c) => profileBad(c.sc)).map((c) => c.name);
      const parts: string[] = [];
      if (podBad || bad.length) {
        parts.push(`${settersPhrase(podBad, bad)} must not set securityContext.appArmorProfile.type to ${quoted(sortedUniq(values))}`);
      }
      const annotations = Object.keys(pod.annotations)
        .filter((k) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !appArmorAnnotationAllowed(text(pod.annotations[k])))
        .sort()
        .map((k) => `${k}=${JSON.stringify(text(pod.annotations[k]))}`);
      if (annotations.length) {
        parts.push(
          `${plural(annotations.length, "annotation", "annotations")} ${annotations.join(", ")} must not set an AppArmor profile other than "runtime/default" or "localhost/*"`,
        );
      }
      return parts.length ? parts.join("; ") : undefined;
    },
  },
  {
    // SELinux: type limited to the container types; a custom user or role is forbidden.
    id: "seLinuxOptions",
    level: "baseline",
    run: (pod) => {
      const types: string[] = [];
      let user = false;
      let role = false;
      const optionsBad = (sc: Obj | undefined): boolean => {
        const opts = objOf(sc?.seLinuxOptions);
        if (!opts) return false;
        let bad = false;
        const t = present(opts.type) ? text(opts.type) : "";
        if (!SELINUX_TYPES.has(t)) {
          types.push(t);
          bad = true;
        }
        if (present(opts.user) && text(opts.user) !== "") user = bad = true;
        if (present(opts.role) && text(opts.role) !== "") role = bad = true;
        return bad;
      };
      const podBad = optionsBad(pod.sc);
      const bad = pod.containers.filter((c) => optionsBad(c.sc)).map((c) => c.name);
      if (!podBad && !bad.length) return undefined;
      const what: string[] = [];
      const t = sortedUniq(types);
      if (t.length) what.push(`${plural(t.length, "type", "types")} ${quoted(t)}`);
      if (user) what.push("user may not be set");
      if (role) what.push("role may not be set");
      return `${settersPhrase(podBad, bad)} set forbidden securityContext.seLinuxOptions: ${what.join("; ")}`;
    },
  },
  {
    // The default /proc masks are required, except in a user-namespace pod (hostUsers: false) with the relaxations on.
    id: "procMount",
    level: "baseline",
    run: (pod) => (pod.userNamespace ? undefined : badProcMounts(pod)),
  },
  {
    // Seccomp may not be disabled: a profile, where set, must be RuntimeDefault or Localhost.
    id: "seccompProfile_baseline",
    level: "baseline",
    run: (pod) => {
      const s = badSeccomp(pod);
      if (!s.pod && !s.containers.length) return undefined;
      return `${settersPhrase(s.pod, s.containers)} must not set securityContext.seccompProfile.type to ${quoted(s.values)}`;
    },
  },
  {
    // Only the safe sysctls may be set.
    id: "sysctls",
    level: "baseline",
    run: (pod) => {
      const forbidden = uniq(
        listOf(pod.sc?.sysctls)
          .filter(isObj)
          .map((s) => (present(s.name) ? text(s.name) : ""))
          .filter((name) => !SAFE_SYSCTLS.has(name)),
      );
      if (!forbidden.length) return undefined;
      return `pod must not set ${plural(forbidden.length, "forbidden sysctl", "forbidden sysctls")} ${quoted(forbidden)} in securityContext.sysctls`;
    },
  },
  {
    // Windows HostProcess containers are forbidden.
    id: "windowsHostProcess",
    level: "baseline",
    run: (pod) => {
      const hostProcess = (sc: Obj | undefined) => objOf(sc?.windowsOptions)?.hostProcess === true;
      const podBad = hostProcess(pod.sc);
      const bad = pod.containers.filter((c) => hostProcess(c.sc)).map((c) => c.name);
      if (!podBad && !bad.length) return undefined;
      return `${settersPhrase(podBad, bad)} must not set securityContext.windowsOptions.hostProcess=true`;
    },
  },
  {
    // Probes and lifecycle handlers may not target another host (httpGet/tcpSocket host unset or "", v1.34+).
    id: "hostProbesAndHostLifecycle",
    level: "baseline",
    run: (pod) => {
      const bad: string[] = [];
      const hosts: string[] = [];
      const where: string[] = [];
      for (const c of pod.containers) {
        const handlers: [string, Obj | undefined][] = [
          ...PROBES.map((p): [string, Obj | undefined] => [p, objOf(c.raw[p])]),
          ...LIFECYCLE_HANDLERS.map((h): [string, Obj | undefined] => [`lifecycle.${h}`, objOf(objOf(c.raw.lifecycle)?.[h])]),
        ];
        for (const [path, handler] of handlers) {
          for (const action of HANDLER_ACTIONS) {
            const host = objOf(handler?.[action])?.host;
            if (present(host) && text(host) !== "") {
              bad.push(c.name);
              hosts.push(text(host));
              where.push(`${path}.${action}.host of ${JSON.stringify(c.name)}`);
            }
          }
        }
      }
      if (!bad.length) return undefined;
      const h = sortedUniq(hosts);
      return `${containersPhrase(bad)} must not set ${plural(h.length, "probe or lifecycle host", "probe or lifecycle hosts")} ${quoted(h)} (${where.join(", ")})`;
    },
  },

  // --- restricted -----------------------------------------------------------------------------

  {
    // Only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim,
    // projected and secret volumes; no hostPath, no other inline volume source.
    id: "restrictedVolumes",
    level: "restricted",
    run: (pod) => {
      const bad: string[] = [];
      const types: string[] = [];
      for (const v of volumesOf(pod)) {
        const refused = Object.keys(v.raw).filter((k) => k !== "name" && present(v.raw[k]) && !ALLOWED_VOLUME_SOURCES.has(k));
        if (refused.length) {
          bad.push(v.name);
          types.push(...refused.map((k) => (RESTRICTED_VOLUME_SOURCES.has(k) ? k : `unknown (${k})`)));
        }
      }
      if (!bad.length) return undefined;
      const t = sortedUniq(types);
      return `${plural(bad.length, "volume", "volumes")} ${quoted(bad)} ${plural(bad.length, "uses", "use")} ${plural(t.length, "restricted volume type", "restricted volume types")} ${quoted(t)}`;
    },
  },
  {
    // Every container must set allowPrivilegeEscalation=false (Windows pods exempt, v1.25+).
    id: "allowPrivilegeEscalation",
    level: "restricted",
    run: (pod) => {
      if (pod.windows) return undefined;
      const bad = pod.containers.filter((c) => c.sc?.allowPrivilegeEscalation !== false).map((c) => c.name);
      return bad.length ? `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` : undefined;
    },
  },
  {
    // Containers must run as non-root: runAsNonRoot=true on the pod (inherited) or on every container,
    // and nobody may set it false. Not checked for user-namespace pods with the relaxations on.
    id: "runAsNonRoot",
    level: "restricted",
    run: (pod) => {
      if (pod.userNamespace) return undefined;
      const podValue = pod.sc?.runAsNonRoot;
      const podBad = podValue === false;
      const podTrue = podValue === true;
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of pod.containers) {
        const v = c.sc?.runAsNonRoot;
        if (v === false) explicit.push(c.name);
        else if (v !== true && !podTrue) implicit.push(c.name);
      }
      if (podBad || explicit.length) return `${settersPhrase(podBad, explicit)} must not set securityContext.runAsNonRoot=false`;
      if (implicit.length) return `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`;
      return undefined;
    },
  },
  {
    // Nobody may set runAsUser=0. Not checked for user-namespace pods with the relaxations on.
    id: "runAsUser",
    level: "restricted",
    run: (pod) => {
      if (pod.userNamespace) return undefined;
      const podBad = pod.sc?.runAsUser === 0;
      const bad = pod.containers.filter((c) => c.sc?.runAsUser === 0).map((c) => c.name);
      if (!podBad && !bad.length) return undefined;
      return `${settersPhrase(podBad, bad)} must not set runAsUser=0`;
    },
  },
  {
    // A seccomp profile is required: RuntimeDefault or Localhost on the pod (inherited) or on every
    // container, and no explicit other value (Windows pods exempt, v1.25+).
    id: "seccompProfile_restricted",
    level: "restricted",
    run: (pod) => {
      if (pod.windows) return undefined;
      const s = badSeccomp(pod);
      if (s.pod || s.containers.length) {
        return `${settersPhrase(s.pod, s.containers)} must not set securityContext.seccompProfile.type to ${quoted(s.values)}`;
      }
      const implicit = pod.containers.filter((c) => !s.podValid && !objOf(c.sc?.seccompProfile)).map((c) => c.name);
      if (implicit.length) {
        return `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`;
      }
      return undefined;
    },
  },
  {
    // Containers must drop ALL capabilities and may add back only NET_BIND_SERVICE (Windows pods exempt, v1.25+).
    id: "capabilities_restricted",
    level: "restricted",
    run: (pod) => {
      if (pod.windows) return undefined;
      const missingDrop: string[] = [];
      const adding: string[] = [];
      const caps: string[] = [];
      for (const c of pod.containers) {
        const capabilities = objOf(c.sc?.capabilities);
        if (!listOf(capabilities?.drop).some((cap) => cap === CAPABILITY_ALL)) missingDrop.push(c.name);
        const added = listOf(capabilities?.add)
          .map(text)
          .filter((cap) => cap !== RESTRICTED_ADDABLE_CAPABILITY);
        if (added.length) {
          adding.push(c.name);
          caps.push(...added);
        }
      }
      const parts: string[] = [];
      if (missingDrop.length) parts.push(`${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (adding.length)
        parts.push(`${containersPhrase(adding)} must not include ${quoted(sortedUniq(caps))} in securityContext.capabilities.add`);
      return parts.length ? parts.join("; ") : undefined;
    },
  },
  {
    // The default /proc masks are required, user namespace or not (v1.35+).
    id: "procMount_restricted",
    level: "restricted",
    run: badProcMounts,
  },
];

function volumesOf(pod: Pod): { name: string; raw: Obj }[] {
  const out: { name: string; raw: Obj }[] = [];
  listOf(pod.spec.volumes).forEach((entry, i) => {
    const raw = objOf(entry);
    if (!raw) return;
    out.push({ name: typeof raw.name === "string" && raw.name !== "" ? raw.name : `volumes[${i}]`, raw });
  });
  return out;
}

/** The restricted profile's verdict on a pod spec (and its metadata, for AppArmor annotations). */
export function podSecurityRestricted(spec: unknown, metadata?: unknown, opts: PodSecurityOptions = {}): PodSecurityViolation[] {
  const pod = podOf(spec, metadata, opts.userNamespaceRelaxations ?? false);
  const out: PodSecurityViolation[] = [];
  for (const check of CHECKS) {
    let message: string | undefined;
    try {
      message = check.run(pod);
    } catch {
      // Unreachable by construction; if a check ever throws on odd input, refuse rather than pass.
      message = `the pod could not be evaluated against ${check.id}`;
    }
    if (message !== undefined) out.push({ check: check.id, message });
  }
  return out;
}
