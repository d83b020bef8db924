# fork-log: scheduler-x86's example change, in the running kernel (plugins/plugsched/docs/vm-test.md,
# "Variant tests"). patches/0001 adds the sched feature PLUGSCHED_FORK_LOG, off by default, and
# makes wake_up_new_task() log "scheduler-x86: new task <comm>/<pid>" while it is on. Before the
# install the kernel does not know the feature; while the module runs it shows, starts off, logs a
# fork once turned on (fork-as, this directory's guest program, forks under a name of its choosing)
# and stops when turned off; after the rollback it is gone again and nothing is logged.

FORK_LOG_FEATURES=/sys/kernel/debug/sched/features

fork_log_feature() {
	tr ' ' '\n' < $FORK_LOG_FEATURES | grep -xE '(NO_)?PLUGSCHED_FORK_LOG'
}

# fork_log_logged NAME PID: the module logged that fork
fork_log_logged() {
	dmesg | grep -qF "scheduler-x86: new task $1/$2"
}

fork_log_silent() {
	! fork_log_logged "$1" "$2"
}

fork_log_refused() {
	! echo PLUGSCHED_FORK_LOG > $FORK_LOG_FEATURES 2> /dev/null
}

scenario_fork_log() {
	scenario_begin fork-log
	check absent-before "the kernel's features: $(fork_log_feature || echo 'no PLUGSCHED_FORK_LOG')" [ -z "$(fork_log_feature)" ]
	check kernel-refuses-before "echo PLUGSCHED_FORK_LOG > features fails" fork_log_refused
	pid=$(fork-as fl-before)
	check silent-before "fork of fl-before/$pid not logged" fork_log_silent fl-before "$pid"

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	check off-by-default "$(fork_log_feature)" [ "$(fork_log_feature)" = NO_PLUGSCHED_FORK_LOG ]
	pid=$(fork-as fl-off)
	check silent-when-off "fork of fl-off/$pid not logged" fork_log_silent fl-off "$pid"
	echo PLUGSCHED_FORK_LOG > $FORK_LOG_FEATURES
	pid=$(fork-as fl-on)
	echo NO_PLUGSCHED_FORK_LOG > $FORK_LOG_FEATURES
	check logs-when-on "$(dmesg | grep -F "scheduler-x86: new task fl-on/" | tail -1)" fork_log_logged fl-on "$pid"
	pid=$(fork-as fl-off-again)
	check silent-when-off-again "fork of fl-off-again/$pid not logged" fork_log_silent fl-off-again "$pid"

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	check absent-after "the kernel's features: $(fork_log_feature || echo 'no PLUGSCHED_FORK_LOG')" [ -z "$(fork_log_feature)" ]
	check kernel-refuses-after "echo PLUGSCHED_FORK_LOG > features fails" fork_log_refused
	pid=$(fork-as fl-after)
	check silent-after "fork of fl-after/$pid not logged" fork_log_silent fl-after "$pid"
	scenario_end
}
