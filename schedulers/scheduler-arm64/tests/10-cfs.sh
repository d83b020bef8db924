# cfs: what scheduler-arm64 is, in the running kernel (plugins/plugsched/docs/vm-test.md,
# "Variant tests"). It has no patches: it is Debian's 6.1 arm64 scheduler, CFS, as a module. While
# installed, the module is the running scheduler ($VARIANT $VARIANT_VERSION in
# /sys/kernel/plugsched/version, every redirected function patched) and shares a CPU by CFS's
# weights like the kernel's own: a nice 0 thread gets tens of times the CPU time of a nice 19 one
# on the same CPU (1024 : 15 in sched_prio_to_weight; without nice it would be 1 : 1). After the
# rollback the kernel's own scheduler is back and shares the same way. niceshare is this
# directory's guest program.

# cfs_share: nice 0 : nice 19 CPU time over two seconds on CPU 1 (the output line)
cfs_share() {
	niceshare 2 1
}

# cfs_weighted LINE: the ratio in LINE is at least 10
cfs_weighted() {
	[ "${1##* ratio }" -ge 10 ]
}

cfs_all_patched() {
	set -- $(plugsched-install status | tail -1)
	[ "$3" -gt 100 ] && [ "$3" = "$5" ]
}

cfs_no_module() {
	[ ! -d /sys/kernel/plugsched ] && ! grep -q '^scheduler ' /proc/modules
}

scenario_cfs() {
	scenario_begin cfs
	check builtin-before "$(plugsched-install status | head -1)" cfs_no_module
	share=$(cfs_share)
	check kernel-weights-nice "$share" cfs_weighted "$share"

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	v=$(cat /sys/kernel/plugsched/version)
	check module-is-variant "version: $v" [ "$v" = "$VARIANT $VARIANT_VERSION" ]
	check module-patched "$(plugsched-install status | tail -1)" cfs_all_patched
	share=$(cfs_share)
	check module-weights-nice "$share" cfs_weighted "$share"

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	check builtin-after "$(plugsched-install status | head -1)" cfs_no_module
	share=$(cfs_share)
	check kernel-weights-nice-after "$share" cfs_weighted "$share"
	scenario_end
}
