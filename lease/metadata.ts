/** Cloud metadata endpoints, never reachable from a tenant namespace (IPv4, and AWS's IPv6 one). */
export const METADATA_CIDRS = ["169.254.169.254/32", "fd00:ec2::254/128"] as const;
