# cpu-max: cgroup v2 cpu.max at 50% keeps a busy loop well under a full CPU before, during and after.
busy_share() {
	# a busy loop in the group for 2 s: twenty periods of cpu.max, each allowing 50 ms of
	# 100, so that one period more or less moves the share by 2.5%, far inside the 20-75% the
	# checks allow, while a loop the quota does not hold runs a whole CPU (100%, failing them);
	# prints its CPU use in percent of one CPU
	g=/sys/fs/cgroup/plugsched
	sh -c 'echo $$ > /sys/fs/cgroup/plugsched/cgroup.procs; while :; do :; done' &
	pid=$!
	# measured from the moment the loop is in the group
	wait_for_line $g/cgroup.procs . 100 0.05
	u0=$(grep usage_usec $g/cpu.stat | cut -d" " -f2)
	sleep 2
	u1=$(grep usage_usec $g/cpu.stat | cut -d" " -f2)
	kill $pid
	wait $pid 2>/dev/null
	echo $(( (u1 - u0) / 20000 ))
}

scenario_cpu_max() {
	scenario_begin cpu-max
	grep -q " /sys/fs/cgroup " /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
	echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p /sys/fs/cgroup/plugsched
	echo "50000 100000" > /sys/fs/cgroup/plugsched/cpu.max
	b=$(busy_share)
	sched_install
	d=$(busy_share)
	sched_uninstall
	a=$(busy_share)
	check throttled-before "${b}%" sh -c "[ $b -ge 20 ] && [ $b -le 75 ]"
	check throttled-during "${d}%" sh -c "[ $d -ge 20 ] && [ $d -le 75 ]"
	check throttled-after "${a}%" sh -c "[ $a -ge 20 ] && [ $a -le 75 ]"
	rmdir /sys/fs/cgroup/plugsched
	scenario_end
}
