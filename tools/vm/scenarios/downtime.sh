# downtime: the benchmark's (npm run bench -- runtime, tools/bench/runtime-downtime.ts). Under
# DOWNTIME_THREADS threads (default 1000) the module is loaded and installed, then rolled back and
# installed again through sysfs DOWNTIME_CYCLES times (default 3) with the module's benchmark hook
# measure_floor on: before each of those switches the runtime times an empty stop_machine, the
# floor (its "floor:" line). The runtime's timing lines and the probe's are the measurement.

# downtime_switch 0|1: one switch through sysfs, inside a window of the latency probe
downtime_switch() {
	probe_window_begin
	echo "$1" > /sys/kernel/plugsched/enable
	rc=$?
	if [ "$1" = 1 ]; then probe_window_end install $rc; else probe_window_end rollback $rc; fi
	step "switch to $1 rc $rc"
	return $rc
}

scenario_downtime() {
	scenario_begin downtime
	# 30 000 threads are more than the kernel allows by default for the guest's memory
	if [ "${DOWNTIME_THREADS:-1000}" -gt 15000 ]; then
		echo 65536 > /proc/sys/kernel/pid_max
		echo 65536 > /proc/sys/kernel/threads-max
	fi
	workload_start "${DOWNTIME_THREADS:-1000}" "${DOWNTIME_SLEEP_MS:-50}"
	ok=0
	if sched_install; then
		echo 1 > "/sys/module/$(cat /sys/kernel/plugsched/module)/parameters/measure_floor"
		for i in $(seq "${DOWNTIME_CYCLES:-3}"); do
			downtime_switch 0 || break
			downtime_switch 1 || break
			ok=$i
		done
		sched_uninstall || ok=0
	fi
	check cycles "$ok cycles with $(head -1 /tmp/spin.log)" [ "$ok" = "${DOWNTIME_CYCLES:-3}" ]
	workload_stop
	scenario_end
}
