# syscalls: nice, SCHED_FIFO/RR, affinity and yield answer the same before, during and after.
# A SCHED_OTHER task's round-robin interval is its current CFS slice, which depends on how many
# tasks are runnable at that instant: only "non-zero" is a stable answer for it.
syscall_answers() {
	for s in "nice 5" "fifo 10" "rr 20" "affinity 0" "yield 100"; do
		schedtool $s 2>&1
	done | sed '/policy=SCHED_OTHER/s/rr=[1-9][0-9]*/rr=nonzero/'
}

scenario_syscalls() {
	scenario_begin syscalls
	syscall_answers > /tmp/sys.before
	sched_install
	syscall_answers > /tmp/sys.during
	sched_uninstall
	syscall_answers > /tmp/sys.after
	check answers "$(tr '\n' ';' < /tmp/sys.before)" grep -q "policy=SCHED_FIFO prio=10" /tmp/sys.before
	check same-during "$(diff /tmp/sys.before /tmp/sys.during | tr '\n' ' ')" cmp -s /tmp/sys.before /tmp/sys.during
	check same-after "$(diff /tmp/sys.before /tmp/sys.after | tr '\n' ' ')" cmp -s /tmp/sys.before /tmp/sys.after
	scenario_end
}
