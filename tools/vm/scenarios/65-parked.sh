# parked: a thread held inside superseded (then module) code blocks the switch with EBUSY naming it, changes nothing, and the switch succeeds once it moves on.
# uffd-park sleeps in a page fault taken by sched_getaffinity's copy_to_user (userfaultfd), so the syscall's frame stays on its stack until released.
park() {
	rm -f /tmp/park-release /tmp/park.log
	uffd-park /tmp/park-release > /tmp/park.log 2>&1 &
	PARK=$!
	wait_for_line /tmp/park.log "^parked" 50 0.2
	PARK_TID=$(sed -n "s/^parked //p" /tmp/park.log)
}

unpark() {
	touch /tmp/park-release
	wait "$PARK"
	PARK_RC=$?
}

patched_states() {
	cat /sys/kernel/plugsched/functions/*/patched 2>/dev/null | sort | uniq -c | tr '\n' ' '
}

scenario_parked() {
	scenario_begin parked
	park
	check thread-parked "$(cat /tmp/park.log)" [ -n "$PARK_TID" ]
	out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
	check install-refused "$out" [ $rc != 0 ]
	msg=$(dmesg | grep "install failed after" | tail -1)
	check install-names-task-and-function "$msg" sh -c "echo '$msg' | grep -q 'uffd-park/$PARK_TID is inside .*sched_getaffinity'"
	check nothing-half-done "$(ls /sys/kernel/plugsched 2>&1); $(grep -c ^plugsched_ /proc/modules)" sh -c '[ ! -d /sys/kernel/plugsched ] && ! grep -q ^plugsched_ /proc/modules'
	unpark
	check syscall-completed "$(cat /tmp/park.log)" [ "$PARK_RC" = 0 ]
	sched_install; rc=$?
	check installs-once-moved-on "$out" [ $rc = 0 ]

	park
	check thread-parked-in-module "$(cat /tmp/park.log)" [ -n "$PARK_TID" ]
	before=$(patched_states)
	echo 0 > /sys/kernel/plugsched/enable 2>/dev/null; rc=$?
	check rollback-refused "rc=$rc" [ $rc != 0 ]
	msg=$(dmesg | grep "rollback failed after" | tail -1)
	check rollback-names-task-and-function "$msg" sh -c "echo '$msg' | grep -q 'uffd-park/$PARK_TID is inside .*sched_getaffinity'"
	after=$(patched_states)
	check still-installed "enable=$(cat /sys/kernel/plugsched/enable); patched $before -> $after" sh -c "[ \"\$(cat /sys/kernel/plugsched/enable)\" = 1 ] && [ '$before' = '$after' ] && ! echo '$after' | grep -q ' 0 '"
	unpark
	check syscall-completed-in-module "$(cat /tmp/park.log)" [ "$PARK_RC" = 0 ]
	sched_uninstall; rc=$?
	check rolls-back-once-moved-on "$out" [ $rc = 0 ]
	check module-gone "$(grep -c ^plugsched_ /proc/modules)" sh -c "! grep -q ^plugsched_ /proc/modules"
	scenario_end
}
