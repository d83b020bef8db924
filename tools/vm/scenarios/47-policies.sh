# policies: every scheduling class and the cgroup controls keep their parameters and their
# behaviour across the install and the rollback. Busy tasks (tools/vm/policies.c) started before
# the install and running through both switches:
#   CPU 0: a SCHED_OTHER task, a SCHED_IDLE task, and a task in a cgroup with cpu.idle 1
#   CPU 1: a SCHED_OTHER task in a cgroup of cpu.weight 100, a SCHED_BATCH one in a cgroup of 400
#   any CPU: a SCHED_DEADLINE task (20 ms every 100 ms) that always uses up its runtime
# Before, during and after: each task's policy and parameters (sched_getattr), affinity and
# core-scheduling cookie, and the groups' cpu.weight and cpu.idle read the same; over two seconds
# the deadline task is held to its bandwidth (throttled once its runtime is spent), the idle
# tasks get less than a fifth of what the normal task next to them gets, the 400-weight task more
# than twice the 100-weight one; and a SCHED_FIFO task started for the measurement on CPU 1 (on
# CPU 0 when the deadline task runs on CPU 1, below) is throttled by the RT bandwidth
# (sched_rt_runtime_us): the CFS tasks there still run.

policies_group() {
	mkdir -p "/sys/fs/cgroup/$1" && echo "$2" > "/sys/fs/cgroup/$1/$3"
}

# policies_start: the busy tasks; their pids in POL_* (POL_ALL: all of them, in this order)
policies_start() {
	grep -q " /sys/fs/cgroup " /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
	echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
	policies_group pol-w100 100 cpu.weight
	policies_group pol-w400 400 cpu.weight
	policies_group pol-idle 1 cpu.idle
	policies spin 0 other 0 > /tmp/pol-1.log 2>&1 & POL_OTHER=$!
	policies spin 0 idle > /tmp/pol-2.log 2>&1 & POL_IDLE=$!
	sh -c 'echo $$ > /sys/fs/cgroup/pol-idle/cgroup.procs && exec policies spin 0 other 0' > /tmp/pol-3.log 2>&1 & POL_GIDLE=$!
	sh -c 'echo $$ > /sys/fs/cgroup/pol-w100/cgroup.procs && exec policies spin 1 other 0' > /tmp/pol-4.log 2>&1 & POL_W100=$!
	sh -c 'echo $$ > /sys/fs/cgroup/pol-w400/cgroup.procs && exec policies spin 1 batch 5' > /tmp/pol-5.log 2>&1 & POL_W400=$!
	policies spin -1 deadline 20000 100000 100000 > /tmp/pol-6.log 2>&1 & POL_DL=$!
	POL_ALL="$POL_OTHER $POL_IDLE $POL_GIDLE $POL_W100 $POL_W400 $POL_DL"
	# each has taken its CPU and policy (an emulated guest takes a while to start six)
	for i in 1 2 3 4 5 6; do wait_for_line /tmp/pol-$i.log "policies: spinning as" 500 0.02; done
	sleep 1
	# a core-scheduling cookie on the normal task, where the kernel has core scheduling
	policies cookie $POL_OTHER
	POL_COOKIE=$?
}

policies_stop() {
	kill $POL_ALL 2>/dev/null
	wait $POL_ALL 2>/dev/null
	for g in pol-w100 pol-w400 pol-idle; do rmdir /sys/fs/cgroup/$g; done
}

# policies_params: every task's parameters and the groups' controls, a line each
policies_params() {
	for p in $POL_ALL; do policies show $p; done
	for g in pol-w100/cpu.weight pol-w400/cpu.weight pol-idle/cpu.idle; do echo "$g=$(cat /sys/fs/cgroup/$g)"; done
}

