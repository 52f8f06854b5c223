#!/usr/bin/env bash
# `npm start`: the extension on the bundled example workspace. Builds the VSIX, installs it into
# a local code-server (a real VS Code served to the browser) and serves a scratch copy of
# examples/ at a localhost URL (port $PORT, 8080 by default): what you train or export there
# stays out of the repository. Stop with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash test/e2e/setup.sh
npm run --silent package

state="$PWD/.code-server"
code_server="$PWD/test/e2e/node_modules/.bin/code-server"
mkdir -p "$state/user/User" "$state/extensions"
"$code_server" --user-data-dir "$state/user" --extensions-dir "$state/extensions" --install-extension dist/precision-planner.vsix --force >/dev/null

# A scratch copy, made once and kept across starts (your runs and exports live there); delete it to start over.
workspace="$state/workspace/examples"
if [ ! -d "$workspace" ]; then
  mkdir -p "$(dirname "$workspace")"
  cp -R examples "$workspace"
fi

port="${PORT:-8080}"
echo
echo "Precision Planner on a scratch copy of the example workspace: http://127.0.0.1:${port}/?folder=${workspace}"
echo "(the copy is $workspace: runs you train and reports you export go there; delete it to start from the bundled examples again)"
echo "(desktop VS Code: code --install-extension dist/precision-planner.vsix)"
echo
exec "$code_server" --auth none --bind-addr "127.0.0.1:${port}" --disable-telemetry --disable-update-check \
  --user-data-dir "$state/user" --extensions-dir "$state/extensions" "$workspace"
