# threads-10k: install and roll back with 10 000 threads; the downtime lines are the evidence.
scenario_threads_10k() {
	scenario_begin threads-10k
	workload_start 10000 1000
	check started "$(head -1 /tmp/spin.log)" grep -q "started 10000" /tmp/spin.log
	sched_install; rc=$?
	check install "$(last_switch_line)" [ $rc = 0 ]
	sched_uninstall; rc=$?
	check rollback "$(last_switch_line)" [ $rc = 0 ]
	workload_stop
	scenario_end
}
