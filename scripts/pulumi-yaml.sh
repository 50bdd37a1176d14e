#!/usr/bin/env bash
# Gives the tests and the demo Pulumi's YAML language host (pulumi-language-yaml), with no download from Pulumi's
# servers: a cached build beside the pinned CLI, else a build from the Go module proxy (scripts/pulumi-yaml/go.mod).
# Beside the `pulumi` binary the CLI picks it up for `runtime: yaml` projects. The same module builds
# posthog-warehouse-codegen (scripts/pulumi-yaml/codegen-nodejs): Pulumi's Node code generator for the Node SDK and
# for TypeScript from YAML, which the offline-built Node language host cannot serve. Prints that directory last.
set -euo pipefail
CLI_VERSION=3.259.0
YAML_VERSION=v1.25.0
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/pulumi/$CLI_VERSION/bin"
stamp="$bin/.pulumi-language-yaml.version"
log() { printf '[pulumi-yaml] %s\n' "$*" >&2; }

mkdir -p "$bin"
if [ -x "$bin/pulumi-language-yaml" ] && [ -x "$bin/posthog-warehouse-codegen" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$YAML_VERSION" ]; then
  log "reusing cached pulumi-language-yaml $YAML_VERSION and posthog-warehouse-codegen"
  echo "$bin"; exit 0
fi

command -v go >/dev/null || { log "Go is needed to build pulumi-language-yaml from source (none on PATH)"; exit 1; }
log "building pulumi-language-yaml $YAML_VERSION and posthog-warehouse-codegen from the Go module proxy (first run only)"
start=$(date +%s)
cd "$root/scripts/pulumi-yaml"
GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$bin/pulumi-language-yaml.tmp" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$bin/posthog-warehouse-codegen.tmp" ./codegen-nodejs
mv "$bin/pulumi-language-yaml.tmp" "$bin/pulumi-language-yaml"
mv "$bin/posthog-warehouse-codegen.tmp" "$bin/posthog-warehouse-codegen"
echo "$YAML_VERSION" > "$stamp"
log "built in $(( $(date +%s) - start ))s"
echo "$bin"
