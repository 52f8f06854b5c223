#!/usr/bin/env bash
# Installs what the Slurm tests run on: Debian's Slurm (slurmctld, slurmd and the client
# commands) and munge, its authentication. Configuring and starting the one-node cluster is
# cluster.sh's, done by the tests that need it. Idempotent.
set -euo pipefail

bash "$(dirname "$0")/../../scripts/apt-install.sh" slurm-wlm munge
