# cycles: ten installs and rollbacks in a row under 1000 threads.
scenario_cycles() {
	scenario_begin cycles
	workload_start 1000
	ok=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sched_install || break
		[ -z "$MARKER" ] || dmesg | grep -qF "$MARKER" || break
		sched_uninstall || break
		ok=$i
	done
	check ten-cycles "$ok of 10 cycles; last: $(last_switch_line)" [ "$ok" = 10 ]
	check switches-logged "$(dmesg | grep -c 'plugsched: installed ') installs" sh -c '[ "$(dmesg | grep -c "plugsched: restored ")" -ge 10 ]'
	workload_stop
	scenario_end
}
