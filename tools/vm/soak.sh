# soak: the long run of npm run soak (tools/soak/soak.ts), never part of vm-test. Under
# SOAK_THREADS spinner threads (default 1000) and the fork storm of the fork-storm scenario
# (forkstorm, SOAK_STORM_WORKERS workers, default 4), SOAK_CYCLES install/rollback cycles (default
# 1000). A cycle installs the module's scheduler and restores the built-in one. Most cycles switch
# through sysfs (echo 1, echo 0 > /sys/kernel/plugsched/enable, the runtime's whole switch with its
# checks); every SOAK_RELOAD_EVERY-th cycle (default 10; 1: every cycle) ends with
# "plugsched-install uninstall" (the switch back and rmmod) and the next begins with
# "plugsched-install install" (symbols resolved, insmod, the switch), so that module loads and
# unloads are soaked too (under this load a reload costs about a minute of emulated time, a sysfs
# cycle seconds). Busy refusals (EBUSY/EAGAIN after the runtime's own tries) are counted and retried
# here, at most SOAK_TRIES times (default 20) one second apart, as the installer would (it runs with
# --tries 1 so that each is seen). It stops by itself: after SOAK_CYCLES cycles, after SOAK_MINUTES
# minutes of cycling (0: no limit), or after SOAK_MAX_FAILS cycles in a row that failed (default 5).
#
# The host reads these lines (tools/soak/report.ts):
#   PLUGSCHED-SOAK START cycles <n> threads <n> storm-workers <n>
#   PLUGSCHED-SOAK MEM <phase> MemAvailable <kB> Slab <kB> SUnreclaim <kB> modules <n> module-vmalloc <areas> <bytes>
#   PLUGSCHED-SOAK SLAB <phase> <cache> <active objects> <object size>
#   PLUGSCHED-SOAK BEGIN <cycle>
#   PLUGSCHED-SOAK BUSY <cycle> install|rollback <try>: <the installer's message>
#   PLUGSCHED-SOAK FAIL <cycle> install|rollback <why>
#   PLUGSCHED-SOAK RETRY <cycle> <the runtime's own retry line>
#   PLUGSCHED-SOAK SWITCH <cycle> <the runtime's line of the switch>
#   PLUGSCHED-SOAK CYCLE <cycle> ok|fail <ms> <how: sysfs, load, unload or reload>
#   PLUGSCHED-SOAK PROGRESS <cycle> of <n>
#   PLUGSCHED-SOAK END <cycles done> of <n>: <why it stopped>
# phases: idle-before (nothing running yet), load-before (the workloads running, before the first
# cycle), installed (cycle 1, the module loaded and installed: its vmalloc areas show there),
# load-after (after the last cycle), idle-after (the workloads gone). The caches are dropped before
# each idle reading.

# soak_mem PHASE: memory and module lines for PHASE (SLAB lines too for the idle phases)
soak_mem() {
	case "$1" in idle-*) sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2 ;; esac
	set -- "$1" $(awk '/^(MemAvailable|Slab|SUnreclaim):/ { printf "%s %s ", substr($1, 1, length($1) - 1), $2 }' /proc/meminfo)
	# module text and data are vmalloc areas allocated by the module loader (load_module,
	# move_module, module_alloc as the caller)
	areas=$(grep -cE ' (load_module|move_module|module_alloc)\+' /proc/vmallocinfo)
	bytes=$(awk '$3 ~ /^(load_module|move_module|module_alloc)\+/ { s += $2 } END { printf "%d", s }' /proc/vmallocinfo)
	echo "PLUGSCHED-SOAK MEM $* modules $(wc -l < /proc/modules) module-vmalloc $areas $bytes"
	case "$1" in
	idle-*) tail -n +3 /proc/slabinfo | awk -v p="$1" '{ print "PLUGSCHED-SOAK SLAB " p " " $1 " " $2 " " $4 }' ;;
	esac
}

