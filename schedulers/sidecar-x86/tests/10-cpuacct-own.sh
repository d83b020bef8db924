# cpuacct-own: sidecar-x86's sidecar in the running kernel (plugins/plugsched/docs/vm-test.md,
# "Variant tests"). cpuacct_charge() of kernel/sched/cpuacct.c is outside the kernel's boundary;
# this variant lists it under "sidecars" in scheduler.yaml, and patches/0001 makes it charge a task's
# time to its own cgroup v1 cpuacct group and the root only, not to the groups in between. A busy
# loop runs in parent/child: the kernel's cpuacct.usage of parent grows with it before the install
# and after the rollback; while the module runs, child's still grows, parent's stays exactly where
# it was (it has no task of its own), and the root's grows at least as much as child's.

CPUACCT_OWN=/run/plugsched-cpuacct

cpuacct_own_usage_of() {
	cat $CPUACCT_OWN/$1/cpuacct.usage
}

# cpuacct_own_deltas: a busy loop in parent/child for two seconds; prints "ROOT PARENT CHILD", the
# nanoseconds by which each group's cpuacct.usage grew meanwhile (the loop is in child before the
# first reading; root is read first and last, so it spans the others)
cpuacct_own_deltas() {
	sh -c "echo \$\$ > $CPUACCT_OWN/parent/child/tasks; while :; do :; done" &
	cpuacct_own_pid=$!
	sleep 1
	r0=$(cpuacct_own_usage_of .)
	p0=$(cpuacct_own_usage_of parent)
	c0=$(cpuacct_own_usage_of parent/child)
	sleep 2
	c1=$(cpuacct_own_usage_of parent/child)
	p1=$(cpuacct_own_usage_of parent)
	r1=$(cpuacct_own_usage_of .)
	kill $cpuacct_own_pid
	wait $cpuacct_own_pid 2>/dev/null
	echo "$((r1 - r0)) $((p1 - p0)) $((c1 - c0))"
}

# cpuacct_own_measure WHEN: sets $cr, $cp, $cc and $cev (the evidence)
cpuacct_own_measure() {
	set -- $(cpuacct_own_deltas)
	cr=$1 cp=$2 cc=$3
	cev="usage grew by: root ${cr} ns, parent ${cp} ns, parent/child ${cc} ns (a busy loop in parent/child for 2 s)"
}

# cpuacct_own_hierarchical: parent's usage grew with its child's (the kernel's cpuacct)
cpuacct_own_hierarchical() {
	[ "$cp" -gt 0 ] && [ "$cc" -gt 0 ]
}

scenario_cpuacct_own() {
	scenario_begin cpuacct-own
	mkdir -p $CPUACCT_OWN
	grep -q " $CPUACCT_OWN " /proc/mounts || mount -t cgroup -o cpuacct none $CPUACCT_OWN
	mkdir -p $CPUACCT_OWN/parent/child
	check v1-cpuacct "$(grep " $CPUACCT_OWN " /proc/mounts)" [ -f $CPUACCT_OWN/parent/child/cpuacct.usage ]

	cpuacct_own_measure
	check hierarchical-before "$cev" cpuacct_own_hierarchical

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	cpuacct_own_measure
	check child-counted-during "$cev" [ "$cc" -gt 0 ]
	check parent-own-only-during "$cev" [ "$cp" = 0 ]
	check root-counts-all-during "$cev" [ "$cr" -ge "$cc" ]

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	cpuacct_own_measure
	check hierarchical-after "$cev" cpuacct_own_hierarchical

	rmdir $CPUACCT_OWN/parent/child $CPUACCT_OWN/parent
	umount $CPUACCT_OWN
	scenario_end
}
