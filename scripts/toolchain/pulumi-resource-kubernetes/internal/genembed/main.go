// Command genembed writes schema-embed.json and terraform-mapping-embed.json, the two
// files the provider's main package embeds, from the schema.json and
// terraform-mapping.json committed in the provider module. It does what upstream's
// cmd/pulumi-resource-kubernetes/generate.go does (go generate with VERSION set): the
// schema is round-tripped through schema.PackageSpec with its version set, and the
// mapping is compacted. build.sh runs it in a build folder outside the repository.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	in := flag.String("in", "", "folder holding schema.json and terraform-mapping.json")
	out := flag.String("out", ".", "folder to write schema-embed.json and terraform-mapping-embed.json to")
	version := flag.String("version", "", "provider version to stamp into the schema, e.g. 4.25.0")
	flag.Parse()
	if *in == "" || *version == "" {
		log.Fatal("usage: genembed -in DIR -out DIR -version X.Y.Z")
	}

	raw, err := os.ReadFile(filepath.Join(*in, "schema.json"))
	if err != nil {
		log.Fatal(err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		log.Fatalf("cannot deserialize schema: %v", err)
	}
	spec.Version = *version
	b, err := json.Marshal(spec)
	if err != nil {
		log.Fatalf("cannot reserialize schema: %v", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "schema-embed.json"), b, 0o644); err != nil {
		log.Fatal(err)
	}

	raw, err = os.ReadFile(filepath.Join(*in, "terraform-mapping.json"))
	if err != nil {
		log.Fatal(err)
	}
	var mapping interface{}
	if err := json.Unmarshal(raw, &mapping); err != nil {
		log.Fatalf("cannot deserialize terraform mapping: %v", err)
	}
	if b, err = json.Marshal(mapping); err != nil {
		log.Fatalf("cannot reserialize terraform mapping: %v", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "terraform-mapping-embed.json"), b, 0o644); err != nil {
		log.Fatal(err)
	}
}
