#!/usr/bin/env bash
# Installs what the end-to-end tests drive: Debian's Chromium (and what code-server builds
# against), then code-server and playwright-core into test/e2e/node_modules. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

bash ../../scripts/apt-install.sh chromium libkrb5-dev ripgrep

if [ -x node_modules/.bin/code-server ] && [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  exit 0
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is not reachable; it first
# looks for a cached archive, so give it Debian's rg under the name it expects.
tmp="${TMPDIR:-/tmp}"
for version in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14; do
  cache="$tmp/vscode-ripgrep-cache-$version"
  mkdir -p "$cache"
  if [ ! -f "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
    staging="$(mktemp -d)"
    cp /usr/bin/rg "$staging/rg"
    tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$staging" rg
    rm -rf "$staging"
  fi
done

# code-server's postinstall refuses to run as root unless npm_config_unsafe_perm=true, a setting
# npm 11 no longer knows (it warns when it finds it in its own environment): give it to the
# install scripts alone, through the shell npm runs them with. npm_config_yes lets the
# postinstall's npx run without a prompt.
script_shell="$(mktemp)"
trap 'rm -f "$script_shell"' EXIT
printf '#!/bin/sh\nnpm_config_unsafe_perm=true\nexport npm_config_unsafe_perm\nexec /bin/sh "$@"\n' >"$script_shell"
chmod +x "$script_shell"
export npm_config_yes=true
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --script-shell="$script_shell"
else
  npm install --no-audit --no-fund --script-shell="$script_shell"
fi
