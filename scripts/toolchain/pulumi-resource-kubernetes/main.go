// Command pulumi-resource-kubernetes is the Pulumi Kubernetes provider (pulumi-kubernetes v4.25.0),
// built from the Go module github.com/pulumi/pulumi-kubernetes/provider/v4.
//
// Upstream's cmd/pulumi-resource-kubernetes embeds schema-embed.json and
// terraform-mapping-embed.json, which `go generate` writes and which are not in the
// module zip. scripts/toolchain/build.sh copies this file into a build folder outside the
// repository, writes those two files there from the committed schema.json and
// terraform-mapping.json of the module (with the schema's version set, as upstream's
// generate.go does), and builds it with -X main.version=<version>.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	pkgversion "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

const providerName = "kubernetes"

// version is set with -ldflags "-X main.version=4.25.0".
var version = "4.25.0"

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	// The provider's own version package feeds its user agent; keep it in step.
	pkgversion.Version = version
	provider.Serve(providerName, version, pulumiSchema, terraformMapping)
}
