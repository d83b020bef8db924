# live-update: install under 1000 threads, the variant runs, roll back, the built-in scheduler runs.
scenario_live_update() {
	scenario_begin install
	workload_start 1000
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	check enabled "enable=$(cat /sys/kernel/plugsched/enable)" installed
	st=$(plugsched-install status | tail -1)
	check all-entries-patched "$st" sh -c 'set -- $(plugsched-install status | tail -1); [ "$3" -gt 100 ] && [ "$3" = "$5" ]'
	line=$(last_switch_line)
	check timings "$line" sh -c 'last_switch_line() { dmesg | grep -E "plugsched: installed " | tail -1; }; last_switch_line | grep -q "stop machine [0-9]* us"'
	# the workload moves on under the module: progress from now on, within four seconds
	before=$(progress)
	progress_passes "$before" 4
	after=$(progress)
	check workload-runs "progress $before -> $after under the module" [ "$after" -gt "$before" ]
	if [ -n "$MARKER" ]; then
		msg=$(dmesg | grep -F "$MARKER")
		check variant-runs "$msg" [ -n "$msg" ]
	fi
	scenario_end

	scenario_begin rollback
	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	msg=$(dmesg | grep "function entries restored byte for byte" | tail -1)
	check entries-restored "$msg" sh -c 'set -- $(dmesg | grep "function entries restored byte for byte" | tail -1 | sed "s/.*plugsched: //"); [ "$1" = "$3" ] && [ "$1" -gt 100 ]'
	check module-gone "$(grep -c ^plugsched_ /proc/modules)" sh -c "! grep -q ^plugsched_ /proc/modules"
	before=$(progress)
	progress_passes "$before" 2
	after=$(progress)
	check builtin-runs "progress $before -> $after after rollback" [ "$after" -gt "$before" ]
	workload_stop
	scenario_end
}