# soak_now: NOW, the uptime in ms, without starting a process (ms_now runs awk: at thousands of
# calls under the fork storm that was seconds per cycle)
soak_now() {
	read -r _up _rest < /proc/uptime
	NOW=${_up%.*}${_up#*.}0
}

# soak_switch CYCLE install|rollback HOW: one switch, busy refusals retried; HOW is sysfs (echo 1/0
# to the module's enable file) or installer (plugsched-install install / uninstall)
soak_switch() {
	_t=0
	while :; do
		_t=$((_t + 1))
		soak_now
		_s0=$NOW
		if [ "$3" = installer ] && [ "$2" = install ]; then
			_out=$(plugsched-install --tries 1 install "$KO" 2>&1)
		elif [ "$3" = installer ]; then
			_out=$(plugsched-install --tries 1 uninstall 2>&1)
		else
			# the shell's own echo (no process to start): busybox sh names the errno of a refused write
			if [ "$2" = install ]; then _v=1; else _v=0; fi
			echo $_v 2>/tmp/soak-switch.err > /sys/kernel/plugsched/enable
			_rc=$?
			read -r _out < /tmp/soak-switch.err
			[ $_rc = 0 ]
		fi && {
			soak_now
			step "cycle $1: $2 ($3) in $((NOW - _s0)) ms"
			return 0
		}
		_first=$(echo "$_out" | head -1 | cut -c1-400)
		case "$_out" in
		*"after 1 tries"* | *busy* | *Busy* | *"temporarily unavailable"*) echo "PLUGSCHED-SOAK BUSY $1 $2 $_t: $_first" ;;
		*)
			echo "PLUGSCHED-SOAK FAIL $1 $2 $_first"
			return 1
			;;
		esac
		if [ "$_t" -ge "${SOAK_TRIES:-20}" ]; then
			echo "PLUGSCHED-SOAK FAIL $1 $2 still busy after $_t tries"
			return 1
		fi
		sleep 1
	done
}

# soak_log CYCLE: the runtime's lines of this cycle (the kernel log is emptied after each cycle, so
# it never wraps and each reading is short)
soak_log() {
	dmesg -c > /tmp/soak-dmesg.txt
	grep -E "plugsched: (installed the module's scheduler|restored the built-in scheduler): " /tmp/soak-dmesg.txt |
		sed "s/^\[[^]]*\] *//; s/^/PLUGSCHED-SOAK SWITCH $1 /"
	grep -E "plugsched: (try [0-9]+: .* retrying|.* not switched, retrying with more)" /tmp/soak-dmesg.txt |
		sed "s/^\[[^]]*\] *//; s/^/PLUGSCHED-SOAK RETRY $1 /"
}

# soak_recover CYCLE: after a failed cycle, back to the built-in scheduler with no module loaded
soak_recover() {
	plugsched-install --tries 5 uninstall --if-installed > /tmp/soak-recover.txt 2>&1 ||
		echo "PLUGSCHED-SOAK FAIL $1 recover $(head -1 /tmp/soak-recover.txt | cut -c1-400)"
}

