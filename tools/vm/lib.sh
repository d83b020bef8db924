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
	# emptied here, not only by the child's redirection: the waits below must not read the
	# previous workload's lines before the child has started
	: > /tmp/spin.log
	spinners "$1" 600 100 $(( ${2:-50} * ${WORKLOAD_PACE:-1} )) > /tmp/spin.log &
	WORKLOAD=$!
	# all threads exist (creating thousands takes a while under emulation), then a moment of
	# running: the progress moves on once (at most two seconds; the checks judge a workload
	# that does not)
	wait_for_line /tmp/spin.log "spinners: started" 120 1
	wait_for_line /tmp/spin.log "spinners: progress" 10 0.2
	progress_passes "$(progress)" 2
}

workload_stop() {
	kill -TERM "$WORKLOAD"
	wait "$WORKLOAD"
	check workload-never-stalled "$(tail -1 /tmp/spin.log)" grep -q "stalled 0" /tmp/spin.log
}

progress() {
	grep progress /tmp/spin.log | tail -1 | cut -d" " -f4
}

# progress_passes BEFORE SECONDS: until the workload's progress is past BEFORE, looking every
# quarter second (spinners prints it every half second), at most SECONDS; fails when it is not
progress_passes() {
	_pp_n=0
	while :; do
		_pp=$(progress)
		[ "${_pp:-0}" -gt "${1:-0}" ] && return 0
		[ "$_pp_n" -ge $(($2 * 4)) ] && return 1
		sleep 0.25
		_pp_n=$((_pp_n + 1))
	done
}

# check_progress NAME: a check that the workload moves on within two seconds (it passes as soon
# as it has)
check_progress() {
	before=$(progress)
	progress_passes "$before" 2
	check "$1" "progress $before -> $(progress)" [ "$(progress)" -gt "$before" ]
}

installed() {
	[ -d /sys/kernel/plugsched ] && [ "$(cat /sys/kernel/plugsched/enable)" = 1 ]
}

# step WHAT: one PLUGSCHED-STEP line (see the top of this file)
step() {
	echo "PLUGSCHED-STEP ${SCENARIO:-}: $*"
}

# wait_for_line FILE PATTERN [TRIES [SECONDS]]: until a line of FILE matches PATTERN (grep -E),
# looking every SECONDS (default 0.02), at most TRIES times (default 250); fails when it never appears
wait_for_line() {
	_wfl_n=0
	while ! grep -qE "$2" "$1" 2>/dev/null; do
		[ "$_wfl_n" -ge "${3:-250}" ] && return 1
		sleep "${4:-0.02}"
		_wfl_n=$((_wfl_n + 1))
	done
}

# --- the latency probe (tools/vm/latprobe.c): what a workload feels of each switch ---

# probe_start: one SCHED_FIFO thread per CPU waking every LATPROBE_PERIOD_US (default 1000;
# 0: no probe). It runs only inside a switch's window and is stopped (SIGSTOP: no wakeups at
# all) everywhere else, so that no scenario's own measurement or tracing sees its wakeups.
probe_start() {
	[ "${LATPROBE_PERIOD_US:-1000}" = 0 ] && return 0
	latprobe "${LATPROBE_PERIOD_US:-1000}" > /tmp/latprobe.log 2>&1 &
	LATPROBE=$!
	PROBE_WINDOWS=0
	if wait_for_line /tmp/latprobe.log "latprobe: started"; then
		kill -STOP "$LATPROBE"
	else
		echo "PLUGSCHED-STEP the latency probe did not start: $(cat /tmp/latprobe.log)"
		LATPROBE=
	fi
}

# probe_window_begin: the probe runs again and forgets what it saw so far (returns once it has)
probe_window_begin() {
	[ -n "${LATPROBE:-}" ] || return 0
	PROBE_WINDOWS=$((PROBE_WINDOWS + 1))
	kill -CONT "$LATPROBE" && kill -USR1 "$LATPROBE" &&
		wait_for_line /tmp/latprobe.log "latprobe: open $PROBE_WINDOWS\$"
}

# probe_window_end WHAT RC: after a switch that succeeded, one line with the longest wakeup
# lateness the probe saw since probe_window_begin and the runtime's own line of the switch:
#   PLUGSCHED-PROBE install|rollback probe <us> us cpu <cpu>; <the runtime's line>
probe_window_end() {
	[ -n "${LATPROBE:-}" ] || return 0
	kill -USR2 "$LATPROBE" || return 0
	wait_for_line /tmp/latprobe.log "latprobe: window $PROBE_WINDOWS max "
	found=$?
	kill -STOP "$LATPROBE"
	[ "$found" = 0 ] || return 0
	[ "$2" = 0 ] || return 0
	set -- "$1" $(grep "latprobe: window $PROBE_WINDOWS max " /tmp/latprobe.log)
	echo "PLUGSCHED-PROBE $1 probe $6 us cpu $9; $(last_switch_line)"
}

sched_install() {
	probe_window_begin
	out=$(plugsched-install install "$KO" 2>&1)
	rc=$?
	probe_window_end install $rc
	step "install rc $rc"
	return $rc
}

sched_uninstall() {
	probe_window_begin
	out=$(plugsched-install uninstall 2>&1)
	rc=$?
	probe_window_end rollback $rc
	step "uninstall rc $rc"
	return $rc
}

# feat_state NAME: NAME or NO_NAME, as the features file shows it now
feat_state() {
	tr ' ' '\n' < /sys/kernel/debug/sched/features | grep -xE "(NO_)?$1"
}

# the dmesg line of the last install or rollback, without its timestamp
last_switch_line() {
	dmesg | grep -E "plugsched: (installed|restored) " | tail -1 | sed "s/.*plugsched: //"
}
