#!/usr/bin/env bash
# A sweep on real cluster schedulers, end to end (docs/bench.md, "How to
# run a sweep on a cluster"): `xballoon bench --emit slurm` writes the job,
# a one-node Slurm cluster started here by hand (munged, slurmctld, slurmd;
# config, state and logs in a temporary directory) runs it as an array
# job, and its merge.sh --no-wall must print and write the bytes of a local
# `bench --no-wall` of the same sweep; then the same with `--emit parallel`
# through GNU parallel with two job slots. Installs slurm-wlm, munge and
# parallel (Debian 12) when missing; stops every daemon it started on any
# exit. Needs root (the daemons run as root); nothing leaves the machine.
#   tests/cluster/run.sh [--jobs N] [--build DIR] [--no-build BIN] [--keep]
# --no-build BIN: use the xballoon at BIN (CI: the package test's build).
# Exit status: 0 both schedulers' results equal the local sweep's, 1 they
# do not or a task failed, 2 the harness could not run, 77 not root
# (printed as "SKIPPED: ...").
set -euo pipefail
cd "$(dirname "$0")/../.."
# The daemons and mungekey live in sbin, which not every root PATH has.
export PATH=$PATH:/usr/sbin:/sbin
jobs=1
build=build/cluster
bin=
keep=false

# The sweep: two short shipped scenarios, two policies, three seeds in
# chunks of two: 2 x 2 x 2 = 8 tasks, 12 runs.
scenarios=(scenarios/boot-shrink.yaml scenarios/fault-storm.yaml)
policies=linux,huge-first
seeds=3
chunk=2
timeout_s=120

harness=cluster-tests
usage_lines=11,15
# shellcheck source=tests/support/harness.sh
. tests/support/harness.sh
fail() {
	say "FAILED: $*"
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--jobs) jobs=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--no-build) bin=$2; shift 2 ;;
	--keep) keep=true; shift ;;
	-h | --help) usage 0 ;;
	*) say "unknown argument: $1"; usage 2 ;;
	esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs: not a positive number: $jobs"

[ "$(id -u)" -eq 0 ] ||
	skip "cluster-tests: not root (munged, slurmctld and slurmd run as root here; run: sudo $0)"
t0=$(date +%s)

# --- 1. Packages (Debian 12) ------------------------------------------------
scripts/deps.sh slurm-wlm munge parallel ||
	die "cannot install slurm-wlm, munge and parallel"

# --- 2. The xballoon the jobs run -------------------------------------------
if [ -z "$bin" ]; then
	scripts/deps.sh || die "scripts/deps.sh failed"
	build=$(realpath -m "$build")
	mkdir -p "$build"
	say "building xballoon in $build (Release, -j$jobs)"
	cmake -B "$build" -DCMAKE_BUILD_TYPE=Release -DXB_WERROR=ON \
		-DXB_TESTS=OFF >"$build/build.log" 2>&1 ||
		die "cmake failed, see $build/build.log"
	cmake --build "$build" -j "$jobs" --target xballoon \
		>>"$build/build.log" 2>&1 ||
		die "build failed, see $build/build.log"
	bin=$build/xballoon
fi
[ -x "$bin" ] || die "no xballoon at $bin"
bin=$(realpath "$bin")
t_built=$(date +%s)

# --- 3. A one-node cluster in a temporary directory -------------------------
tmp=$(mktemp -d /tmp/xb-cluster.XXXXXX)
# munged wants every directory above its socket searchable by all.
chmod 755 "$tmp"
mkdir -p "$tmp"/{munge,state,spool,log}
pids=()
names=()
jid=

# Start "$@" in the background as daemon NAME (kept in the foreground of
# its own process so that its pid is ours to stop).
start() {
	local name=$1
	shift
	"$@" >"$tmp/log/$name.out" 2>&1 &
	pids+=($!)
	names+=("$name")
}

