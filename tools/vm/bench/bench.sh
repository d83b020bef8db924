# Guest helpers of the A/B bench (busybox sh; plugins/plugsched/docs/bench.md), on top of
# tools/vm/lib.sh (scenario_begin, check, sched_install, installed). Each round of a scheduler is
# one scenario, bench-<round>-<builtin|variant>, so the host's judge sees failed workloads and
# installs; each metric a workload prints ("bench: <metric> <value> <unit> <better>") becomes
#   PLUGSCHED-BENCH <round> <builtin|variant> <workload> <metric> <value> <unit> <better>
# BENCH_SECONDS is each run's length; WORKLOAD_PACE (lib.sh) slows the rate-driven workloads.

bench_run() {
	# bench_run ROUND SCHEDULER WORKLOAD PROGRAM [ARGS...]
	r=$1
	s=$2
	w=$3
	p=$4
	shift 4
	"/plugsched/bench/$p" "$BENCH_SECONDS" "${WORKLOAD_PACE:-1}" "$@" > /tmp/bench.out 2> /tmp/bench.err
	rc=$?
	sed -n "s/^bench: /PLUGSCHED-BENCH $r $s $w /p" /tmp/bench.out
	check "$w" "exit $rc $(tail -1 /tmp/bench.err)" [ $rc = 0 ]
}

bench_install() {
	# the variant's rounds run only once it is really in place
	sched_install
	rc=$?
	check install "$out" [ $rc = 0 ]
	check variant-runs "enable=$(cat /sys/kernel/plugsched/enable 2>/dev/null)" installed
}

bench_uninstall() {
	if installed; then
		sched_uninstall
		rc=$?
		check uninstall "$out" [ $rc = 0 ]
	fi
}

bench_settle() {
	# let boot-time work (module loads, kworkers) finish before the first round
	sleep "${1:-2}"
}
