# tracing: kprobes anywhere in a redirected entry are refused, at install and at re-enable (nothing
# written); the function tracer on redirected functions while installed gives no WARN/ftrace_bug;
# rmmod -f while installed rolls back first.
tracing_probe() {
	# tracing_probe SPEC: place and enable kprobe plugsched_t at SPEC; fails if the kernel refuses it
	echo "p:plugsched_t $1" > /sys/kernel/tracing/kprobe_events 2>/dev/null &&
		echo 1 > /sys/kernel/tracing/events/kprobes/plugsched_t/enable
}

tracing_unprobe() {
	echo 0 > /sys/kernel/tracing/events/kprobes/plugsched_t/enable 2>/dev/null
	echo > /sys/kernel/tracing/kprobe_events
}

scenario_tracing() {
	scenario_begin tracing
	grep -q " /sys/kernel/tracing " /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing
	fn=try_to_wake_up
	# the jump's window: x86 5 bytes after the 5-byte ftrace NOP, arm64 4 words after the 2 of ftrace
	case $(uname -m) in
	x86_64) first=6 last=9 step=1 ;;
	*) first=12 last=20 step=4 ;;
	esac

	tracing_probe $fn
	out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
	msg=$(dmesg | grep "plugsched: $fn,0: " | tail -1)
	check probe-at-entry-refused "$msg" [ $rc != 0 -a -n "$msg" ]
	tracing_unprobe

	off=$first; found=
	while [ $off -le $last ] && [ -z "$found" ]; do
		tracing_probe $fn+$off && found=$off || tracing_unprobe
		off=$((off + step))
	done
	if [ -n "$found" ]; then
		out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
		msg=$(dmesg | grep "plugsched: $fn,0: " | tail -1)
		check probe-inside-window-refused "+$found: $msg" [ $rc != 0 -a ! -d /sys/kernel/plugsched ]
		tracing_unprobe
	else
		echo "tracing: skip probe-inside-window: no offset $first..$last of $fn is an instruction boundary"
	fi
	sched_install; rc=$?
	check installs-once-free "$out" [ $rc = 0 ]

	# re-enable with a kprobe placed meanwhile: refused, nothing written
	echo 0 > /sys/kernel/plugsched/enable
	probe=${found:-0}
	tracing_probe $fn+$probe
	echo 1 > /sys/kernel/plugsched/enable 2>/dev/null; rc=$?
	patched=$(cat /sys/kernel/plugsched/functions/*/patched | sort -u | tr '\n' ' ')
	check reenable-refused "rc=$rc patched=$patched $(dmesg | grep 'plugsched:' | tail -1)" [ $rc != 0 -a "$patched" = "0 " ]
	tracing_unprobe
	echo 1 > /sys/kernel/plugsched/enable; rc=$?
	check reenable-once-free "$(dmesg | grep 'plugsched: ' | grep 'entries' | tail -1)" [ $rc = 0 -a "$(cat /sys/kernel/plugsched/enable)" = 1 ]

	# the function tracer on redirected functions while installed: no WARN, no ftrace_bug
	warns0=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	echo "$fn schedule_tail wake_up_new_task" > /sys/kernel/tracing/set_ftrace_filter
	echo function > /sys/kernel/tracing/current_tracer; rc=$?
	sleep 1
	echo nop > /sys/kernel/tracing/current_tracer
	echo > /sys/kernel/tracing/set_ftrace_filter
	warns=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	check function-tracer-no-warn "rc=$rc warnings $warns0 -> $warns" [ $rc = 0 -a "$warns" = "$warns0" ]

	# forced unload while installed: the module rolls back before its text goes
	rmmod -f "$(cat /sys/kernel/plugsched/module)" 2>/dev/null; rc=$?
	msg=$(dmesg | grep "plugsched: restored the built-in scheduler" | tail -1)
	check force-unload-rolls-back "rc=$rc $msg" [ ! -d /sys/kernel/plugsched -a -n "$msg" ]
	echo "tracing: BPF fentry not tried: the guest has no BPF loader (bpftool) without new tooling"
	scenario_end
}
