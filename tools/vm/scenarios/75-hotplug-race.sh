# hotplug-race: ten switches while another task takes CPU 1 offline and online in a loop. The
# switch holds the CPU hotplug lock, so each one either happens on the CPUs online at that moment
# or is refused cleanly (nothing switched); the module's scheduler and the built-in one each bring
# CPUs up and down meanwhile. Afterwards every CPU is online and running tasks.

# hotplug_race_loop: offline and online CPU 1 until /tmp/hotplug-race.stop exists
hotplug_race_loop() {
	cpu=/sys/devices/system/cpu/cpu1/online
	n=0
	while [ ! -e /tmp/hotplug-race.stop ]; do
		echo 0 > $cpu 2>/dev/null && n=$((n + 1))
		echo 1 > $cpu 2>/dev/null
		# a breath between cycles: back to back, the hotplug lock's writer starves the switch
		# (an emulated arm64 guest took six minutes for ten switches)
		sleep 0.05
	done
	echo 1 > $cpu
	echo "hotplug-race: $n offline/online cycles" > /tmp/hotplug-race.log
}

# hotplug_race_entries_agree: every entry patched while installed, none after a rollback
hotplug_race_entries_agree() {
	# read, not cat: a process per file costs seconds in an emulated guest
	read -r want < /sys/kernel/plugsched/enable
	for f in /sys/kernel/plugsched/functions/*/patched; do
		read -r v < "$f"
		[ "$v" = "$want" ] || return 1
	done
}

scenario_hotplug_race() {
	scenario_begin hotplug-race
	if [ ! -f /sys/devices/system/cpu/cpu1/online ]; then
		check needs-two-cpus "only one CPU: nothing to offline" false
		scenario_end
		return
	fi
	workload_start 200
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	rm -f /tmp/hotplug-race.stop
	hotplug_race_loop &
	racer=$!
	ok=0
	bad=
	for n in 1 2 3 4 5 6 7 8 9 10; do
		v=$((1 - $(cat /sys/kernel/plugsched/enable)))
		if echo $v > /sys/kernel/plugsched/enable 2>/tmp/hotplug-race.err; then
			ok=$((ok + 1))
			[ "$(cat /sys/kernel/plugsched/enable)" = $v ] || bad="$bad #$n: succeeded but did not switch;"
		else
			[ "$(cat /sys/kernel/plugsched/enable)" != $v ] || bad="$bad #$n: failed yet switched;"
		fi
		hotplug_race_entries_agree || bad="$bad #$n: entries disagree with enable;"
		sleep 0.3
	done
	touch /tmp/hotplug-race.stop
	wait $racer
	check switches-clean "$ok of 10 switches done; $(cat /tmp/hotplug-race.log);${bad:- each succeeded or was refused cleanly}" [ -z "$bad" ]
	check raced "$(cat /tmp/hotplug-race.log)" grep -qE "hotplug-race: [1-9][0-9]* " /tmp/hotplug-race.log
	check all-online "online: $(cat /sys/devices/system/cpu/online)" [ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ]
	check_progress runs-on-all
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	workload_stop
	scenario_end
}
