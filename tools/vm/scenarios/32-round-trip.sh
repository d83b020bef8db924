# round-trip: what the admin changes while the module's scheduler runs is the kernel's after the
# rollback. Every scheduler tunable that holds one number (/proc/sys/kernel/sched_*, the files of
# /sys/kernel/debug/sched and its numa_balancing/ directory, and 6.12's deadline servers,
# fair_server/cpuN/{runtime,period}), the
# preemption mode and every sched feature the kernel has are changed at once while installed;
# after the rollback each reads what it read while installed. Everything is put back at the end.
# The new values are chosen on the stock kernel before the install (round_trip_plan): each kernel
# line bounds its tunables its own way (7.2's sched_rt_runtime_us is the whole period, so it
# refuses sched_rt_period_us one less; it refuses sched_util_clamp_max below sched_util_clamp_min),
# so the module's scheduler is then asked exactly what the stock kernel accepted, in the same order,
# and must accept it and read the same values back.
# Left unchanged: the domain tree (the domains scenario's; rebuilt by the kernel on hotplug), the
# features whose job is to warn (WARN_DOUBLE_CLOCK, LATENCY_WARN: on, they print WARNs the
# judge counts as trouble), and a tunable the stock kernel takes none of the candidates for (named
# in the evidence, with the kernel's answer).

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

# round_trip_candidates VALUE: the new values tried for a tunable reading VALUE, first choice
# first: Y and N swapped, 0 and 1 swapped (else 2), other numbers one less, else one more, else half
round_trip_candidates() {
	case "$1" in
	Y) echo N ;;
	N) echo Y ;;
	0) echo 1 2 ;;
	1) echo 0 2 ;;
	*) echo $(($1 - 1)) $(($1 + 1)) $(($1 / 2)) ;;
	esac
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

# round_trip_plan: on the stock kernel, each tunable's candidates in turn until one is taken (the
# write succeeds and the file reads another value; a refused write that changed the file anyway
# is undone), kept while the next tunables are tried; the refused ones once more after all others
# (a bound may have moved: sched_util_clamp_max follows sched_util_clamp_min down). Writes
# "file=value" of the taken ones, in the order taken, to /tmp/round-trip.plan, the tunables'
# state they led to to /tmp/round-trip.planned, "file: the stock kernel refuses ..." to
# /tmp/round-trip.left-out, the tunables that took another value than their first candidate to
# /tmp/round-trip.second, and an answer that is not the kernel refusing the value (a write
# error other than EINVAL, EBUSY or ERANGE: the scenario's fault) to /tmp/round-trip.unexpected;
# then puts the tunables of /tmp/round-trip.before back.
round_trip_plan() {
	: > /tmp/round-trip.plan
	: > /tmp/round-trip.second
	_pending=$(round_trip_files)
	for _pass in 1 2; do
		_retry=
		: > /tmp/round-trip.left-out
		: > /tmp/round-trip.unexpected
		for f in $_pending; do
			v=$(cat "$f")
			_taken=
			: > /tmp/round-trip.tried
			for n in $(round_trip_candidates "$v"); do
				if _err=$(round_trip_write "$f" "$n" 2>&1) && [ "$(cat "$f")" != "$v" ]; then
					_taken=$n
					break
				fi
				case "$_err" in
				'' | *'Invalid argument' | *'Device or resource busy' | *'Numerical result out of range') ;;
				*) echo "$f: $n: $_err" >> /tmp/round-trip.unexpected ;;
				esac
				if [ -n "$_err" ]; then
					echo "$n (${_err##*: })"
				else
					echo "$n (taken, reads $(cat "$f"))"
				fi >> /tmp/round-trip.tried
				[ "$(cat "$f")" = "$v" ] || round_trip_write "$f" "$v" 2>/dev/null
			done
			if [ -n "$_taken" ]; then
				echo "$f=$_taken" >> /tmp/round-trip.plan
				if [ $_pass = 2 ]; then
					echo "$f: $_taken, taken once the others had moved"
				elif [ -s /tmp/round-trip.tried ]; then
					echo "$f: $_taken, refused: $(tr '\n' ' ' < /tmp/round-trip.tried | sed 's/ $//')"
				fi >> /tmp/round-trip.second
			else
				_retry="$_retry $f"
				echo "$f: the stock kernel refuses $(tr '\n' ' ' < /tmp/round-trip.tried | sed 's/ $//')" >> /tmp/round-trip.left-out
			fi
		done
		_pending=$_retry
	done
	round_trip_state | grep -v '^preempt=' | grep = > /tmp/round-trip.planned
	grep -v '^preempt=' /tmp/round-trip.before | grep = > /tmp/round-trip.before-tunables
	round_trip_restore /tmp/round-trip.before-tunables
}

