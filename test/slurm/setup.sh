#!/usr/bin/env bash
# Installs what the Slurm tests run on: Debian's Slurm (slurmctld, slurmd and the client
# commands) and munge, its authentication. Configuring and starting the one-node cluster is
# cluster.sh's, done by the tests that need it. Idempotent.
set -euo pipefail

need=()
for pkg in slurm-wlm munge; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
fi
