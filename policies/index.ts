// The lease policy pack. Run it with the stack's contract:
//   npx leasehold policy-config --stack tenant-acme > policy-config.json
//   pulumi preview --policy-pack policies --policy-pack-config policy-config.json
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./all";

new PolicyPack("leasehold", { policies: POLICIES });
