export * from "./cluster";
export * from "./gpu-node-pool";
export * from "./lease-admission";
export * from "./pool-inventory";
export * from "./tenant-namespace";
export * from "./aws/eks-cluster";
export * from "./aws/eks-gpu-node-pool";
export * from "./aws/network-isolation";
