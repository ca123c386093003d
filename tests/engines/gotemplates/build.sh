#!/usr/bin/env bash
# Build the gotemplates engine offline from Debian's Go packages (golang-go, golang-github-masterminds-sprig-dev,
# golang-github-flosch-pongo2.v4-dev), in GOPATH mode. Usage: build.sh OUT_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
debian=/usr/share/gocode/src/github.com
# Debian installs these modules without their major-version suffix; GOPATH mode needs the import paths.
mkdir -p "$work/src/github.com/Masterminds/sprig" "$work/src/github.com/Masterminds/semver" \
         "$work/src/github.com/flosch/pongo2" "$work/src/gotemplates"
ln -s "$debian/Masterminds/sprig" "$work/src/github.com/Masterminds/sprig/v3"
ln -s "$debian/Masterminds/semver" "$work/src/github.com/Masterminds/semver/v3"
ln -s "$debian/flosch/pongo2" "$work/src/github.com/flosch/pongo2/v4"
cp "$here/main.go" "$work/src/gotemplates/"
cd "$work/src/gotemplates"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOFLAGS= GOPROXY=off go build -o "$out" .
