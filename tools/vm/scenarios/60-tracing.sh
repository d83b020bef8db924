# tracing: kprobes anywhere in a redirected entry are refused, at install and at re-enable (nothing
# written); so is a BPF fentry program on one (its BPF trampoline is called from the function's
# ftrace site), which may come while installed: it runs before the jump and the rollback works;
# the function tracer on redirected functions while installed gives no WARN/ftrace_bug;
# the entries redirected through an ftrace handler can be traced and probed while installed and
# their calls reach the module's copy; rmmod -f while installed rolls back first.
tracing_probe() {
	# tracing_probe SPEC: place and enable kprobe plugsched_t at SPEC; fails if the kernel refuses it
	echo "p:plugsched_t $1" > /sys/kernel/tracing/kprobe_events 2>/dev/null &&
		echo 1 > /sys/kernel/tracing/events/kprobes/plugsched_t/enable
}

tracing_unprobe() {
	echo 0 > /sys/kernel/tracing/events/kprobes/plugsched_t/enable 2>/dev/null
	echo > /sys/kernel/tracing/kprobe_events
}

# tracing_call FN: make the kernel call FN (one of the entries redirected through an ftrace
# handler) a few times; fails when the scenario knows no way to
tracing_call() {
	case $1 in
	preempt_notifier_register)
		[ -f /plugsched/modules/plugsched_pn_test.ko ] || return 1
		insmod /plugsched/modules/plugsched_pn_test.ko && rmmod plugsched_pn_test ;;
	sched_post_fork) for i in 1 2 3; do sh -c true; done ;;
	schedstat_stop) for i in 1 2 3; do cat /proc/schedstat > /dev/null; done ;;
	*) return 1 ;;
	esac
}

# tracing_hits EVENT: how often kprobe EVENT fired (kprobe_profile), 0 when it is not there
tracing_hits() {
	awk -v e="$1" '$1 == e { print $2; f = 1 } END { if (!f) print 0 }' /sys/kernel/tracing/kprobe_profile
}

# tracing_via_ftrace FN: while installed, the function tracer and a kprobe work on FN, whose entry
# goes through the module's ftrace handler, and FN's calls go on in the module's copy (a kprobe
# on it fires); after echo 0 they do not, and echo 1 works with the tracer still on FN.
tracing_via_ftrace() {
	v=$1 t=/sys/kernel/tracing
	warns0=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	echo "$v" > $t/set_ftrace_filter && echo function > $t/current_tracer; rc=$?
	echo "p:plugsched_t $v" > $t/kprobe_events && echo "p:plugsched_m __mod_$v" >> $t/kprobe_events &&
		echo 1 > $t/events/kprobes/enable; prc=$?
	check "ftrace-entry-$v-traced" "tracer rc=$rc, kprobes rc=$prc" [ $rc = 0 -a $prc = 0 ]
	echo > $t/trace
	if tracing_call "$v"; then
		kernel=$(tracing_hits plugsched_t) module=$(tracing_hits plugsched_m)
		traced=$(grep -c " $v" $t/trace)
		check "ftrace-entry-$v-goes-to-module" "kprobe on $v $kernel, on the module's copy $module, traced $traced" \
			[ "$kernel" -gt 0 -a "$module" -gt 0 -a "$traced" -gt 0 ]
		echo 0 > /sys/kernel/plugsched/enable; rc=$?
		before=$(tracing_hits plugsched_m)
		tracing_call "$v"
		after=$(tracing_hits plugsched_m)
		check "ftrace-entry-$v-rolled-back" "rollback rc=$rc; module's copy $before -> $after" [ $rc = 0 -a "$before" = "$after" ]
		echo 1 > /sys/kernel/plugsched/enable; rc=$?
		check "ftrace-entry-$v-reenable-traced" "rc=$rc $(dmesg | grep 'plugsched: ' | grep 'entries' | tail -1)" [ $rc = 0 ]
	else
		echo "tracing: $v is not called here (no way of calling it in this guest): where its calls go is not checked"
	fi
	echo 0 > $t/events/kprobes/enable
	echo > $t/kprobe_events
	echo nop > $t/current_tracer
	echo > $t/set_ftrace_filter
	warns=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	check "ftrace-entry-$v-no-warn" "warnings $warns0 -> $warns" [ "$warns" = "$warns0" ]
}

# tracing_fentry_start FN: a BPF fentry program on FN (tools/vm/fentry.c, in the background as $FENTRY,
# its output in /tmp/fentry.log); 0 once attached, 3 when this kernel cannot attach fentry
# programs at all, else 1 (the reason is in the log)
tracing_fentry_start() {
	fentry "$1" > /tmp/fentry.log 2>&1 &
	FENTRY=$!
	wait_for_line /tmp/fentry.log "^attached|^fentry:|^usage" 500 0.02
	grep -q "^attached" /tmp/fentry.log && return 0
	wait "$FENTRY"; _fs=$?
	FENTRY=
	[ "$_fs" = 3 ] && return 3
	return 1
}

