# stack-recheck: the stack walk before stop_machine and the re-check under it (docs/runtime.md,
# "The walk before stop_machine"). Every task is walked once with the machine running; under
# stop_machine only the tasks that appeared or ran since are walked again. The module's test hook
# precheck_delay_ms holds the switch for two seconds between the two (and logs when the first is
# done), and meanwhile a task parks inside sched_getaffinity (superseded code; uffd-park): first one
# forked in that window,
# then one that was asleep elsewhere at the first walk. Each time the switch must be refused,
# found under stop_machine for the right reason, and succeed once the task has moved on.

# recheck_delay MS: the loaded module's test hook (the module has a name of its own per build)
recheck_delay() {
	echo "$1" > "/sys/module/$(cat /sys/kernel/plugsched/module)/parameters/precheck_delay_ms"
}

# recheck_mark WHAT: a line in the kernel log; recheck_since WHAT prints what came after it
recheck_mark() {
	echo "plugsched-test: stack-recheck $1" > /dev/kmsg
}

recheck_since() {
	dmesg | sed -n "/plugsched-test: stack-recheck $1\$/,\$p"
}

# recheck_after_walk WHAT: wait until the switch after mark WHAT has done its walk before
# stop_machine (the module's test hook says so), so that what follows happens between the walks
recheck_after_walk() {
	i=0
	until recheck_since "$1" | grep -q "plugsched: test hook: the walk before stop_machine is done" || [ $i -ge 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# recheck_refused RESULT LOG REASON: the switch was refused and the test's task was first found for REASON
recheck_refused() {
	[ "$1" = refused ] && echo "$2" | grep -q "try [0-9]*: uffd-park/[0-9]* is inside .*(found under stop_machine: $3)"
}

# recheck_switch WHAT: echo 1 with the delay on; RECHECK_RESULT switched|refused, RECHECK_LOG the
# first try that names the test's task (an earlier try may have been refused by another task, such
# as a process of the polling loop caught mid-exec: the hook then holds the next try)
recheck_switch() {
	if echo 1 > /sys/kernel/plugsched/enable 2>/tmp/recheck.err; then RECHECK_RESULT=switched; else RECHECK_RESULT=refused; fi
	RECHECK_LOG=$(recheck_since "$1" | grep "plugsched: try [0-9]*: uffd-park/" | head -1 | sed 's/.*plugsched: //')
	step "switch with a task parking meanwhile ($1): $RECHECK_RESULT"
}

# recheck_release: the parked thread goes on; then the switch goes through and is undone
recheck_release() {
	touch /tmp/park-release
	wait "$PARK"
	echo 1 > /sys/kernel/plugsched/enable 2>/tmp/recheck.err
}

scenario_stack_recheck() {
	scenario_begin stack-recheck
	workload_start 200
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	line=$(dmesg | grep "plugsched: stack check: .* walked before stop_machine" | tail -1 | sed 's/.*plugsched: //')
	check walked-before "$line" sh -c "dmesg | grep 'plugsched: stack check: .* walked before stop_machine' | tail -1 | grep -q 'check: [1-9][0-9]* tasks walked before'"
	echo 0 > /sys/kernel/plugsched/enable
	recheck_delay 2000

	# forked between the two walks
	rm -f /tmp/park-release /tmp/park.log
	recheck_mark new
	(recheck_after_walk new; exec uffd-park /tmp/park-release > /tmp/park.log 2>&1) &
	PARK=$!
	recheck_switch new
	check new-task-caught "$RECHECK_RESULT; $RECHECK_LOG" recheck_refused "$RECHECK_RESULT" "$RECHECK_LOG" "new since the walk before"
	recheck_release
	check switches-once-free-1 "enable $(cat /sys/kernel/plugsched/enable) $(cat /tmp/recheck.err)" [ "$(cat /sys/kernel/plugsched/enable)" = 1 ]
	echo 0 > /sys/kernel/plugsched/enable

	# asleep elsewhere at the first walk, woken before stop_machine
	rm -f /tmp/park-release /tmp/park-go /tmp/park.log
	uffd-park /tmp/park-release /tmp/park-go > /tmp/park.log 2>&1 &
	PARK=$!
	wait_for_line /tmp/park.log "^waiting" 50 0.2
	recheck_mark ran
	(recheck_after_walk ran; echo go > /tmp/park-go) &
	recheck_switch ran
	check woken-task-caught "$RECHECK_RESULT; $RECHECK_LOG" recheck_refused "$RECHECK_RESULT" "$RECHECK_LOG" "ran since the walk before"
	recheck_release
	check switches-once-free-2 "enable $(cat /sys/kernel/plugsched/enable) $(cat /tmp/recheck.err)" [ "$(cat /sys/kernel/plugsched/enable)" = 1 ]

	recheck_delay 0
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	workload_stop
	scenario_end
}
