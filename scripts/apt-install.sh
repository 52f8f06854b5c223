#!/usr/bin/env bash
# Installs the Debian packages named that are not installed yet (with sudo when not root).
set -euo pipefail
need=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update
$sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
