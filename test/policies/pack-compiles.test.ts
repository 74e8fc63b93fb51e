import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

// The pack is not compiled by the project's tsc: Pulumi's policy runner type-checks it with
// ts-node (its vendored 7.0.1 when the project has none), no tsconfig (policies/ has none), and
// its own compiler options (cmd/run-policy-pack/run.js), so code that passes `npm test`'s tsc
// can still stop the pack from starting ("could not read plugin ... exit status 32"). Compile the
// pack here that same way, with every provider's policy checks (loaded lazily at run time).

const ROOT = path.resolve(__dirname, "../..");
const PULUMI = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [ROOT] }));

describe("the policy pack", () => {
  it("compiles as Pulumi's policy runner compiles it, with every provider's policy checks", () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "leasehold-pack-tsnode-"));
    const script = `
      const path = require("path");
      const typescript = require.resolve("typescript", { paths: [${JSON.stringify(ROOT)}] });
      const tsnode = ${JSON.stringify(fs.existsSync(path.join(ROOT, "node_modules/ts-node")) ? "ts-node" : path.join(PULUMI, "vendor", "ts-node@7.0.1"))};
      const ts = require(typescript);
      const nodeNext = Number(ts.version.split(".")[0]) > 4 || (Number(ts.version.split(".")[0]) === 4 && Number(ts.version.split(".")[1]) >= 7);
      require(tsnode).register({
        typeCheck: true,
        skipProject: true,
        compiler: typescript,
        compilerOptions: { target: "ES2020", module: nodeNext ? "nodenext" : "commonjs", moduleResolution: nodeNext ? "nodenext" : "node", sourceMap: "true" },
      });
      require(path.join(process.cwd(), "all.ts"));
      const { allProviders } = require(path.join(process.cwd(), "..", "providers", "index.ts"));
      for (const p of allProviders()) p.policy();
      console.log("compiled");
    `;
    const r = spawnSync(process.execPath, ["-e", script], {
      cwd: path.join(ROOT, "policies"),
      encoding: "utf8",
      env: { ...process.env, TS_NODE_CACHE_DIRECTORY: cache },
    });
    fs.rmSync(cache, { recursive: true, force: true });
    expect(r.stdout + r.stderr).toContain("compiled");
    expect(r.status).toBe(0);
  }, 180_000);
});
