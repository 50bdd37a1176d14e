#!/usr/bin/env bash
# Puts Pulumi's Node.js language host (pulumi-language-nodejs) beside the pulumi CLI in $1, so `pulumi up` runs
# Node programs: the CLI looks for language plugins beside its own binary first (found there silently; from PATH
# it warns). Reuses the one an installed pulumi ships with, else a cached build, else builds it from the Go
# module proxy out of github.com/pulumi/pulumi/sdk/v3 (see scripts/pulumi-language-nodejs/go.mod for why v3.68.0).
set -euo pipefail
VERSION=3.68.0
bin="${1:?usage: pulumi-language-nodejs.sh <dir holding pulumi>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
log() { printf '[pulumi-language-nodejs] %s\n' "$*" >&2; }

stamp="$bin/pulumi-language-nodejs.version"
if [ -x "$bin/pulumi-language-nodejs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$VERSION" ]; then
  log "reusing cached pulumi-language-nodejs v$VERSION"; exit 0
fi
# An installed pulumi (a symlink in $bin) comes with its own host beside the real binary: nothing to do.
real="$(readlink -f "$bin/pulumi")"
if [ "$(dirname "$real")" != "$bin" ] && [ -x "$(dirname "$real")/pulumi-language-nodejs" ]; then
  log "using $(dirname "$real")/pulumi-language-nodejs (beside $real)"; exit 0
fi

command -v go >/dev/null || { log "Go is needed to build pulumi-language-nodejs from source (none on PATH)"; exit 1; }
log "building pulumi-language-nodejs v$VERSION from the Go module proxy (first run only)"
start=$(date +%s)
cd "$root/scripts/pulumi-language-nodejs"
GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION" \
  -o "$bin/pulumi-language-nodejs.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
echo "$VERSION" > "$stamp"
log "built pulumi-language-nodejs v$VERSION in $(( $(date +%s) - start ))s"
