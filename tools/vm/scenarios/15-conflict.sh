# conflict: an entry owned by a kprobe (through ftrace) is refused, naming the function; nothing is left behind.
scenario_conflict() {
	scenario_begin conflict
	grep -q " /sys/kernel/tracing " /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing
	echo 'p:plugsched_probe try_to_wake_up' > /sys/kernel/tracing/kprobe_events
	echo 1 > /sys/kernel/tracing/events/kprobes/plugsched_probe/enable
	out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
	check refused "$out" [ $rc != 0 ]
	msg=$(dmesg | grep "try_to_wake_up,0: is traced" | tail -1)
	check names-the-function "$msg" [ -n "$msg" ]
	check nothing-left "$(ls /sys/kernel/plugsched 2>&1)" [ ! -d /sys/kernel/plugsched ]
	echo 0 > /sys/kernel/tracing/events/kprobes/plugsched_probe/enable
	echo '-:plugsched_probe' >> /sys/kernel/tracing/kprobe_events
	sched_install; rc=$?
	check installs-once-free "$out" [ $rc = 0 ]
	sched_uninstall
	scenario_end
}
