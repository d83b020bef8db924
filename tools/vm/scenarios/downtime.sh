# downtime: install and roll back DOWNTIME_CYCLES times (default 3) under DOWNTIME_THREADS threads
# (default 1000); the runtime's timing lines are the measurement (tools/bench/runtime.ts).
scenario_downtime() {
	scenario_begin downtime
	workload_start "${DOWNTIME_THREADS:-1000}" "${DOWNTIME_SLEEP_MS:-50}"
	ok=0
	for i in $(seq "${DOWNTIME_CYCLES:-3}"); do
		sched_install || break
		sched_uninstall || break
		ok=$i
	done
	check cycles "$ok cycles with $(head -1 /tmp/spin.log)" [ "$ok" = "${DOWNTIME_CYCLES:-3}" ]
	workload_stop
	scenario_end
}