# policies_behaviour PHASE: the checks of what each class does, over two seconds each (one
# second was tried for the classes' shares and failed: on 6.12 under a loaded host the
# 400-weight task got 52% against 39% in the first phase). The RT throttle stops the FIFO task
# for 50 ms of every 1 s period (sched_rt_runtime_us): a window over a second long holds a
# whole throttled stretch from the task's start on, so the window opens as soon as it runs.
policies_behaviour() {
	set -- "$1" $(policies share 2000 $POL_ALL)
	phase=$1 other=$2 idle=$3 gidle=$4 w100=$5 w400=$6 dl=$7
	check "deadline-throttled-$phase" "the 20/100 ms deadline task ran ${dl}% of a CPU" sh -c "[ '$dl' -ge 10 ] && [ '$dl' -le 35 ]"
	# cpu.idle is 5.15's: before it the group is an ordinary one, and only the SCHED_IDLE task yields
	gidle_yields="[ $((gidle * 5)) -lt '$other' ]"
	[ -f /sys/fs/cgroup/pol-idle/cpu.idle ] || gidle_yields=true
	check "idle-yields-$phase" "CPU 0: SCHED_OTHER ${other}%, SCHED_IDLE ${idle}%, cpu.idle group ${gidle}%" sh -c "[ $((idle * 5)) -lt '$other' ] && $gidle_yields"
	check "weights-$phase" "CPU 1: cpu.weight 100 ${w100}%, cpu.weight 400 (SCHED_BATCH) ${w400}%" [ "$w400" -gt $((w100 * 2)) ]
	# The FIFO task goes where the deadline task is not. The kernel charges a deadline task's
	# runtime to the RT bandwidth of its CPU (update_curr_dl adds it to rq->rt.rt_time on 5.10 and
	# 6.1), and the deadline task preempts the CFS tasks in the throttled part of the period too:
	# on the deadline task's CPU the FIFO task stops at 75% and the CFS tasks get 0-3%, which says
	# nothing of the throttle. Which CPU the deadline task takes is chance (where it was forked and
	# exec'd); on 5.10 and 6.1 it then stays there (a lone deadline task is never pushed or pulled).
	# On 6.12 it was seen on another CPU from one phase to the next (each CPU's fair_server is a
	# deadline entity too), but 6.12 charges it to the RT bandwidth only with RT_GROUP_SCHED,
	# which Debian's config does not have: there either CPU measures the throttle.
	dl_cpu=$(cut -d' ' -f39 /proc/$POL_DL/stat)
	if [ "$dl_cpu" = 1 ]; then
		rt_cpu=0; rt_cfs="$POL_OTHER $POL_IDLE $POL_GIDLE"
	else
		rt_cpu=1; rt_cfs="$POL_W100 $POL_W400"
	fi
	policies spin $rt_cpu fifo 1 > /tmp/pol-fifo.log 2>&1 & fifo=$!
	wait_for_line /tmp/pol-fifo.log "policies: spinning as" 500 0.02
	set -- $(policies share 2000 $fifo $rt_cfs)
	kill $fifo
	wait $fifo 2>/dev/null
	rt_fifo=$1; shift
	rt_other=0; for rt_s in "$@"; do rt_other=$((rt_other + rt_s)); done
	check "rt-throttled-$phase" "CPU $rt_cpu: SCHED_FIFO ${rt_fifo}%, the CFS tasks ${rt_other}% (the deadline task on CPU $dl_cpu)" sh -c "[ '$rt_fifo' -ge 50 ] && [ '$rt_other' -ge 1 ]"
}

scenario_policies() {
	scenario_begin policies
	policies_start
	if [ "$POL_COOKIE" = 3 ]; then
		step "no core scheduling in this kernel (CONFIG_SCHED_CORE off, or no SMT): no cookie to carry"
	else
		check cookie-set "PR_SCHED_CORE_CREATE on the SCHED_OTHER task: rc $POL_COOKIE" [ "$POL_COOKIE" = 0 ]
	fi
	policies_params > /tmp/pol.before
	check started "$(grep -c '^policy=' /tmp/pol.before) tasks: $(grep -o 'policy=[A-Z_]*' /tmp/pol.before | tr '\n' ' ')" [ "$(grep -c '^policy=' /tmp/pol.before)" = 6 ]
	policies_behaviour before
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	policies_params > /tmp/pol.during
	check params-during "$(diff /tmp/pol.before /tmp/pol.during | grep '^[-+][^-+]' | tr '\n' ' ')" cmp -s /tmp/pol.before /tmp/pol.during
	policies_behaviour during
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	policies_params > /tmp/pol.after
	check params-after "$(diff /tmp/pol.before /tmp/pol.after | grep '^[-+][^-+]' | tr '\n' ' ')" cmp -s /tmp/pol.before /tmp/pol.after
	policies_behaviour after
	policies_stop
	scenario_end
}