# tracing_fentry_stop: the program detached, its process reaped (not in a subshell: it waits for
# its child); its last line ("detached calls N") is the end of /tmp/fentry.log
tracing_fentry_stop() {
	[ -n "$FENTRY" ] || return 0
	kill -TERM "$FENTRY"
	wait "$FENTRY"
	FENTRY=
}

# tracing_fentry_calls: how often the fentry program ran so far
tracing_fentry_calls() {
	_fc=$(grep -c "^calls " /tmp/fentry.log)
	kill -USR1 "$FENTRY" || { echo 0; return; }
	_fn=0
	while [ "$(grep -c "^calls " /tmp/fentry.log)" -le "$_fc" ] && [ $_fn -lt 250 ]; do
		sleep 0.02
		_fn=$((_fn + 1))
	done
	grep "^calls " /tmp/fentry.log | tail -1 | cut -d" " -f2
}

# tracing_wakeups: a few calls of try_to_wake_up (a child's exit wakes its parent, a sleep's timer the sleeper)
tracing_wakeups() {
	for i in 1 2 3; do sh -c true; sleep 0.05; done
}

# tracing_fentry_installed FN: while installed, a fentry program attaches to FN (the trampoline
# runs before the jump, which goes on to the module's copy: a kprobe on it fires), the rollback
# works with it there (FN's calls stay in the kernel, the program goes on running), echo 1 is
# refused while it is there with nothing written and works once it is gone; no WARN/ftrace_bug
tracing_fentry_installed() {
	f=$1 t=/sys/kernel/tracing
	warns0=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	tracing_fentry_start "$f"; rc=$?
	check fentry-attaches-while-installed "rc=$rc $(tail -1 /tmp/fentry.log)" [ $rc = 0 ]
	[ $rc = 0 ] || return
	echo "p:plugsched_m __mod_$f" > $t/kprobe_events && echo 1 > $t/events/kprobes/enable; prc=$?
	m0=$(tracing_hits plugsched_m) c0=$(tracing_fentry_calls)
	tracing_wakeups
	m1=$(tracing_hits plugsched_m) c1=$(tracing_fentry_calls)
	patched=$(cat /sys/kernel/plugsched/functions/*/patched | sort -u | tr '\n' ' ')
	check fentry-runs-before-the-jump "kprobe rc=$prc; fentry calls $c0 -> $c1, module's copy $m0 -> $m1, patched=$patched" \
		[ $prc = 0 -a "$c1" -gt "$c0" -a "$m1" -gt "$m0" -a "$patched" = "1 " ]
	echo 0 > /sys/kernel/plugsched/enable; rc=$?
	m0=$(tracing_hits plugsched_m) c0=$(tracing_fentry_calls)
	tracing_wakeups
	m1=$(tracing_hits plugsched_m) c1=$(tracing_fentry_calls)
	patched=$(cat /sys/kernel/plugsched/functions/*/patched | sort -u | tr '\n' ' ')
	check fentry-rollback "rc=$rc patched=$patched; fentry calls $c0 -> $c1, module's copy $m0 -> $m1" \
		[ $rc = 0 -a "$patched" = "0 " -a "$c1" -gt "$c0" -a "$m1" = "$m0" ]
	n0=$(dmesg | grep -c "plugsched: $f,0: is traced .* through ftrace")
	echo 1 > /sys/kernel/plugsched/enable 2>/dev/null; rc=$?
	patched=$(cat /sys/kernel/plugsched/functions/*/patched | sort -u | tr '\n' ' ')
	n1=$(dmesg | grep -c "plugsched: $f,0: is traced .* through ftrace")
	check fentry-reenable-refused "rc=$rc patched=$patched $(dmesg | grep "plugsched: $f,0: " | tail -1)" \
		[ $rc != 0 -a "$patched" = "0 " -a "$n1" -gt "$n0" ]
	echo 0 > $t/events/kprobes/enable
	echo > $t/kprobe_events
	tracing_fentry_stop
	echo 1 > /sys/kernel/plugsched/enable; rc=$?
	check fentry-reenable-once-detached "rc=$rc ($(tail -1 /tmp/fentry.log)) $(last_switch_line)" [ $rc = 0 -a "$(cat /sys/kernel/plugsched/enable)" = 1 ]
	warns=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	check fentry-no-warn "warnings $warns0 -> $warns" [ "$warns" = "$warns0" ]
}

scenario_tracing() {
	scenario_begin tracing
	grep -q " /sys/kernel/tracing " /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing
	fn=try_to_wake_up
	# the jump's window: x86 5 bytes after the 5-byte ftrace NOP, arm64 4 words after the 2 of ftrace
	case $(uname -m) in
	x86_64) first=6 last=9 step=1 ;;
	*) first=12 last=20 step=4 ;;
	esac

	tracing_probe $fn
	out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
	msg=$(dmesg | grep "plugsched: $fn,0: " | tail -1)
	check probe-at-entry-refused "$msg" [ $rc != 0 -a -n "$msg" ]
	tracing_unprobe

	off=$first; found=
	while [ $off -le $last ] && [ -z "$found" ]; do
		tracing_probe $fn+$off && found=$off || tracing_unprobe
		off=$((off + step))
	done
	if [ -n "$found" ]; then
		out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
		msg=$(dmesg | grep "plugsched: $fn,0: " | tail -1)
		check probe-inside-window-refused "+$found: $msg" [ $rc != 0 -a ! -d /sys/kernel/plugsched ]
		tracing_unprobe
	else
		echo "tracing: skip probe-inside-window: no offset $first..$last of $fn is an instruction boundary"
	fi

	# a BPF fentry program on a redirected entry: the install is refused with nothing written
	tracing_fentry_start $fn; frc=$?
	if [ $frc = 0 ]; then
		n0=$(dmesg | grep -c "plugsched: $fn,0: is traced .* through ftrace")
		out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
		n1=$(dmesg | grep -c "plugsched: $fn,0: is traced .* through ftrace")
		check fentry-install-refused "rc=$rc $(dmesg | grep "plugsched: $fn,0: " | tail -1)" \
			[ $rc != 0 -a "$n1" -gt "$n0" -a ! -d /sys/kernel/plugsched ]
		tracing_fentry_stop
	elif [ $frc = 3 ] && ! grep -qE " register_ftrace_direct(_multi)?$" /proc/kallsyms; then
		# no direct calls from ftrace sites (DYNAMIC_FTRACE_WITH_DIRECT_CALLS): no BPF trampolines on functions
		echo "tracing: skip BPF fentry: this kernel cannot attach it ($(grep '^fentry:' /tmp/fentry.log | head -1))"
	else
		check fentry-attaches "$(cat /tmp/fentry.log | tr '\n' ' ')" false
	fi
	sched_install; rc=$?
	check installs-once-free "$out" [ $rc = 0 ]

	# re-enable with a kprobe placed meanwhile: refused, nothing written
	echo 0 > /sys/kernel/plugsched/enable
	probe=${found:-0}
	tracing_probe $fn+$probe
	echo 1 > /sys/kernel/plugsched/enable 2>/dev/null; rc=$?
	patched=$(cat /sys/kernel/plugsched/functions/*/patched | sort -u | tr '\n' ' ')
	check reenable-refused "rc=$rc patched=$patched $(dmesg | grep 'plugsched:' | tail -1)" [ $rc != 0 -a "$patched" = "0 " ]
	tracing_unprobe
	echo 1 > /sys/kernel/plugsched/enable; rc=$?
	check reenable-once-free "$(dmesg | grep 'plugsched: ' | grep 'entries' | tail -1)" [ $rc = 0 -a "$(cat /sys/kernel/plugsched/enable)" = 1 ]

	# the function tracer on redirected functions while installed: no WARN, no ftrace_bug
	warns0=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	echo "$fn schedule_tail wake_up_new_task" > /sys/kernel/tracing/set_ftrace_filter
	echo function > /sys/kernel/tracing/current_tracer; rc=$?
	sleep 1
	echo nop > /sys/kernel/tracing/current_tracer
	echo > /sys/kernel/tracing/set_ftrace_filter
	warns=$(dmesg | grep -c -E "WARNING|ftrace failed|ftrace_bug|ftrace faulted")
	check function-tracer-no-warn "rc=$rc warnings $warns0 -> $warns" [ $rc = 0 -a "$warns" = "$warns0" ]

	# a BPF fentry program attached while installed (only where the kernel can attach one at all)
	[ $frc = 0 ] && tracing_fentry_installed $fn

	# the entries redirected through an ftrace handler (no room for the jump after their ftrace site)
	via=$(dmesg | sed -n 's/.*plugsched: \([A-Za-z0-9_.]*\),[0-9]*: .*redirected through an ftrace handler$/\1/p' | sort -u)
	[ -n "$via" ] || echo "tracing: no entry of this kernel goes through an ftrace handler"
	for v in $via; do
		tracing_via_ftrace "$v"
	done

	# forced unload while installed: the module rolls back before its text goes
	rmmod -f "$(cat /sys/kernel/plugsched/module)" 2>/dev/null; rc=$?
	msg=$(dmesg | grep "plugsched: restored the built-in scheduler" | tail -1)
	check force-unload-rolls-back "rc=$rc $msg" [ ! -d /sys/kernel/plugsched -a -n "$msg" ]
	scenario_end
}
