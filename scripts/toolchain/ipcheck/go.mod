// leasehold's reference reader of CIDRs: Go's net/netip and Kubernetes' k8s.io/utils/net, at the
// version Kubernetes 1.34.4 builds with (see main.go).
module leasehold.local/toolchain/ipcheck

go 1.26.0

require k8s.io/utils v0.0.0-20250604170112-4c0f3b243397
