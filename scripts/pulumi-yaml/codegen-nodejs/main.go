// Command codegen-nodejs generates TypeScript from this package's schema.json with Pulumi's own Node code generator
// (pkg/v3/codegen/nodejs, the one `pulumi package gen-sdk --language nodejs` and `pulumi import` use), for machines
// whose Node language host is too old to answer GeneratePackage/GenerateProgram (the offline-built 3.68 host):
//
//	codegen-nodejs sdk <schema.json> <out dir>          a Node SDK for the native plugin's resources
//	codegen-nodejs program <schema.json> <yaml dir>     a YAML program (e.g. `pulumi import --out` output) as index.ts
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi-yaml/pkg/pulumiyaml/codegen"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// loader serves the one package the schema describes; the generators need nothing else.
type loader struct{ pkg *schema.Package }

func (l loader) get(name string) (*schema.Package, error) {
	if name != l.pkg.Name {
		return nil, fmt.Errorf("unknown package %q", name)
	}
	return l.pkg, nil
}
func (l loader) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return l.get(name)
}
func (l loader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.get(d.Name)
}
func (l loader) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	p, err := l.get(name)
	if err != nil {
		return nil, err
	}
	return p.Reference(), nil
}
func (l loader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, nil)
}

func bind(file string) (loader, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return loader{}, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return loader{}, err
	}
	pkg, diags, err := schema.BindSpec(spec, nil, schema.ValidationOptions{})
	if err != nil {
		return loader{}, err
	}
	if diags.HasErrors() {
		return loader{}, diags
	}
	return loader{pkg}, nil
}

func write(dir string, files map[string][]byte) error {
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: codegen-nodejs sdk <schema.json> <out dir> | program <schema.json> <yaml project dir>")
	}
	l, err := bind(args[1])
	if err != nil {
		return err
	}
	switch args[0] {
	case "sdk":
		files, err := nodejs.GeneratePackage("pulumi-posthog-warehouse", l.pkg, nil, nil, false, l)
		if err != nil {
			return err
		}
		// What `pulumi package gen-sdk --version` fills in; the engine loads the plugin of this version.
		if l.pkg.Version != nil {
			files["package.json"] = bytes.ReplaceAll(files["package.json"], []byte("${VERSION}"), []byte(l.pkg.Version.String()))
		}
		// pkg/v3 v3.206's top-level config module imports its unused utilities from "./" instead of "../".
		files["config/vars.ts"] = bytes.Replace(files["config/vars.ts"], []byte(`from "./utilities"`), []byte(`from "../utilities"`), 1)
		return write(args[2], files)
	case "program":
		_, program, err := codegen.Eject(args[2], l)
		if err != nil {
			return err
		}
		files, diags, err := nodejs.GenerateProgram(program)
		if err != nil {
			return err
		}
		if diags.HasErrors() {
			return diags
		}
		_, err = os.Stdout.Write(files["index.ts"])
		return err
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "codegen-nodejs:", err)
		os.Exit(1)
	}
}