# round_trip_change: the plan's writes in its order, another preemption mode, every kernel feature
# but the warning ones flipped; prints how many writes were refused
round_trip_change() {
	refused=0
	while IFS= read -r line; do
		round_trip_write "${line%%=*}" "${line#*=}" 2>/dev/null || { refused=$((refused + 1)); echo "round-trip: ${line%%=*} refused ${line#*=}" >> /tmp/round-trip.refused; }
	done < /tmp/round-trip.plan
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
	: > /tmp/round-trip.refused
	# the features the kernel has but the warning ones (a variant's own leave with the module)
	ROUND_TRIP_KERNEL_FEATURES=$(tr ' ' '\n' < /sys/kernel/debug/sched/features | sed 's/^NO_//' | grep . | grep -vxF "$(echo $ROUND_TRIP_KEEP_FEATURES | tr ' ' '\n')" | sort | tr '\n' '|' | sed 's/|$//')
	round_trip_state > /tmp/round-trip.before
	round_trip_plan
	sed 's/^/round-trip: left out /' /tmp/round-trip.left-out
	round_trip_state > /tmp/round-trip.probed
	check stock-restored "$(wc -l < /tmp/round-trip.plan) values taken by the stock kernel; not back: $(diff /tmp/round-trip.before /tmp/round-trip.probed | grep '^[-+][^-+]' | head -6 | tr '\n' ' ')" cmp -s /tmp/round-trip.before /tmp/round-trip.probed
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	refused=$(round_trip_change)
	round_trip_state > /tmp/round-trip.during
	changed=$(grep -cvxFf /tmp/round-trip.before /tmp/round-trip.during)
	left=$(wc -l < /tmp/round-trip.left-out)
	total=$(($(wc -l < /tmp/round-trip.before) - left))
	# the same tunables and features before and during, each with another value but the ones left out
	sed 's/=.*//; s/^NO_//' /tmp/round-trip.during > /tmp/round-trip.names
	# and the tunables read what the stock kernel read after the same writes
	grep -v '^preempt=' /tmp/round-trip.during | grep = > /tmp/round-trip.during-tunables
	check all-changed "$changed of $total changed while installed; unchanged: $(grep -xFf /tmp/round-trip.during /tmp/round-trip.before | tr '\n' ' '); missing: $(sed 's/=.*//; s/^NO_//' /tmp/round-trip.before | grep -vxFf /tmp/round-trip.names | tr '\n' ' '); refused: $(tr '\n' ' ' < /tmp/round-trip.refused); not as on the stock kernel: $(diff /tmp/round-trip.planned /tmp/round-trip.during-tunables | grep '^[-+][^-+]' | head -6 | tr '\n' ' '); not the first candidate: $(tr '\n' ';' < /tmp/round-trip.second); left out: $(tr '\n' ';' < /tmp/round-trip.left-out)$(sed 's/^/; not the kernel refusing a value: /' /tmp/round-trip.unexpected | tr '\n' ' ')" \
		sh -c '[ "$1" = "0/$2" ] && cmp -s /tmp/round-trip.planned /tmp/round-trip.during-tunables && [ ! -s /tmp/round-trip.unexpected ]' sh "$refused/$changed" "$total"
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	round_trip_state > /tmp/round-trip.after
	check survives-rollback "$changed changes; lost: $(diff /tmp/round-trip.during /tmp/round-trip.after | grep '^[-+][^-+]' | head -6 | tr '\n' ' ')" cmp -s /tmp/round-trip.during /tmp/round-trip.after
	round_trip_restore /tmp/round-trip.before
	round_trip_state > /tmp/round-trip.restored
	check restored "$(diff /tmp/round-trip.before /tmp/round-trip.restored | grep '^[-+][^-+]' | head -6 | tr '\n' ' ')" cmp -s /tmp/round-trip.before /tmp/round-trip.restored
	scenario_end
}