cleanup() {
	local status=$?
	if [ -n "$jid" ] && squeue -h -j "$jid" 2>/dev/null | grep -q .; then
		say "cancelling job $jid"
		scancel "$jid" 2>/dev/null || true
		for _ in $(seq 20); do
			squeue -h -j "$jid" 2>/dev/null | grep -q . || break
			sleep 0.5
		done
	fi
	# Newest first: slurmd, slurmctld, then munged.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null || continue
		for _ in $(seq 20); do
			kill -0 "${pids[i]}" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "${pids[i]}" 2>/dev/null; then
			say "${names[i]} (pid ${pids[i]}) did not stop: killing it"
			kill -9 "${pids[i]}" 2>/dev/null || true
		fi
		wait "${pids[i]}" 2>/dev/null || true
	done
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		for f in "$tmp"/log/*.out "$tmp"/{slurm,parallel}/logs/*; do
			[ -s "$f" ] || continue
			say "--- last lines of $f"
			tail -n 15 "$f" >&2
		done
	fi
	if $keep; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port from $1"
}

# Wait up to $1 seconds for "${@:2}" to succeed.
wait_for() {
	local secs=$1
	shift
	for _ in $(seq $((secs * 4))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	return 1
}

sock=$tmp/munge/munge.socket
mungekey -c -k "$tmp/munge/munge.key" -b 1024 ||
	die "mungekey could not make a key"
start munged munged -F --key-file="$tmp/munge/munge.key" --socket="$sock" \
	--pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/seed" \
	--log-file="$tmp/log/munged.log"
munge_ok() { munge -n -S "$sock" | unmunge -S "$sock"; }
wait_for 10 munge_ok || fail "munged did not answer on $sock"

node=$(slurmd -C | sed -n 's/^NodeName=\([^ ]*\) .*/\1/p')
[ "$node" = "$(hostname -s)" ] ||
	die "slurmd -C names the node '$node', not $(hostname -s)"
ctld_port=$(free_port 16817)
slurmd_port=$(free_port $((ctld_port + 1)))
export SLURM_CONF=$tmp/slurm.conf
# No cgroups and no systemd: proctrack/linuxproc and task/none work in a
# container; no accounting database (job states come from scontrol).
cat >"$SLURM_CONF" <<EOF
ClusterName=xbtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
$(slurmd -C | head -1) NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=xb Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
start slurmctld slurmctld -D -i -f "$SLURM_CONF"
start slurmd slurmd -D -f "$SLURM_CONF"
node_idle() { sinfo -h -n "$node" -o %T | grep -qx idle; }
wait_for 30 node_idle || fail "node $node did not come up idle: $(sinfo -h 2>&1)"
t_up=$(date +%s)
say "one-node cluster up: $node, slurmctld :$ctld_port, slurmd :$slurmd_port"

# --- 4. The local sweep: what both schedulers must reproduce -----------------
"$bin" bench --policies "$policies" --seeds "$seeds" --jobs 2 --no-wall \
	--out "$tmp/local" "${scenarios[@]}" >"$tmp/local.txt" ||
	fail "the local sweep failed"

# The merged results, printed tables included, equal the local sweep's.
same_as_local() {
	local job=$1 what=$2
	"$job/merge.sh" --no-wall >"$job.txt" || fail "$what: merge.sh failed"
	for f in results.csv results.md; do
		cmp "$tmp/local/$f" "$job/$f" ||
			fail "$what: $f differs from the local sweep's"
	done
	cmp "$tmp/local.txt" "$job.txt" ||
		fail "$what: the merged tables differ from the local sweep's"
}

# --- 5. Slurm: an array job ------------------------------------------------
"$bin" bench --emit slurm "$tmp/slurm" --policies "$policies" \
	--seeds "$seeds" --chunk "$chunk" "${scenarios[@]}" >/dev/null ||
	fail "bench --emit slurm failed"
tasks=$(wc -l <"$tmp/slurm/jobs.txt")
# Submitted from elsewhere: the job's paths are absolute.
jid=$(cd / && sbatch --parsable "$tmp/slurm/job.sbatch") ||
	fail "sbatch refused the job"
say "submitted array job $jid ($tasks tasks)"
queue_empty() { ! squeue -h -j "$jid" | grep -q .; }
wait_for "$timeout_s" queue_empty ||
	fail "job $jid still queued or running after ${timeout_s}s: $(squeue -j "$jid" 2>&1)"
states=$(scontrol -o show job "$jid" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c || true)
done_tasks=$(scontrol -o show job "$jid" | grep -c 'JobState=COMPLETED ' || true)
[ "$done_tasks" -eq "$tasks" ] ||
	fail "$done_tasks of $tasks array tasks COMPLETED:$(echo; echo "$states")"
jid=
same_as_local "$tmp/slurm" "slurm"
# The job's OUT is a sweep's directory for plot: 8 metric groups.
"$bin" plot "$tmp/slurm" >"$tmp/plot.txt" || fail "plot of the slurm job's OUT"
pictures=$(find "$tmp/slurm" -maxdepth 1 -name 'plot-*.png' -size +1k | wc -l)
if [ "$pictures" -ne 8 ] || [ "$(wc -l <"$tmp/plot.txt")" -ne 8 ]; then
	fail "plot drew $pictures PNGs of the slurm job, not 8"
fi
t_slurm=$(date +%s)
say "slurm: $tasks array tasks completed; merged results equal the local sweep's"

# --- 6. GNU parallel: the job list with two job slots ------------------------
"$bin" bench --emit parallel "$tmp/parallel" --policies "$policies" \
	--seeds "$seeds" --chunk "$chunk" "${scenarios[@]}" >/dev/null ||
	fail "bench --emit parallel failed"
(cd / && "$tmp/parallel/run-parallel.sh" -j2) ||
	fail "GNU parallel: a task failed (see $tmp/parallel/logs)"
slots=$(awk 'NR > 1 { n++ } END { print n + 0 }' "$tmp/parallel/logs/parallel.joblog")
[ "$slots" -eq "$tasks" ] || fail "GNU parallel ran $slots of $tasks tasks"
same_as_local "$tmp/parallel" "parallel"
t_end=$(date +%s)
say "parallel: $tasks tasks on -j2; merged results equal the local sweep's"

runs=$(($(wc -l <"$tmp/local/results.csv") - 1))
say "ok: $runs runs in $tasks tasks, Slurm and GNU parallel agree with the" \
	"local sweep byte for byte (packages and build $((t_built - t0)) s," \
	"cluster up $((t_up - t_built)) s, slurm $((t_slurm - t_up)) s, parallel" \
	"$((t_end - t_slurm)) s)"
