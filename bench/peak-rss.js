// Preloaded into a measured process (node --require): writes its peak resident memory, in bytes,
// to the file named by LEASEHOLD_PEAK_RSS_FILE when it exits.
"use strict";
const fs = require("node:fs");
const out = process.env.LEASEHOLD_PEAK_RSS_FILE;
if (out) process.on("exit", () => fs.writeFileSync(out, String(process.resourceUsage().maxRSS * 1024)));
