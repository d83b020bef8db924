# round-trip: what the admin changes while the module's scheduler runs is the kernel's after the
# rollback. Every scheduler tunable that holds one number (/proc/sys/kernel/sched_*, the files of
# /sys/kernel/debug/sched and its numa_balancing/ directory, and 6.12's deadline servers,
# fair_server/cpuN/{runtime,period}), the
# preemption mode and every sched feature the kernel has are changed at once while installed;
# after the rollback each reads what it read while installed. Everything is put back at the end.
# Left unchanged: the domain tree (the domains scenario's; rebuilt by the kernel on hotplug), and
# the features whose job is to warn (WARN_DOUBLE_CLOCK, LATENCY_WARN: on, they print WARNs the
# judge counts as trouble).

ROUND_TRIP_KEEP_FEATURES="WARN_DOUBLE_CLOCK LATENCY_WARN"

# round_trip_files: the tunables holding one number or a Y/N, tunable_scaling first (writing it recomputes
# the latency and granularity values from their normalized ones)
round_trip_files() {
	d=/sys/kernel/debug/sched
	[ -f $d/tunable_scaling ] && echo $d/tunable_scaling
	# 6.12's fair_server/cpuN/: runtime before period, each one less, stays a valid pair
	for f in /proc/sys/kernel/sched_* $d/* $d/numa_balancing/* $d/fair_server/cpu*/runtime $d/fair_server/cpu*/period; do
		[ -f "$f" ] && [ "$f" != $d/tunable_scaling ] || continue
		# one number not below zero (a negative one means "no limit": left alone), or a debugfs bool
		case "$(cat "$f" 2>/dev/null)" in
		Y | N) echo "$f" ;;
		'' | *[!0-9]*) ;;
		*) echo "$f" ;;
		esac
	done
}

# round_trip_write FILE VALUE: VALUE written to FILE. A deadline server's (fair_server/cpuN/) is
# written by a task on CPU N: 6.12's handler stops the server before it applies the value and does
# not look whether it was running; the server of a CPU idle for a while is not, and stopping it
# again takes its bandwidth off running_bw a second time (WARN, running_bw underflow in
# task_non_contending; the same with no module ever loaded). A task queued on CPU N has started
# that CPU's server, which then runs until the task is gone.
round_trip_write() {
	case "$1" in
	*/fair_server/cpu*/*)
		_cpu=${1#*/fair_server/cpu}
		taskset -c "${_cpu%%/*}" sh -c 'echo "$1" > "$2"' sh "$2" "$1" ;;
	*) echo "$2" > "$1" ;;
	esac
}

# round_trip_state: "file=value" of every tunable, then the preemption mode and the features
round_trip_state() {
	for f in $(round_trip_files); do
		echo "$f=$(cat "$f")"
	done
	[ -f /sys/kernel/debug/sched/preempt ] && echo "preempt=$(sed 's/.*(\(.*\)).*/\1/' /sys/kernel/debug/sched/preempt)"
	tr ' ' '\n' < /sys/kernel/debug/sched/features | grep -xE "(NO_)?($ROUND_TRIP_KERNEL_FEATURES)" | sort
}

# round_trip_change: every tunable to another value its handler accepts (0 and 1 swap, other
# numbers one less), another preemption mode, every kernel feature but the warning ones flipped;
# prints how many changes were refused
round_trip_change() {
	refused=0
	for f in $(round_trip_files); do
		v=$(cat "$f")
		case "$v" in
		0) n=1 ;;
		1) n=0 ;;
		Y) n=N ;;
		N) n=Y ;;
		*) n=$((v - 1)) ;;
		esac
		round_trip_write "$f" "$n" 2>/dev/null || { refused=$((refused + 1)); echo "round-trip: $f refused $n" >> /tmp/round-trip.refused; }
	done
	p=/sys/kernel/debug/sched/preempt
	if [ -f $p ]; then
		case "$(cat $p)" in
		*'(full)'*) echo voluntary > $p ;;
		*) echo full > $p ;;
		esac
	fi
	for feat in $(echo "$ROUND_TRIP_KERNEL_FEATURES" | tr '|' ' '); do
		if feat_state "$feat" | grep -q '^NO_'; then
			echo "$feat" > /sys/kernel/debug/sched/features
		else
			echo "NO_$feat" > /sys/kernel/debug/sched/features
		fi
	done
	echo "$refused"
}

# round_trip_restore FILE: put back the state FILE holds (tunable_scaling first, as listed)
round_trip_restore() {
	while IFS= read -r line; do
		case "$line" in
		preempt=*) echo "${line#preempt=}" > /sys/kernel/debug/sched/preempt ;;
		*=*) round_trip_write "${line%%=*}" "${line#*=}" 2>/dev/null ;;
		*) echo "$line" > /sys/kernel/debug/sched/features ;;
		esac
	done < "$1"
}

scenario_round_trip() {
	scenario_begin round-trip
	rm -f /tmp/round-trip.refused
	# the features the kernel has but the warning ones (a variant's own leave with the module)
	ROUND_TRIP_KERNEL_FEATURES=$(tr ' ' '\n' < /sys/kernel/debug/sched/features | sed 's/^NO_//' | grep . | grep -vxF "$(echo $ROUND_TRIP_KEEP_FEATURES | tr ' ' '\n')" | sort | tr '\n' '|' | sed 's/|$//')
	round_trip_state > /tmp/round-trip.before
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	refused=$(round_trip_change)
	round_trip_state > /tmp/round-trip.during
	changed=$(grep -cvxFf /tmp/round-trip.before /tmp/round-trip.during)
	total=$(wc -l < /tmp/round-trip.before)
	# the same tunables and features before and during, each with another value
	sed 's/=.*//; s/^NO_//' /tmp/round-trip.during > /tmp/round-trip.names
	check all-changed "$changed of $total changed while installed; unchanged: $(grep -xFf /tmp/round-trip.during /tmp/round-trip.before | tr '\n' ' '); missing: $(sed 's/=.*//; s/^NO_//' /tmp/round-trip.before | grep -vxFf /tmp/round-trip.names | tr '\n' ' '); refused: $(tr '\n' ' ' < /tmp/round-trip.refused 2>/dev/null)" [ "$refused/$changed" = "0/$total" ]
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	round_trip_state > /tmp/round-trip.after
	check survives-rollback "$changed changes; lost: $(diff /tmp/round-trip.during /tmp/round-trip.after | grep '^[-+][^-+]' | head -6 | tr '\n' ' ')" cmp -s /tmp/round-trip.during /tmp/round-trip.after
	round_trip_restore /tmp/round-trip.before
	round_trip_state > /tmp/round-trip.restored
	check restored "$(diff /tmp/round-trip.before /tmp/round-trip.restored | grep '^[-+][^-+]' | head -6 | tr '\n' ' ')" cmp -s /tmp/round-trip.before /tmp/round-trip.restored
	scenario_end
}
