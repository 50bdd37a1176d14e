#!/usr/bin/env bash
# Gives the tests and the demo a pulumi CLI of the pinned version, with no download from Pulumi's servers:
# a pulumi on PATH that is recent enough, else a cached build, else a build from the Go module proxy.
# Then puts the Node.js language host beside it (scripts/pulumi-language-nodejs.sh), so `pulumi up` runs Node programs.
# Prints the directory holding `pulumi`, the language host and the dynamic-provider launcher as its last line.
set -euo pipefail
VERSION=3.259.0
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools/pulumi/$VERSION"
bin="$dest/bin"
log() { printf '[pulumi-cli] %s\n' "$*" >&2; }

version_ok() { # $1 = pulumi binary
  local v; v=$("$1" version 2>/dev/null | sed 's/^v//') || return 1
  [ "$(printf '%s\n%s\n' "$VERSION" "$v" | sort -V | head -1)" = "$VERSION" ]
}

mkdir -p "$bin"
# The engine starts the dynamic-provider plugin through this launcher; it ships in @pulumi/pulumi.
ln -sf "$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"

finish() { bash "$root/scripts/pulumi-language-nodejs.sh" "$bin"; echo "$bin"; exit 0; }

if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "v$VERSION" ]; then
  log "reusing cached pulumi v$VERSION"
  finish
fi
# The first pulumi on PATH outside $bin: $bin itself may be on PATH (a shell set up to use it, a child of the test
# harness), and linking its own link would make a loop that no later run gets past.
installed=""
IFS=: read -ra path_dirs <<< "${PATH:-}"
for dir in "${path_dirs[@]}"; do
  if [ -n "$dir" ] && [ "$(readlink -f "$dir")" != "$(readlink -f "$bin")" ] && [ -x "$dir/pulumi" ] && [ ! -d "$dir/pulumi" ]; then
    installed="$dir/pulumi"; break
  fi
done
if [ -z "${PULUMI_CLI_FORCE_BUILD:-}" ] && [ -n "$installed" ] && version_ok "$installed"; then
  log "using $installed ($("$installed" version))"
  ln -sf "$installed" "$bin/pulumi"
  finish
fi

command -v go >/dev/null || { log "Go is needed to build the Pulumi CLI from source (none on PATH)"; exit 1; }
log "building pulumi v$VERSION from the Go module proxy (first run only; a few minutes)"
start=$(date +%s)
cd "$root/scripts/pulumi-cli"
# Fail early and clearly if the proxy does not serve the pinned module.
GOFLAGS=-mod=mod go mod download github.com/pulumi/pulumi/pkg/v3 >/dev/null
GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION" \
  -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$bin/pulumi.tmp" "$bin/pulumi"
log "built $("$bin/pulumi" version) in $(( $(date +%s) - start ))s"
finish
