# cycles: installs and rollbacks in a row under 1000 threads: ten, or five in a slowed-down guest
# (WORKLOAD_PACE > 1: emulated arm64, single-threaded TCG), where each cycle costs seconds.
scenario_cycles() {
	scenario_begin cycles
	if [ "${WORKLOAD_PACE:-1}" = 1 ]; then CYCLES=10; else CYCLES=5; fi
	workload_start 1000
	ok=0
	i=0
	while [ $i -lt $CYCLES ]; do
		i=$((i + 1))
		sched_install || break
		[ -z "$MARKER" ] || dmesg | grep -qF "$MARKER" || break
		sched_uninstall || break
		ok=$i
	done
	check all-cycles "$ok of $CYCLES cycles; last: $(last_switch_line)" [ "$ok" = $CYCLES ]
	check switches-logged "$(dmesg | grep -c 'plugsched: installed ') installs" sh -c "[ \"\$(dmesg | grep -c 'plugsched: restored ')\" -ge $CYCLES ]"
	workload_stop
	scenario_end
}
