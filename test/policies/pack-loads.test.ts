import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

// Pulumi's policy runner requires the pack's folder as plain JavaScript (PulumiPolicy.yaml:
// typescript false): package.json's main, index.js, registers tsx and loads the TypeScript. Load it
// here that same way, in a process of its own with tsx's cache off (every file compiled, as on a
// fresh machine), with every provider's policy checks (loaded lazily at run time). npm test's tsc
// type-checks the pack with the rest of the project.

const ROOT = path.resolve(__dirname, "../..");

describe("the policy pack", () => {
  it("loads as Pulumi's policy runner loads it, with every provider's policy checks", () => {
    const script = `
      const path = require("path");
      const yaml = require("yaml");
      const fs = require("fs");
      const runtime = yaml.parse(fs.readFileSync("PulumiPolicy.yaml", "utf8")).runtime;
      if (runtime.name !== "nodejs" || runtime.options.typescript !== false) throw new Error("PulumiPolicy.yaml: " + JSON.stringify(runtime));
      const main = require(path.join(process.cwd(), "package.json")).main;
      if (main !== "index.js") throw new Error("package.json main: " + main);
      // The entry, with its last step (index.ts, which serves the pack to the engine and never
      // returns) left out: what it must have done before is register tsx.
      const Module = require("module");
      const load = Module._load;
      let served = false;
      Module._load = function (request, parent, ...rest) {
        if (request === "./index.ts" && parent && parent.filename === path.join(process.cwd(), "index.js")) return (served = true), {};
        return load.call(this, request, parent, ...rest);
      };
      require(process.cwd());
      Module._load = load;
      if (!served) throw new Error("index.js did not load index.ts");
      const { POLICIES } = require(path.join(process.cwd(), "all.ts"));
      const { allProviders } = require(path.join(process.cwd(), "..", "providers", "index.ts"));
      for (const p of allProviders()) p.policy();
      console.log("loaded " + POLICIES.length + " policies");
    `;
    const r = spawnSync(process.execPath, ["-e", script], {
      cwd: path.join(ROOT, "policies"),
      encoding: "utf8",
      env: { ...process.env, TSX_DISABLE_CACHE: "1" },
    });
    expect(r.stdout + r.stderr).toMatch(/loaded \d+ policies/);
    expect(r.status).toBe(0);
  }, 180_000);
});
