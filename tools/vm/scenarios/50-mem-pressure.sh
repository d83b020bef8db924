# mem-pressure: with about 64 MB of memory left, an install either works or fails cleanly; nothing crashes.
# The memory goes into the huge page pool: the kernel takes it at once (pool pages are not
# zeroed until used) and can use it for nothing else until it is given back. Filling a tmpfs
# instead stops at the tmpfs size limit, long before memory runs short.
mem_available() {
	awk '/MemAvailable/ { print $2 }' /proc/meminfo
}

scenario_mem_pressure() {
	scenario_begin mem-pressure
	hp=$(awk '/Hugepagesize/ { print $2 }' /proc/meminfo)
	echo $(( ($(mem_available) - 65536) / hp )) > /proc/sys/vm/nr_hugepages
	avail=$(mem_available)
	check pressure "MemAvailable ${avail} kB with $(cat /proc/sys/vm/nr_hugepages) huge pages of ${hp} kB taken" [ "$avail" -lt 131072 ]
	sched_install; rc=$?
	if [ $rc = 0 ]; then
		check installed-under-pressure "MemAvailable $(mem_available) kB after; $out" installed
		sched_uninstall; rc=$?
		check rollback-under-pressure "$out" [ $rc = 0 ]
	else
		check failed-cleanly "$out" [ ! -d /sys/kernel/plugsched ]
	fi
	echo 0 > /proc/sys/vm/nr_hugepages
	check memory-back "MemAvailable $(mem_available) kB" [ "$(mem_available)" -gt $((avail + 262144)) ]
	scenario_end
}
