#!/usr/bin/env bash
# Runs govulncheck with no access to vuln.go.dev: the Go vulnerability
# database comes from the golang.org/x/vulndb module, which the Go module
# proxy serves (and the checksum database verifies) like any other module.
# Usage: .ci/govulncheck.sh [DIR]   (DIR: module to scan, default repo root)
# Exits with govulncheck's status: 0 clean, 3 vulnerable code is called.
set -euo pipefail
ci=$(cd "$(dirname "$0")" && pwd)
target=$(cd "${1:-$ci/..}" && pwd)

# Pinned: the advisory snapshot (bump to take in new advisories) and the tool.
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Fetch the vulndb module from outside any module, so no go.mod/go.sum is
# touched. Its data/osv/ holds one OSV JSON file per advisory.
(cd "$tmp" && GOWORK=off go mod download "golang.org/x/vulndb@$VULNDB_VERSION")
vulndb=$(cd "$tmp" && GOWORK=off go list -m -f '{{.Dir}}' "golang.org/x/vulndb@$VULNDB_VERSION")

# Index those files into the v1 layout (index/*.json, ID/*.json) that
# `-db file://` reads. The generator is stdlib-only, in its own module.
# Accepted advisories (reviewed, with reasons) are left out.
skip=$({ grep -v '^#' "$ci/govulncheck-accepted.txt" || true; } | awk 'NF {print $1}' | paste -sd, -)
go -C "$ci/vulndb" run . -osv "$vulndb/data/osv" -out "$tmp/db" -skip "$skip"

# Build govulncheck rather than `go run` it: go run turns any non-zero exit
# into 1, and we want govulncheck's own status.
GOBIN="$tmp/bin" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"

cd "$target"
echo "== govulncheck $GOVULNCHECK_VERSION, vulndb $VULNDB_VERSION, $(go env GOVERSION)"
"$tmp/bin/govulncheck" -db "file://$tmp/db" ./...
