"use strict";
// The policy pack's entry: Pulumi's policy runner requires it as plain JavaScript (PulumiPolicy.yaml
// says typescript: false), and tsx compiles the TypeScript it loads, as bin/leasehold.js does.
require("tsx/cjs");
require("./index.ts");
