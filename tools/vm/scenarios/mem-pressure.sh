# mem-pressure: with little memory left, an install either works or fails cleanly; nothing crashes.
scenario_mem_pressure() {
	scenario_begin mem-pressure
	mkdir -p /tmp/fill
	i=0
	while [ "$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)" -gt 65536 ] && [ $i -lt 400 ]; do
		dd if=/dev/zero of=/tmp/fill/$i bs=1M count=16 2>/dev/null || break
		i=$((i + 1))
	done
	avail=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
	sched_install; rc=$?
	if [ $rc = 0 ]; then
		check installed-under-pressure "MemAvailable ${avail} kB; $out" installed
		sched_uninstall; rc=$?
		check rollback-under-pressure "$out" [ $rc = 0 ]
	else
		check failed-cleanly "MemAvailable ${avail} kB; $out" [ ! -d /sys/kernel/plugsched ]
	fi
	rm -rf /tmp/fill
	scenario_end
}
