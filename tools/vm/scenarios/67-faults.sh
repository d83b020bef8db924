# faults: with the module's test hook fail_at (tools/runtime/fault-inject.c), every step of an
# install and of a rollback fails in turn, at each try. Each failure must leave the kernel as it
# was: enable and every entry's "patched" file as before, the runtime's own check of the entries
# and class tables ("nothing changed: ..."), the sched features, ftrace's list of functions with a
# handler on them (the module's on the entries redirected through ftrace), and the workload runs.
# With the hook cleared the same switch then works.

FAULT_STEPS_INSTALL="recheck ftrace walk alloc verify stacks park write"
FAULT_STEPS_ROLLBACK="walk alloc verify stacks park write"

# (each try runs few processes: a guest under the workload starts each one slowly)
faults_hook() {
	echo "$1" > "$FAULTS_HOOK"
}

# faults_state: what a failed switch must not change
faults_state() {
	read -r fs_enable < /sys/kernel/plugsched/enable
	fs_features=$(md5sum < /sys/kernel/debug/sched/features)
	echo "enable=$fs_enable" \
		"patched=$(awk '{ n[$0]++ } END { for (v in n) print n[v], v }' /sys/kernel/plugsched/functions/*/patched | sort | tr '\n' ' ')" \
		"features=${fs_features%"${fs_features#????????}"}" \
		"ftrace=$(wc -l < /sys/kernel/tracing/enabled_functions)"
}

# faults_try STEP TO: with the hook at STEP, echo TO > enable must fail and change nothing
faults_try() {
	what=install
	[ "$2" = 1 ] || what=rollback
	before=$(faults_state)
	faults_hook "$1"
	echo "plugsched-test: faults $1 $what" > /dev/kmsg
	echo "$2" > /sys/kernel/plugsched/enable 2>/dev/null; rc=$?
	faults_hook ""
	after=$(faults_state)
	# the runtime's report of this try: its last line after the marker
	report=$(dmesg | awk -v mark="plugsched-test: faults $1 $what" -v failed="plugsched: the $what failed" '
		substr($0, length($0) - length(mark) + 1) == mark { on = 1 }
		on && index($0, failed) { last = $0 }
		END { sub(/.*plugsched: /, "", last); print last }')
	check "$1-fails-$what-cleanly" "rc=$rc; $report; before: $before; after: $after" \
		sh -c "[ $rc != 0 ] && [ \"\$1\" = \"\$2\" ] && echo \"\$3\" | grep -q 'nothing changed'" - "$before" "$after" "$report"
}

scenario_faults() {
	scenario_begin faults
	grep -q " /sys/kernel/tracing " /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing
	workload_start 200
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	FAULTS_HOOK="/sys/module/$(cat /sys/kernel/plugsched/module)/parameters/fail_at"
	echo 0 > /sys/kernel/plugsched/enable
	for s in $FAULT_STEPS_INSTALL; do
		faults_try "$s" 1
	done
	echo 1 > /sys/kernel/plugsched/enable; rc=$?
	check install-after-faults "rc=$rc $(last_switch_line)" [ $rc = 0 ]
	for s in $FAULT_STEPS_ROLLBACK; do
		faults_try "$s" 0
	done
	check_progress workload-runs
	echo 0 > /sys/kernel/plugsched/enable; rc=$?
	check rollback-after-faults "rc=$rc $(last_switch_line)" [ $rc = 0 ]
	echo 1 > /sys/kernel/plugsched/enable; rc=$?
	check reinstall-after-faults "rc=$rc $(last_switch_line)" [ $rc = 0 ]
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	workload_stop
	scenario_end
}
