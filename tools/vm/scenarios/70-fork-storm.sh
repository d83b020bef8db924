# fork-storm: twenty switches while short-lived processes and threads fork, exec, exit and are
# reaped late (forkstorm). After each switch (every fourth in a slow emulated guest) the storm is held still (SIGSTOP to its process
# group) and the kernel's counts must agree with what is there: the thread count of /proc/loadavg
# with the threads /proc lists, and the number of runnable tasks with the tasks in state R. A task
# lost or queued twice by the state rebuild shows as a difference that does not go away.

# fork_storm_threads_agree: nr_threads (/proc/loadavg) equals the threads /proc lists (builtins only:
# no process starts between the two readings); a few tries, as kernel threads come and go
fork_storm_threads_agree() {
	for try in 1 2 3 4 5; do
		read -r l1 l5 l15 rt last < /proc/loadavg
		set -- /proc/[0-9]*/task/[0-9]*
		FORK_STORM_THREADS="nr_threads ${rt#*/}, /proc lists $#"
		[ "${rt#*/}" = "$#" ] && return 0
		sleep 1
	done
	return 1
}

# fork_storm_runnable_agree: with the storm stopped, the runnable count (procs_running of
# /proc/stat, all CPUs' nr_running) matches the tasks /proc shows in state R, give or take one
# (the reader itself races with its own count). One awk reads every task's stat (the state
# follows the last ") ", after the command name) and then /proc/stat: a shell loop over the
# files takes seconds under emulation. A task gone before its file is read is skipped.
fork_storm_runnable_count() {
	awk 'BEGIN {
		r = 0
		for (i = 1; i < ARGC; i++) {
			if ((getline line < ARGV[i]) > 0) {
				sub(/.*\) /, "", line)
				if (substr(line, 1, 2) == "R ")
					r++
			}
			close(ARGV[i])
		}
		while ((getline line < "/proc/stat") > 0)
			if (line ~ /^procs_running /)
				running = substr(line, 15)
		print running, r
	}' /proc/[0-9]*/task/[0-9]*/stat
}
fork_storm_runnable_agree() {
	for try in 1 2 3 4 5; do
		set -- $(fork_storm_runnable_count)
		running=$1 r=$2
		FORK_STORM_RUNNABLE="procs_running $running, in state R $r"
		[ "$running" -le $((r + 1)) ] && [ "$r" -le $((running + 1)) ] && return 0
		sleep 1
	done
	return 1
}

