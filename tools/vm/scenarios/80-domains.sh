# domains: the scheduling domains the module's scheduler builds are the kernel's. The tree under
# /sys/kernel/debug/sched/domains (every CPU's levels: name, flags, intervals, imbalance; not the measured max_newidle_lb_cost) is read
# before the install, after an offline/online of CPU 1 under the module (which rebuilds it with
# the module's code), and after the rollback and another offline/online (the kernel's code again):
# all three must be identical.

# the tree's directory: before 5.13 it was a sysctl directory, re-registered at every rebuild
DOMAINS_DIR=/sys/kernel/debug/sched/domains
[ -d $DOMAINS_DIR ] || [ ! -d /proc/sys/kernel/sched_domain ] || DOMAINS_DIR=/proc/sys/kernel/sched_domain

# domains_tree: every file of the domain tree, "path: value", in path order
domains_tree() {
	# max_newidle_lb_cost is measured as the domain balances, not configured: left out
	find $DOMAINS_DIR -type f ! -name max_newidle_lb_cost | sort | while read -r f; do
		echo "${f#$DOMAINS_DIR/}: $(cat "$f" 2>/dev/null)"
	done
}

# domains_replug: CPU 1 offline and online again: the domains are torn down and built anew
domains_replug() {
	echo 0 > /sys/devices/system/cpu/cpu1/online && echo 1 > /sys/devices/system/cpu/cpu1/online
}

scenario_domains() {
	scenario_begin domains
	# since 6.9 the tree is there only while sched/verbose is on (writing 1 builds it)
	domains_verbose=
	if [ ! -d $DOMAINS_DIR/cpu1 ] && [ -f /sys/kernel/debug/sched/verbose ]; then
		domains_verbose=$(cat /sys/kernel/debug/sched/verbose)
		echo 1 > /sys/kernel/debug/sched/verbose
	fi
	if [ ! -f /sys/devices/system/cpu/cpu1/online ] || [ ! -d $DOMAINS_DIR/cpu1 ]; then
		check needs-domains "one CPU, or no domain tree in debugfs: nothing to compare" false
		scenario_end
		return
	fi
	domains_tree > /tmp/domains.kernel
	check tree-read "$(wc -l < /tmp/domains.kernel) entries, e.g. $(grep -m1 '/name: ' /tmp/domains.kernel)" [ -s /tmp/domains.kernel ]
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	check replug-under-module "online: $(cat /sys/devices/system/cpu/online)" domains_replug
	domains_tree > /tmp/domains.module
	check module-builds-same "$(diff /tmp/domains.kernel /tmp/domains.module | grep '^[-+][^-+]' | head -4 | tr '\n' ' ')" cmp -s /tmp/domains.kernel /tmp/domains.module
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	check replug-after "online: $(cat /sys/devices/system/cpu/online)" domains_replug
	domains_tree > /tmp/domains.after
	check kernel-builds-same "$(diff /tmp/domains.kernel /tmp/domains.after | grep '^[-+][^-+]' | head -4 | tr '\n' ' ')" cmp -s /tmp/domains.kernel /tmp/domains.after
	[ -z "$domains_verbose" ] || echo "$domains_verbose" > /sys/kernel/debug/sched/verbose
	scenario_end
}
