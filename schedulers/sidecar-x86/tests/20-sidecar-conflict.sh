# sidecar-conflict: the sidecar's entry is checked like every other one. A kprobe on the kernel's
# cpuacct_charge (owned through ftrace) makes the install refuse, naming cpuacct_charge, and leaves
# nothing behind; with the kprobe gone the module installs and rolls back.

SIDECAR_CONFLICT_EVENTS=/sys/kernel/tracing/kprobe_events

scenario_sidecar_conflict() {
	scenario_begin sidecar-conflict
	grep -q " /sys/kernel/tracing " /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing
	echo 'p:plugsched_sidecar_probe cpuacct_charge' >> $SIDECAR_CONFLICT_EVENTS
	echo 1 > /sys/kernel/tracing/events/kprobes/plugsched_sidecar_probe/enable
	out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
	check refused "$out" [ $rc != 0 ]
	msg=$(dmesg | grep "cpuacct_charge,0: is traced" | tail -1)
	check names-the-sidecar "$msg" [ -n "$msg" ]
	check nothing-left "$(ls /sys/kernel/plugsched 2>&1)" [ ! -d /sys/kernel/plugsched ]
	echo 0 > /sys/kernel/tracing/events/kprobes/plugsched_sidecar_probe/enable
	echo '-:plugsched_sidecar_probe' >> $SIDECAR_CONFLICT_EVENTS
	sched_install; rc=$?
	check installs-once-free "$out" [ $rc = 0 ]
	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	scenario_end
}
