# wakeup-preemption: latency-x86's change, in the running kernel (plugins/plugsched/docs/vm-test.md,
# "Variant tests"). The variant lets a woken task preempt the running one only when it is a whole
# scheduling period behind it, so a task waking from a 10 ms sleep onto a CPU held by a busy loop
# waits for the tick instead of running at once. wakelat (this directory's guest program) measures
# that wait; its median must be at least twice as long while the module runs than before the install
# and after the rollback, measured in the same boot, so the machine's speed cancels out.

# wakeup_preemption_p50 LINE: the median of a wakelat line, in us
wakeup_preemption_p50() {
	set -- $1
	echo "$3"
}

# wakeup_preemption_slower SLOW FAST: SLOW's median is at least twice FAST's (about 5 times here: half a 4 ms tick against the cost of a wakeup)
wakeup_preemption_slower() {
	slow=$(wakeup_preemption_p50 "$1")
	fast=$(wakeup_preemption_p50 "$2")
	[ -n "$slow" ] && [ -n "$fast" ] && [ "$slow" -gt 0 ] && [ "$slow" -ge $((2 * fast)) ]
}

scenario_wakeup_preemption() {
	scenario_begin wakeup-preemption
	check builtin-before "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]
	before=$(wakelat)
	check kernel-measured "$before" [ -n "$before" ]

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	v=$(cat /sys/kernel/plugsched/version)
	check module-is-variant "version: $v" [ "$v" = "$VARIANT $VARIANT_VERSION" ]
	during=$(wakelat)
	check wakeups-wait-while-installed "built-in before: $before; latency-x86: $during" \
		wakeup_preemption_slower "$during" "$before"

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	check builtin-after "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]
	after=$(wakelat)
	check wakeups-preempt-after-rollback "latency-x86: $during; built-in after: $after" \
		wakeup_preemption_slower "$during" "$after"
	scenario_end
}
