# Scenario library for the plugsched-nx VM test (busybox sh inside the guest).
# Scenarios print a line protocol the host judges:
#   PLUGSCHED-SCENARIO <name> BEGIN
#   PLUGSCHED-CHECK <name> PASS|FAIL <evidence>
#   PLUGSCHED-SCENARIO <name> END pass|fail <milliseconds>
#   PLUGSCHED-DONE
# and, on long steps, PLUGSCHED-STEP <what>: a sign of life for the host, which stops a guest
# whose console stays silent for minutes (hung), however long the whole run takes.

ms_now() {
	# /proc/uptime has centiseconds: good enough for scenario timings
	awk '{ printf "%d", $1 * 1000 }' /proc/uptime
}

scenario_begin() {
	SCENARIO=$1
	SCENARIO_FAILED=0
	SCENARIO_T0=$(ms_now)
	echo "PLUGSCHED-SCENARIO $SCENARIO BEGIN"
}

check() {
	# check NAME EVIDENCE COMMAND...: run COMMAND, PASS if it succeeds
	name=$1
	evidence=$2
	shift 2
	if "$@"; then
		echo "PLUGSCHED-CHECK $name PASS $evidence"
	else
		echo "PLUGSCHED-CHECK $name FAIL $evidence"
		SCENARIO_FAILED=1
	fi
}

scenario_end() {
	t=$(( $(ms_now) - SCENARIO_T0 ))
	if [ "$SCENARIO_FAILED" = 0 ]; then r=pass; else r=fail; fi
	echo "PLUGSCHED-SCENARIO $SCENARIO END $r $t"
}

# --- live update helpers (scheduler module at $KO, marker line in $MARKER) ---

workload_start() {
	# workload_start THREADS [SLEEP_MS]: spinners in the background until workload_stop.
	# WORKLOAD_PACE (default 1) multiplies the sleep: an emulated guest of another
	# architecture is several times slower, and a thousand threads waking every
	# 50 ms there keep both vCPUs in timer interrupts (vm-test sets it).
	spinners "$1" 600 100 $(( ${2:-50} * ${WORKLOAD_PACE:-1} )) > /tmp/spin.log &
	WORKLOAD=$!
	# all threads exist (creating thousands takes a while under emulation), then a moment of running
	i=0
	while ! grep -q "spinners: started" /tmp/spin.log && [ $i -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	sleep 2
}

workload_stop() {
	kill -TERM "$WORKLOAD"
	wait "$WORKLOAD"
	check workload-never-stalled "$(tail -1 /tmp/spin.log)" grep -q "stalled 0" /tmp/spin.log
}

progress() {
	grep progress /tmp/spin.log | tail -1 | cut -d" " -f4
}

# check_progress NAME: a check that the workload moves on within two seconds
check_progress() {
	before=$(progress)
	sleep 2
	check "$1" "progress $before -> $(progress)" [ "$(progress)" -gt "$before" ]
}

installed() {
	[ -d /sys/kernel/plugsched ] && [ "$(cat /sys/kernel/plugsched/enable)" = 1 ]
}

# step WHAT: one PLUGSCHED-STEP line (see the top of this file)
step() {
	echo "PLUGSCHED-STEP ${SCENARIO:-}: $*"
}

sched_install() {
	out=$(plugsched-install install "$KO" 2>&1)
	rc=$?
	step "install rc $rc"
	return $rc
}

sched_uninstall() {
	out=$(plugsched-install uninstall 2>&1)
	rc=$?
	step "uninstall rc $rc"
	return $rc
}

# the dmesg line of the last install or rollback, without its timestamp
last_switch_line() {
	dmesg | grep -E "plugsched: (installed|restored) " | tail -1 | sed "s/.*plugsched: //"
}
