# scheduler-72-x86-runs: the example VM test of scheduler-72-x86; nx run scheduler-72-x86:vm-test runs it after the built-in
# scenarios, alone: nx run scheduler-72-x86:vm-test --scenarios=scheduler-72-x86-runs. Make it prove what your patches
# change: check the change is absent before the install, present while the module runs, and
# absent again after the rollback (plugins/plugsched/docs/vm-test.md, "Variant tests").
#
# The file is sourced by the guest's busybox sh and must define scenario_<name>, <name> being the
# file name without its NN- order and .sh. Helpers (tools/vm/lib.sh): scenario_begin NAME and
# scenario_end around the checks; check NAME EVIDENCE COMMAND... (PASS when COMMAND succeeds);
# sched_install and sched_uninstall (output in $out); installed; workload_start THREADS and
# workload_stop. $VARIANT and $VARIANT_VERSION are this variant's. A C file next to this one
# (tests/<prog>.c) is built static for the guest and is on its PATH as <prog>.

scheduler_72_x86_builtin() {
	[ ! -d /sys/kernel/plugsched ]
}

scenario_scheduler_72_x86_runs() {
	scenario_begin scheduler-72-x86-runs
	check builtin-before "$(plugsched-install status | head -1)" scheduler_72_x86_builtin

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	v=$(cat /sys/kernel/plugsched/version)
	check variant-runs "version: $v" [ "$v" = "$VARIANT $VARIANT_VERSION" ]
	# your change here, for example a sched feature your patches add:
	#   check my-feature-shows "$(cat /sys/kernel/debug/sched/features)" grep -qw MY_FEATURE /sys/kernel/debug/sched/features
	r=$(schedtool yield 100)
	check schedules "$r" [ -n "$r" ]

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	check builtin-after "$(plugsched-install status | head -1)" scheduler_72_x86_builtin
	scenario_end
}
