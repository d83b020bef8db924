# livepatch: livepatches and the module's scheduler (docs/runtime.md, "Livepatches"). A livepatch
# takes a function over at its ftrace site, before the module's jump. The test livepatch
# (tools/vm/modules/plugsched_lp_test.c) replaces sched_get_priority_max(), which the module
# redirects, with one answering 42 for SCHED_FIFO (the kernel and the module answer 99):
#   - loaded before the install, it makes the install refuse, naming that function, nothing changed;
#   - disabled and unloaded, the install goes through;
#   - loaded while installed, it is refused at load with the reason, and the answer stays 99;
#   - after the rollback it loads, takes effect, and goes again.
# A kernel without livepatch support (Debian's arm64 6.1) gets no test livepatch: the scenario says so.

LP_KO=/plugsched/modules/plugsched_lp_test.ko
LP_SYS=/sys/kernel/livepatch/plugsched_lp_test

# lp_unload: disable the livepatch, wait for its transition, unload it
lp_unload() {
	echo 0 > $LP_SYS/enabled
	i=0
	while [ -d $LP_SYS ] && [ "$(cat $LP_SYS/transition 2>/dev/null)" = 1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# the sysfs directory goes once the patch is freed, after the transition
	i=0
	until rmmod plugsched_lp_test 2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! grep -q '^plugsched_lp_test ' /proc/modules
}

# lp_load: load the livepatch and wait until its transition is done
lp_load() {
	insmod $LP_KO 2>/tmp/lp.err || return 1
	i=0
	while [ "$(cat $LP_SYS/transition 2>/dev/null)" != 0 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat $LP_SYS/enabled 2>/dev/null)" = 1 ]
}

scenario_livepatch() {
	scenario_begin livepatch
	if [ ! -f $LP_KO ]; then
		check kernel-has-livepatch "no test livepatch for this kernel (CONFIG_LIVEPATCH off, or not x86-64): nothing to check" true
		scenario_end
		return
	fi
	workload_start 200
	lp_load; rc=$?
	check livepatch-loads "rc $rc $(cat /tmp/lp.err); enabled $(cat $LP_SYS/enabled 2>/dev/null)" [ $rc = 0 ]
	check livepatch-answers "sched_get_priority_max(SCHED_FIFO) = $(policies max fifo)" [ "$(policies max fifo)" = 42 ]
	# refused while the livepatch is there, so one try, as conflict and tracing do (the
	# installer's retries of a busy answer repeat the same refusal: twenty of them, 100 s on 7.2)
	out=$(PLUGSCHED_TRIES=1 plugsched-install install "$KO" 2>&1); rc=$?
	check install-refused "rc $rc: $(echo "$out" | tail -2 | tr '\n' ' ')" sh -c "[ $rc != 0 ] && dmesg | grep -q '__x64_sys_sched_get_priority_max.*live-patched through ftrace'"
	check nothing-installed "$(grep '^plugsched_' /proc/modules | cut -d' ' -f1 | tr '\n' ' ')" [ ! -d /sys/kernel/plugsched ]
	lp_unload; rc=$?
	check livepatch-unloads "rc $rc; loaded: $(grep -c '^plugsched_lp_test ' /proc/modules)" [ $rc = 0 ]
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	check module-answers "sched_get_priority_max(SCHED_FIFO) = $(policies max fifo)" [ "$(policies max fifo)" = 99 ]
	insmod $LP_KO 2>/tmp/lp.err; rc=$?
	check livepatch-refused "rc $rc: $(cat /tmp/lp.err) / $(dmesg | grep 'refusing the livepatch module' | tail -1 | sed 's/.*plugsched: //' | cut -c1-120)" sh -c "[ $rc != 0 ] && dmesg | grep -q 'plugsched: refusing the livepatch module plugsched_lp_test'"
	check still-module "sched_get_priority_max(SCHED_FIFO) = $(policies max fifo), livepatch loaded: $(grep -c '^plugsched_lp_test ' /proc/modules)" sh -c "[ $(policies max fifo) = 99 ] && ! grep -q '^plugsched_lp_test ' /proc/modules"
	check_progress workload-runs
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	lp_load; rc=$?
	check livepatch-loads-after "rc $rc $(cat /tmp/lp.err); enabled $(cat $LP_SYS/enabled 2>/dev/null)" [ $rc = 0 ]
	check livepatch-answers-after "sched_get_priority_max(SCHED_FIFO) = $(policies max fifo)" [ "$(policies max fifo)" = 42 ]
	lp_unload; rc=$?
	check livepatch-unloads-after "rc $rc; loaded: $(grep -c '^plugsched_lp_test ' /proc/modules)" [ $rc = 0 ]
	workload_stop
	scenario_end
}
