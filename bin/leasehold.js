#!/usr/bin/env node
"use strict";
// The CLI is written in TypeScript; tsx compiles it on load (cached), so no build step is needed.
require("tsx/cjs");

// `leasehold check | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e && e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = require("../cli/main.ts");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`leasehold: internal error (please report it): ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 3;
  },
);