scenario_soak() {
	scenario_begin soak
	SOAK_N=${SOAK_CYCLES:-1000}
	echo "PLUGSCHED-SOAK START cycles $SOAK_N threads ${SOAK_THREADS:-1000} storm-workers ${SOAK_STORM_WORKERS:-4}"
	dmesg -c > /dev/null
	soak_mem idle-before
	SOAK_MODULES0=$(wc -l < /proc/modules)
	# the workloads outlive any soak: stopped at the end (SIGTERM)
	: > /tmp/spin.log
	spinners "${SOAK_THREADS:-1000}" 1000000 100 $(( 50 * ${WORKLOAD_PACE:-1} )) > /tmp/spin.log &
	WORKLOAD=$!
	wait_for_line /tmp/spin.log "spinners: started" 120 1
	forkstorm "${SOAK_STORM_WORKERS:-4}" > /tmp/fork-storm.log &
	wait_for_line /tmp/fork-storm.log "forkstorm: started" 30 1
	STORM=$(sed -n 's/^forkstorm: started //p' /tmp/fork-storm.log)
	check storm-runs "$(head -1 /tmp/fork-storm.log)" [ -n "$STORM" ]
	# this shell, and the installer it runs, at the highest nice priority: the workloads (nice 0)
	# take every CPU the switches leave, and at nice 0 a cycle waited minutes for its share of them
	renice -n -20 -p $$ > /dev/null
	sleep 2
	soak_mem load-before
	t0=$(ms_now)
	deadline=0
	[ "${SOAK_MINUTES:-0}" -gt 0 ] && deadline=$((t0 + SOAK_MINUTES * 60000))
	i=0
	done_n=0
	failed=0
	in_row=0
	why="all $SOAK_N cycles ran"
	while [ $i -lt "$SOAK_N" ]; do
		soak_now
		if [ "$deadline" -gt 0 ] && [ "$NOW" -ge "$deadline" ]; then
			why="the time limit (SOAK_MINUTES=$SOAK_MINUTES) was reached"
			# the module out, as after the last cycle
			plugsched-install --tries 5 uninstall --if-installed > /dev/null 2>&1 ||
				echo "PLUGSCHED-SOAK FAIL $i unload $(plugsched-install uninstall --if-installed 2>&1 | head -1)"
			break
		fi
		i=$((i + 1))
		echo "PLUGSCHED-SOAK BEGIN $i"
		soak_now
		c0=$NOW
		# loaded: switch through sysfs; not (the first cycle, after a reload or a failure): the installer
		if [ -d /sys/kernel/plugsched ]; then how_in=sysfs; else how_in=installer; fi
		# every SOAK_RELOAD_EVERY-th cycle and the last: the installer, which unloads the module too
		if [ $((i % ${SOAK_RELOAD_EVERY:-10})) = 0 ] || [ $i = "$SOAK_N" ]; then how_out=installer; else how_out=sysfs; fi
		r=fail
		if soak_switch $i install $how_in; then
			[ $i = 1 ] && soak_mem installed
			soak_switch $i rollback $how_out && r=ok
		fi
		if [ $r = ok ]; then
			in_row=0
		else
			failed=$((failed + 1))
			in_row=$((in_row + 1))
			soak_recover $i
		fi
		soak_log $i
		done_n=$i
		case "$how_in $how_out" in
		"sysfs sysfs") how=sysfs ;;
		"installer installer") how=reload ;;
		"installer sysfs") how=load ;;
		*) how=unload ;;
		esac
		soak_now
		echo "PLUGSCHED-SOAK CYCLE $i $r $((NOW - c0)) $how"
		if [ $((i % ${SOAK_PROGRESS_EVERY:-10})) = 0 ] || [ $i = 1 ] || [ $i = "$SOAK_N" ]; then
			echo "PLUGSCHED-SOAK PROGRESS $i of $SOAK_N"
		fi
		if [ "$in_row" -ge "${SOAK_MAX_FAILS:-5}" ]; then
			why="$in_row cycles in a row failed"
			soak_recover $i
			break
		fi
	done
	echo "PLUGSCHED-SOAK END $done_n of $SOAK_N: $why"
	soak_mem load-after
	kill -TERM "$STORM"
	wait "$STORM"
	check storm-forked "$(tail -1 /tmp/fork-storm.log)" grep -qE "forkstorm: [1-9][0-9]{3,} forks" /tmp/fork-storm.log
	workload_stop
	sleep 3
	soak_mem idle-after
	check no-module-left "$(wc -l < /proc/modules) modules loaded, $SOAK_MODULES0 before" sh -c "[ \$(wc -l < /proc/modules) = $SOAK_MODULES0 ] && [ ! -d /sys/kernel/plugsched ]"
	check cycles "$done_n of $SOAK_N cycles, $failed failed: $why" [ "$failed" = 0 ]
	scenario_end
}
