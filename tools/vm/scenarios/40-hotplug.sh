# hotplug: a CPU goes offline and comes back while the module's scheduler runs, under load.
scenario_hotplug() {
	scenario_begin hotplug
	cpu=/sys/devices/system/cpu/cpu1/online
	if [ ! -f $cpu ]; then
		check needs-two-cpus "only one CPU: nothing to offline" false
		scenario_end
		return
	fi
	workload_start 200
	sched_install
	echo 0 > $cpu
	check offline "online: $(cat /sys/devices/system/cpu/online)" [ "$(cat $cpu)" = 0 ]
	sleep 1
	echo 1 > $cpu
	check online-again "online: $(cat /sys/devices/system/cpu/online)" [ "$(cat $cpu)" = 1 ]
	check_progress runs-on-all
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	workload_stop
	scenario_end
}
