#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the tests: `cluster.sh start` writes
# /etc/slurm/slurm.conf for this host (state, spool, logs and pid files under $SLURM_TEST_DIR,
# default /tmp/precision-planner-slurm; memory limits enforced through cgroups where it can,
# said by the file enforces-memory there), starts munged, slurmctld and slurmd, and returns once
# the node takes jobs; `cluster.sh stop` stops them by their pid files. Needs root (Slurm runs
# its daemons as root here, as SlurmUser=root allows) and setup.sh's packages.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=SLURM_TEST_DIR bash "$0" "$@"; fi
dir="${SLURM_TEST_DIR:-/tmp/precision-planner-slurm}"
host="$(hostname -s)"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  # munge: a key of its own, folders it owns, the daemon as its user.
  for d in /etc/munge /run/munge /var/lib/munge /var/log/munge; do mkdir -p "$d"; chown munge:munge "$d"; done
  chmod 700 /etc/munge
  if [ ! -s /etc/munge/munge.key ]; then
    head -c 1024 /dev/urandom >/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    su -s /bin/sh munge -c /usr/sbin/munged
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  # Memory under the machine's, so slurmd registers the node instead of draining it.
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 3 / 4 ))
  mkdir -p /etc/slurm
  # Memory limits are enforced (a job over its --mem ends OUT_OF_MEMORY) where the cgroup v1 memory
  # controller is mounted, as on these machines; elsewhere processes are tracked without limits.
  if [ -w /sys/fs/cgroup/memory ]; then
    proctrack=proctrack/cgroup task=task/cgroup select=CR_Core_Memory
    printf 'CgroupPlugin=cgroup/v1\nCgroupMountpoint=/sys/fs/cgroup\nConstrainRAMSpace=yes\nConstrainSwapSpace=yes\nAllowedSwapSpace=0\n' >/etc/slurm/cgroup.conf
    touch "$dir/enforces-memory"
  else
    proctrack=proctrack/linuxproc task=task/none select=CR_Core
    rm -f "$dir/enforces-memory"
  fi
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=precision-planner-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
ProctrackType=$proctrack
TaskPlugin=$task
SelectType=select/cons_tres
SelectTypeParameters=$select
# A job that asks for no memory gets this much a CPU, not the whole node (which would run one job at a time).
DefMemPerCPU=2048
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
KillWait=5
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  running "$dir/slurmctld.pid" || slurmctld
  running "$dir/slurmd.pid" || slurmd
  # Wait on the node's state, not a fixed time: idle (or mixed/allocated) means it takes jobs.
  for _ in $(seq 300); do
    state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
    case "$state" in idle*|mix*|alloc*) echo "slurm: node $host $state"; return 0 ;; esac
    sleep 0.1
  done
  echo "slurm: node $host did not become idle (state: ${state:-none}); logs in $dir/log" >&2
  return 1
}

stop() {
  for daemon in slurmd slurmctld; do
    pidfile="$dir/$daemon.pid"
    if running "$pidfile"; then
      pid="$(cat "$pidfile")"
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: cluster.sh start|stop" >&2; exit 2 ;;
esac
