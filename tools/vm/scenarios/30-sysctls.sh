# sysctls: scheduler tunables are not changed by an install; one changed while installed survives the rollback.
tunables() {
	for f in /proc/sys/kernel/sched_* /sys/kernel/debug/sched/*_ns /sys/kernel/debug/sched/nr_migrate; do
		[ -f "$f" ] && echo "$f=$(cat "$f" 2>/dev/null | tr '\n' ' ')"
	done
}

scenario_sysctls() {
	scenario_begin sysctls
	# CFS's latency_ns became EEVDF's base_slice_ns in 6.6
	t=/sys/kernel/debug/sched/latency_ns
	[ -f $t ] || t=/sys/kernel/debug/sched/base_slice_ns
	tunables > /tmp/tun.before
	sched_install
	tunables > /tmp/tun.during
	check unchanged-by-install "$(wc -l < /tmp/tun.before) tunables; $(diff /tmp/tun.before /tmp/tun.during | tr '\n' ' ')" cmp -s /tmp/tun.before /tmp/tun.during
	old=$(cat $t)
	new=$((old + 1000000))
	echo $new > $t
	sched_uninstall
	check survives-rollback "${t##*/} $old -> $(cat $t)" [ "$(cat $t)" = "$new" ]
	echo $old > $t
	scenario_end
}
