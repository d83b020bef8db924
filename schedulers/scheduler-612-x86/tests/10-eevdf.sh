# eevdf: what scheduler-612-x86 is, in the running kernel (plugins/plugsched/docs/vm-test.md,
# "Variant tests"). It has no patches: it is Debian's 6.12 scheduler, EEVDF, as a module. While
# installed, the module is the running scheduler ($VARIANT $VARIANT_VERSION in
# /sys/kernel/plugsched/version, every redirected function patched) and it answers like the
# kernel's own EEVDF: the same features, and a SCHED_OTHER task's requested slice
# (sched_attr.sched_runtime, 6.12's custom slices) honoured and clamped to 0.1..100 ms, as before
# the install and after the rollback. slice is this directory's guest program.

EEVDF_FEATURES="PLACE_LAG RUN_TO_PARITY DELAY_DEQUEUE"

eevdf_has_features() {
	for f in $EEVDF_FEATURES; do
		tr ' ' '\n' < /sys/kernel/debug/sched/features | sed 's/^NO_//' | grep -qx "$f" || return 1
	done
}

# eevdf_slices: the answers to a 2 ms and a 500 ms request, one line
eevdf_slices() {
	echo "$(slice 2000000 | sed 's/.*requested/requested/'), $(slice 500000000 | sed 's/.*requested/requested/')"
}

eevdf_all_patched() {
	set -- $(plugsched-install status | tail -1)
	[ "$3" -gt 100 ] && [ "$3" = "$5" ]
}

scenario_eevdf() {
	scenario_begin eevdf
	EEVDF_WANT="requested 2000000 got 2000000, requested 500000000 got 100000000"
	check builtin-before "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]
	before=$(eevdf_slices)
	check kernel-slices "$before" [ "$before" = "$EEVDF_WANT" ]
	check kernel-features "$EEVDF_FEATURES" eevdf_has_features

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	v=$(cat /sys/kernel/plugsched/version)
	check module-is-variant "version: $v" [ "$v" = "$VARIANT $VARIANT_VERSION" ]
	check module-patched "$(plugsched-install status | tail -1)" eevdf_all_patched
	check module-features "$EEVDF_FEATURES" eevdf_has_features
	during=$(eevdf_slices)
	check module-slices "$during" [ "$during" = "$before" ]

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	check builtin-after "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]
	after=$(eevdf_slices)
	check kernel-slices-after "$after" [ "$after" = "$before" ]
	scenario_end
}
