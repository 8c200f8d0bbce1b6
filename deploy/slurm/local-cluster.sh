#!/usr/bin/env bash
# A real one-node Slurm cluster for CI (issue #14, docs/sweeps.md "The CI cluster"):
#   installs Debian's slurm-wlm and munge (apt) when they are missing, writes a one-node slurm.conf from
#   `slurmd -C` and the host name into a temporary folder (SLURM_CONF; /etc/slurm is left alone), starts
#   munged (as the munge user), slurmctld and slurmd, runs the sweep tests that need Slurm
#   (`dotnet test --filter Category=Slurm`, LOWRANK_REQUIRE_SLURM=1 so that they cannot skip), and stops
#   the daemons it started, by PID.
# Usage: deploy/slurm/local-cluster.sh [RESULTS_DIR]   (a trx file of the tests goes there; exit 0 when they pass)
# Needs root (apt, munge's run directory, slurmd) and a built solution (dotnet build -c Release).
set -uo pipefail
cd "$(dirname "$0")/../.."
results="${1:-$(mktemp -d)}"
log() { echo "[slurm] $*"; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  log "installing slurm-wlm and munge with apt"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null \
    || { log "apt-get install slurm-wlm munge failed"; exit 1; }
fi

work=$(mktemp -d /tmp/lowrank-slurm.XXXXXX)
chmod 755 "$work"
started=()
stop_all() {
  # Stop what this script started, newest first, by PID (never by name).
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    pid="${started[i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  started=()
}
trap stop_all EXIT

pidof_file() { # waits for a daemon's pid file and prints the pid
  for _ in $(seq 1 100); do
    [ -s "$1" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  return 1
}

# munge: its key (the package creates one; make one if not) and run directory, started as the munge user.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key; chmod 0755 /run/munge
if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1; then
  log "munged already running (left alone)"
else
  rm -f /run/munge/munged.pid
  su -s /bin/sh munge -c "munged --pid-file=/run/munge/munged.pid" || { log "munged did not start"; exit 1; }
  pid=$(pidof_file /run/munge/munged.pid) || { log "munged wrote no pid file"; exit 1; }
  started+=("$pid")
  log "munged started (pid $pid)"
fi

host=$(hostname -s)
node=$(slurmd -C | head -n 1)
case "$node" in NodeName=*) ;; *) log "slurmd -C printed no node line: $node"; exit 1 ;; esac
export SLURM_CONF="$work/slurm.conf"
mkdir -p "$work/state" "$work/spool"
cat >"$SLURM_CONF" <<EOF
# One-node cluster written by deploy/slurm/local-cluster.sh (node line from slurmd -C).
ClusterName=lowrank-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job waits cred_expire seconds before it starts again (default 120): 10 s keeps the CI stage short.
AuthInfo=cred_expire=10
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MaxArraySize=1001
KillWait=30
MinJobAge=300
$node State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -f "$SLURM_CONF" || { log "slurmctld did not start"; cat "$work/slurmctld.log" 2>/dev/null | tail -20; exit 1; }
pid=$(pidof_file "$work/slurmctld.pid") || { log "slurmctld wrote no pid file"; tail -20 "$work/slurmctld.log"; exit 1; }
started+=("$pid")
slurmd -f "$SLURM_CONF" || { log "slurmd did not start"; tail -20 "$work/slurmd.log"; exit 1; }
pid=$(pidof_file "$work/slurmd.pid") || { log "slurmd wrote no pid file"; tail -20 "$work/slurmd.log"; exit 1; }
started+=("$pid")
log "slurmctld and slurmd started (SLURM_CONF=$SLURM_CONF)"

ready=0
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o "%t" 2>/dev/null | head -n 1)
  case "$state" in idle*|mix*|alloc*) ready=1; break ;; down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 ;; esac
  sleep 1
done
if [ "$ready" -ne 1 ]; then
  log "the node did not become idle (state '$state')"; tail -20 "$work/slurmctld.log"; tail -20 "$work/slurmd.log"; exit 1
fi
sinfo

log "running the Slurm sweep tests"
start=$(date +%s)
LOWRANK_REQUIRE_SLURM=1 dotnet test Properties/Properties.fsproj -c Release --no-build --filter "Category=Slurm" \
  --logger "trx;LogFilePrefix=slurm" --logger "console;verbosity=normal" --results-directory "$results"
status=$?
log "Slurm tests: exit $status in $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  log "slurmctld log (last lines):"; tail -30 "$work/slurmctld.log"
  log "slurmd log (last lines):"; tail -30 "$work/slurmd.log"
fi
stop_all
rm -rf "$work"
exit "$status"
