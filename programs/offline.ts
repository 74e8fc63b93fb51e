import { stringify } from "yaml";
import type { PlatformStack } from "../lease/load";

// What a platform stack's outputs look like to a program run with no cluster and no cloud
// (`leasehold render`, unit tests): placeholders that name themselves as offline.

/** A kubeconfig that reaches nothing. */
export const OFFLINE_KUBECONFIG = stringify({
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "offline", cluster: { server: "https://offline.invalid" } }],
  users: [{ name: "offline", user: {} }],
  contexts: [{ name: "offline", context: { cluster: "offline", user: "offline" } }],
  "current-context": "offline",
});

/** The outputs a tenant stack reads from its platform, as placeholders (its provider's). */
export function offlinePlatformOutputs(platform: PlatformStack): Record<string, unknown> {
  // Loaded here: the providers' contracts import OFFLINE_KUBECONFIG from this module.
  const { providerOf } = require("../providers") as typeof import("../providers");
  return providerOf(platform.config.cluster).offlineOutputs(platform.config.cluster);
}