# fork_storm_stops: after how many tasks the walks before stop_machine stopped because the task they
# stood on went away (dmesg); fork_storm_stops_ok: each at a break (a multiple of 64), and at least
# one did (in a slow emulated guest of another architecture none may have: then nothing is checked
# and the evidence says so)
fork_storm_stops() {
	set -- $(dmesg | sed -n 's/.*walk before stop_machine stopped after \([0-9]*\) tasks (a task it stood on.*/\1/p')
	if [ $# = 0 ] && [ "${WORKLOAD_PACE:-1}" != 1 ]; then
		echo "skipped: no walk stopped in this slow guest, nothing to check"
	else
		echo "walks stopped after: ${*:-none} tasks"
	fi
}
fork_storm_stop_count() {
	dmesg | grep -c 'walk before stop_machine stopped after [0-9]* tasks (a task it stood on'
}
fork_storm_stops_ok() {
	set -- $(dmesg | sed -n 's/.*walk before stop_machine stopped after \([0-9]*\) tasks (a task it stood on.*/\1/p')
	[ $# -gt 0 ] || [ "${WORKLOAD_PACE:-1}" != 1 ] || return 1
	for t in "$@"; do
		[ $((t % 64)) = 0 ] || return 1
	done
}

# fork_storm_switch N: switch #N through sysfs, the other way than the last, and its result
fork_storm_switch() {
	read -r v < /sys/kernel/plugsched/enable
	set -- "$1" $((1 - v))
	if echo "$2" > /sys/kernel/plugsched/enable 2>/tmp/fork-storm.err; then
		FORK_STORM_OK=$((FORK_STORM_OK + 1))
	elif [ "$(cat /sys/kernel/plugsched/enable)" = "$2" ]; then
		FORK_STORM_BAD="$FORK_STORM_BAD #$1: failed yet switched;"
	else
		# a clean refusal: EBUSY or EAGAIN after the module's own retries, nothing switched
		grep -qE "busy|again|temporarily" /tmp/fork-storm.err ||
			FORK_STORM_BAD="$FORK_STORM_BAD #$1: $(cat /tmp/fork-storm.err);"
	fi
}

# fork_storm_counts N: the counts after switch #N, with the storm held still
fork_storm_counts() {
	kill -STOP -"$FORK_STORM_PID"
	fork_storm_threads_agree || FORK_STORM_BAD="$FORK_STORM_BAD #$1: $FORK_STORM_THREADS;"
	fork_storm_runnable_agree || FORK_STORM_BAD="$FORK_STORM_BAD #$1: $FORK_STORM_RUNNABLE;"
	kill -CONT -"$FORK_STORM_PID"
	FORK_STORM_COUNTED=$((FORK_STORM_COUNTED + 1))
}

scenario_fork_storm() {
	scenario_begin fork-storm
	# four workers; two in an emulated guest of another architecture, where four leave the shell
	# that switches seconds per command
	if [ "${WORKLOAD_PACE:-1}" = 1 ]; then FORK_STORM_WORKERS=4; else FORK_STORM_WORKERS=2; fi
	forkstorm $FORK_STORM_WORKERS > /tmp/fork-storm.log &
	wait_for_line /tmp/fork-storm.log "forkstorm: started" 300 0.1
	FORK_STORM_PID=$(sed -n 's/^forkstorm: started //p' /tmp/fork-storm.log)
	check storm-runs "$(head -1 /tmp/fork-storm.log)" [ -n "$FORK_STORM_PID" ]
	sleep 1
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	FORK_STORM_OK=1
	FORK_STORM_BAD=
	FORK_STORM_COUNTED=0
	# the walk before stop_machine sleeps 50 ms at each of its breaks (test hook), so that the
	# storm reaps the task it stands on and the walk stops there (issue #16: it used to go on
	# from the freed leader): a stopped walk must have stopped at a break, a multiple of 64
	FORK_STORM_HOOK="/sys/module/$(cat /sys/kernel/plugsched/module)/parameters/precheck_break_us"
	# (the hook costs time: it goes off once two walks stopped, or after six switches in a slowed guest)
	echo $((50000 * ${WORKLOAD_PACE:-1})) > "$FORK_STORM_HOOK"
	hook=on
	n=1
	while [ $n -lt 20 ]; do
		n=$((n + 1))
		fork_storm_switch $n
		# (dmesg under the storm takes a while: looked at only while the hook is on)
		if [ $hook = on ] && { [ "$(fork_storm_stop_count)" -ge 2 ] || { [ "${WORKLOAD_PACE:-1}" != 1 ] && [ $n -ge 7 ]; }; }; then
			echo 0 > "$FORK_STORM_HOOK"
			hook=off
		fi
		# reading every task's stat takes seconds in an emulated guest of another architecture:
		# there the counts are compared after every fourth switch
		if [ "${WORKLOAD_PACE:-1}" = 1 ] || [ $((n % 4)) = 0 ]; then
			fork_storm_counts $n
		fi
	done
	echo 0 > "$FORK_STORM_HOOK"
	kill -TERM "$FORK_STORM_PID"
	wait "$FORK_STORM_PID"
	check walk-stops-at-break "$(fork_storm_stops)" fork_storm_stops_ok
	check storm-forked "$(tail -1 /tmp/fork-storm.log)" grep -qE "forkstorm: [1-9][0-9]{3,} forks" /tmp/fork-storm.log
	check switches-clean "$FORK_STORM_OK of 20 switches done, the rest refused cleanly;${FORK_STORM_BAD:- counts agreed after each of $FORK_STORM_COUNTED switches checked}" [ -z "$FORK_STORM_BAD" ]
	check most-switches-done "$FORK_STORM_OK of 20 switches done" [ "$FORK_STORM_OK" -ge 15 ]
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	check counts-after "$FORK_STORM_THREADS" fork_storm_threads_agree
	scenario_end
}
