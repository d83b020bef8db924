# sched-ext: the 7.2 kernel has sched_ext compiled in (CONFIG_SCHED_CLASS_EXT=y) and the module
# replaces its class too (plugins/plugsched/docs/runtime.md, "sched_ext"). While a BPF scheduler is
# attached its tasks are in queues the BPF program owns, so the install must refuse, name the reason
# and write nothing; with none attached it installs and rolls back; after the rollback a BPF
# scheduler attaches again. The BPF scheduler is scxnull (this directory's guest program: a
# sched_ext_ops struct_ops map with only a name, sched_ext's default global FIFO), as Debian
# packages no sched_ext scheduler.

scx_state() {
	cat /sys/kernel/sched_ext/state 2>/dev/null
}

# scx_wait STATE: up to 20 s for /sys/kernel/sched_ext/state to read STATE
scx_wait() {
	i=0
	while [ "$(scx_state)" != "$1" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(scx_state)" = "$1" ]
}

# scx_attach: scxnull in the background ($scx_pid), attached when this returns 0
scx_attach() {
	scxnull > /tmp/scxnull.out 2>&1 &
	scx_pid=$!
	scx_wait enabled
}

scx_detach() {
	kill $scx_pid 2>/dev/null
	wait $scx_pid 2>/dev/null
	scx_wait disabled
}

scx_ops() {
	cat /sys/kernel/sched_ext/root/ops 2>/dev/null
}

scx_runs_tasks() {
	# a task started now is scheduled by the BPF scheduler and runs to its end
	r=$(schedtool yield 20)
	[ -n "$r" ] && [ "$(scx_ops)" = scxnull ]
}

scenario_sched_ext() {
	scenario_begin sched-ext
	check builtin-before "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]
	check scx-disabled "state: $(scx_state)" [ "$(scx_state)" = disabled ]

	scx_attach
	check bpf-attaches "state: $(scx_state), ops: $(scx_ops), $(cat /tmp/scxnull.out)" [ "$(scx_state)" = enabled ]
	check bpf-schedules "ops: $(scx_ops)" scx_runs_tasks
	sched_install; rc=$?
	check install-refused "rc $rc: $out" [ $rc != 0 ]
	msg=$(dmesg | grep 'plugsched: install refused: a sched_ext BPF scheduler is attached' | tail -1)
	check refusal-names-sched-ext "$msg" [ -n "$msg" ]
	check nothing-installed "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]
	check bpf-still-attached "state: $(scx_state), ops: $(scx_ops)" [ "$(scx_state)" = enabled ]
	scx_detach
	check bpf-detached "state: $(scx_state)" [ "$(scx_state)" = disabled ]

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	v=$(cat /sys/kernel/plugsched/version)
	check module-is-variant "version: $v" [ "$v" = "$VARIANT $VARIANT_VERSION" ]
	r=$(schedtool yield 100)
	check schedules "$r" [ -n "$r" ]
	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	check builtin-after "$(plugsched-install status | head -1)" [ ! -d /sys/kernel/plugsched ]

	scx_attach
	check bpf-attaches-after-rollback "state: $(scx_state), ops: $(scx_ops), $(cat /tmp/scxnull.out)" [ "$(scx_state)" = enabled ]
	check bpf-schedules-after-rollback "ops: $(scx_ops)" scx_runs_tasks
	scx_detach
	check bpf-detached-after-rollback "state: $(scx_state)" [ "$(scx_state)" = disabled ]
	scenario_end
}
