# Versions of the toolchain the e2e suite runs against. Sourced by build.sh and by
# scripts/controlplane/*.sh. Each version here must match the requirement in the
# wrapper module's go.mod next to this file (build.sh checks that).

# Pulumi CLI: module github.com/pulumi/pulumi/pkg/v3, package cmd/pulumi.
LEASEHOLD_PULUMI_VERSION=3.274.1
# Pulumi Kubernetes provider 4.25.0 (the npm @pulumi/kubernetes the project pins).
# Module github.com/pulumi/pulumi-kubernetes/provider/v4 has no semver tag on the
# proxy; this pseudo-version is the v4.25.0 commit.
LEASEHOLD_K8S_PROVIDER_VERSION=4.25.0
LEASEHOLD_K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl: module k8s.io/kubernetes.
LEASEHOLD_KUBERNETES_VERSION=1.34.4
# Storage for kube-apiserver: kine (etcd API over SQLite), module github.com/k3s-io/kine.
LEASEHOLD_KINE_VERSION=0.17.5
# Simulated kubelets (Ready nodes with the catalog's GPUs that run pods), module sigs.k8s.io/kwok.
LEASEHOLD_KWOK_VERSION=0.8.0
# NetworkPolicy engine that judges traffic against policy files offline (the e2e suite's
# independent check of tenant isolation), module github.com/mattfenwick/cyclonus.
LEASEHOLD_CYCLONUS_VERSION=0.5.6
