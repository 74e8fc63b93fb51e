export * from "./cluster";
export * from "./gpu-node-pool";
export * from "./lease-admission";
export * from "./pool-inventory";
export * from "./tenant-namespace";
