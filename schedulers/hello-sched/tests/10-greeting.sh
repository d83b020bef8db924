# greeting: hello-sched's two patches, in the running kernel (plugins/plugsched/docs/vm-test.md,
# "Variant tests"). patches/0001 makes the module's __schedule say hello once per install
# (printk_once; its flag is not atomic, so CPUs entering __schedule together at the switch may each
# say it: at most one greeting per CPU, then never again); patches/0002 adds the sched feature
# PLUGSCHED_HELLO (on by default) and turns the kernel's NEXT_BUDDY on by default (off in the
# kernel). Neither greeting nor feature exists before the install, both do while the module runs,
# and after the rollback the feature is gone and the built-in scheduler says nothing more. NEXT_BUDDY
# is off before, on while installed (the variant's default wins over the kernel's, as nobody set it),
# off again after the rollback.

GREETING="scheduler: Hi, I'm the new scheduler!"

greeting_count() {
	dmesg | grep -cF "$GREETING"
}

greeting_feature() {
	tr ' ' '\n' < /sys/kernel/debug/sched/features | grep -xE '(NO_)?PLUGSCHED_HELLO'
}

# greeting_new BEFORE AFTER CPUS: the install greeted, at most once per CPU
greeting_new() {
	[ "$2" -gt "$1" ] && [ "$2" -le $(($1 + $3)) ]
}

next_buddy() {
	tr ' ' '\n' < /sys/kernel/debug/sched/features | grep -xE '(NO_)?NEXT_BUDDY'
}

greeting_no_feature() {
	[ -z "$(greeting_feature)" ]
}

scenario_greeting() {
	scenario_begin greeting
	# an earlier scenario may have installed the module already: count from here
	n0=$(greeting_count)
	check feature-absent-before "the kernel's features: $(greeting_feature || echo 'no PLUGSCHED_HELLO')" greeting_no_feature
	check kernel-default-before "the kernel's: $(next_buddy)" [ "$(next_buddy)" = NO_NEXT_BUDDY ]

	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	schedtool yield 100 > /dev/null
	n1=$(greeting_count)
	cpus=$(grep -c ^processor /proc/cpuinfo)
	check greets-on-install "greetings: $n0 before, $n1 after the install ($cpus cpus)" greeting_new "$n0" "$n1" "$cpus"
	schedtool yield 1000 > /dev/null
	sleep 1
	n2=$(greeting_count)
	check greets-only-then "greetings: $n2 after a thousand yields and a second of scheduling" [ "$n2" = "$n1" ]
	check feature-on-during "$(greeting_feature)" [ "$(greeting_feature)" = PLUGSCHED_HELLO ]
	check variant-default-during "the module's: $(next_buddy)" [ "$(next_buddy)" = NEXT_BUDDY ]

	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	schedtool yield 100 > /dev/null
	n3=$(greeting_count)
	check builtin-silent-after "greetings: $n3 after the rollback" [ "$n3" = "$n2" ]
	check feature-absent-after "the kernel's features: $(greeting_feature || echo 'no PLUGSCHED_HELLO')" greeting_no_feature
	check kernel-default-after "the kernel's: $(next_buddy)" [ "$(next_buddy)" = NO_NEXT_BUDDY ]
	scenario_end
}
