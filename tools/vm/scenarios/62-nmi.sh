# nmi: NMIs during the text write (docs/runtime.md, "NMIs during the text write"). stop_machine
# keeps every CPU out of the entries while they are written, but not NMIs. With the module's test
# hook nmi_test, the writer sends an NMI to every other CPU between two steps of the write, and
# each NMI calls idle_cpu() through its kernel entry, one of those being rewritten; so does the
# writer. A rollback and an install through sysfs each pass with those calls made, the ones that
# met the int3 of the write (x86) sent on, and the kernel reports no trouble (the judge reads the
# console). arm64 writes each entry in one step and its kernels have no NMIs: the hook says so.

nmi_hook() {
	echo "$1" > "/sys/module/$(cat /sys/kernel/plugsched/module)/parameters/nmi_test"
}

# nmi_switch TO: echo TO > enable after a mark in the kernel log; NMI_RC its status, NMI_REPORT the
# test hook's line of that switch
nmi_switch() {
	echo "plugsched-test: nmi switch $1" > /dev/kmsg
	echo "$1" > /sys/kernel/plugsched/enable 2>/tmp/nmi.err
	NMI_RC=$?
	NMI_REPORT=$(dmesg | sed -n "/plugsched-test: nmi switch $1\$/,\$p" | grep "plugsched: test hook: " | tail -1 | sed 's/.*plugsched: //')
}

# nmi_report_ok: the hook's line shows calls from NMIs and from the writer, and int3 traps sent on
nmi_report_ok() {
	case "$(uname -m)" in
	x86_64) echo "$NMI_REPORT" | grep -qE '^test hook: [1-9][0-9]* NMIs and [1-9][0-9]* calls .*; [1-9][0-9]* met the int3' ;;
	*) echo "$NMI_REPORT" | grep -q 'no NMIs on this kernel' ;;
	esac
}

scenario_nmi() {
	scenario_begin nmi
	workload_start 200
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	nmi_hook 1
	nmi_switch 0
	check rollback-with-nmis "rc $NMI_RC $(cat /tmp/nmi.err); $NMI_REPORT" [ "$NMI_RC" = 0 ]
	check rollback-nmis-ran "$NMI_REPORT" nmi_report_ok
	nmi_switch 1
	check install-with-nmis "rc $NMI_RC $(cat /tmp/nmi.err); $NMI_REPORT" [ "$NMI_RC" = 0 ]
	check install-nmis-ran "$NMI_REPORT" nmi_report_ok
	nmi_hook 0
	check_progress workload-runs
	sched_uninstall; rc=$?
	check rollback "$out" [ $rc = 0 ]
	workload_stop
	scenario_end
}
