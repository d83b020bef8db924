# Scenario library for the plugsched-nx VM test (busybox sh inside the guest).
# Scenarios print a line protocol the host judges:
#   PLUGSCHED-SCENARIO <name> BEGIN
#   PLUGSCHED-CHECK <name> PASS|FAIL <evidence>
#   PLUGSCHED-SCENARIO <name> END pass|fail <milliseconds>
#   PLUGSCHED-DONE

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
