#!/bin/sh
# host-test.sh: a variant's .deb on a booted Debian system, with the distro's own tools
# (plugins/plugsched/docs/vm-test.md, "On a real Debian guest"). Run by
# plugsched-host-test.service from the payload disk on every boot; it speaks tools/vm/lib.sh's
# line protocol on the console. Its phase lives on the root disk, which survives the reboot
# (QEMU keeps the snapshot for the life of its process):
#   1. install: a corrupt .deb and a .deb for another kernel release are refused and leave
#      nothing; `apt-get install ./<deb>` puts the scheduler into the running kernel and leaves
#      its unit enabled and active; a second variant's package for the same kernel is refused and
#      changes nothing; then `systemctl reboot`
#   2. reboot, upgrade, remove: the unit installed the scheduler again before ordinary services
#      started and the boot guard was cleared; `apt-get install ./<next deb>` moves the kernel to
#      the next version in one switch and unloads the old module; `apt-get remove` restores the built-in scheduler and
#      leaves nothing on disk or in the kernel; the RPM's %post, upgrade and %preun do the same
#      under Debian's rpm; then poweroff
# host-test.env (on the payload disk) names VARIANT, RELEASE, DEB, OTHER_DEB, OTHER_RELEASE, TWIN_DEB,
# TWIN_VARIANT, RPM, CORRUPT_DEB, NEXT_DEB, NEXT_RPM, NEXT_VERSION.
P=/run/host-test
. "$P/lib.sh"
. "$P/host-test.env"
STATE=/var/lib/plugsched-host-test
UNIT=scheduler-$VARIANT.service
PKG=scheduler-$VARIANT
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$STATE"
phase=$(cat "$STATE/phase" 2>/dev/null || echo 1)

installed_state() {
	dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null
}

# not_installed PKG: dpkg has no trace of it, or only knows it is not installed
not_installed() {
	s=$(installed_state "$1")
	[ -z "$s" ] || [ "$s" = not-installed ]
}

# refused RC PKG [PATH]: the command failed (RC) and left neither the package nor PATH
refused() {
	[ "$1" != 0 ] && not_installed "$2" && { [ -z "${3:-}" ] || [ ! -e "$3" ]; }
}

# unit_since UNIT: when it became active, in microseconds since boot (0: never)
unit_since() {
	systemctl show -P ActiveEnterTimestampMonotonic "$1"
}

# nothing of the package left: files, units, their enablement, the boot guard's state
leftovers() {
	for f in /usr/lib/plugsched/$RELEASE /usr/lib/systemd/system/$UNIT \
		/usr/lib/systemd/system/scheduler-$VARIANT-boot-done.service \
		/etc/systemd/system/multi-user.target.wants/$UNIT /var/lib/plugsched/$RELEASE; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

# unit_log UNIT: what the unit's programs said in this boot, on one line
unit_log() {
	journalctl -b -u "$1" -o cat --no-pager 2>&1 | tail -6 | tr '\n' ' '
}

# wait_gone FILE SECONDS: FILE is removed within SECONDS
wait_gone() {
	i=0
	while [ -e "$1" ] && [ $i -lt "$2" ]; do
		sleep 1
		i=$((i + 1))
	done
	[ ! -e "$1" ]
}

if [ "$phase" = 1 ]; then
	echo "PLUGSCHED-BOOTED $(uname -r) cpus=$(nproc) init=$(cat /proc/1/comm) $(systemctl --version | head -1)"
	scenario_begin package-install
	check builtin-before "$(ls /sys/kernel/plugsched 2>&1 | head -1)" [ ! -d /sys/kernel/plugsched ]
	check systemd-is-init "pid 1 is $(cat /proc/1/comm)" [ "$(cat /proc/1/comm)" = systemd ]

	out=$(apt-get install -y "$P/$CORRUPT_DEB" 2>&1); rc=$?
	check corrupt-deb-refused "rc $rc: $(echo "$out" | grep -E '^E:|error' | head -2 | tr '\n' ' ')" \
		refused "$rc" "$PKG" /sys/kernel/plugsched

	out=$(apt-get install -y "$P/$OTHER_DEB" 2>&1); rc=$?
	check other-kernel-refused "rc $rc: $(echo "$out" | grep -E 'Depends:|^E:' | head -2 | tr '\n' ' ')" \
		refused "$rc" "$PKG" "/usr/lib/plugsched/$OTHER_RELEASE"
	check other-kernel-named "$(echo "$out" | grep 'Depends:' | head -1)" \
		sh -c "echo \"\$1\" | grep -q 'Depends: linux-image-$OTHER_RELEASE'" sh "$out"

	echo "PLUGSCHED-STEP apt-get install ./$DEB"
	out=$(apt-get install -y "$P/$DEB" 2>&1); rc=$?
	check apt-install "rc $rc: $(echo "$out" | grep -E 'plugsched-install|Setting up|^E:' | tr '\n' ' ')" [ "$rc" = 0 ]
	check package-installed "dpkg: $(installed_state "$PKG")" [ "$(installed_state "$PKG")" = installed ]
	check live-after-install "enable $(cat /sys/kernel/plugsched/enable 2>&1), version $(cat /sys/kernel/plugsched/version 2>&1)" \
		[ "$(cat /sys/kernel/plugsched/enable 2>/dev/null)" = 1 ]
	check variant-running "$(cat /sys/kernel/plugsched/version 2>&1)" \
		sh -c "grep -q '^$VARIANT ' /sys/kernel/plugsched/version"
	check unit-enabled "$(systemctl is-enabled "$UNIT" 2>&1)" [ "$(systemctl is-enabled "$UNIT" 2>&1)" = enabled ]
	check unit-active "$(systemctl is-active "$UNIT" 2>&1): $(unit_log "$UNIT")" \
		[ "$(systemctl is-active "$UNIT" 2>&1)" = active ]
	# one scheduler per kernel: a second variant's package conflicts with the installed one's
	out=$(dpkg -i "$P/$TWIN_DEB" 2>&1); rc=$?
	check second-variant-refused "rc $rc: $(echo "$out" | grep -iE 'conflict' | head -2 | tr '\n' ' ') (dpkg: '$(installed_state "scheduler-$TWIN_VARIANT")')" \
		refused "$rc" "scheduler-$TWIN_VARIANT"
	check first-still-live "$(cat /sys/kernel/plugsched/version 2>&1), dpkg: $(installed_state "$PKG")" \
		sh -c "grep -q '^$VARIANT ' /sys/kernel/plugsched/version && [ \"\$1\" = installed ]" sh "$(installed_state "$PKG")"
	check no-boot-guard-left "$(ls /var/lib/plugsched/$RELEASE 2>&1 | tr '\n' ' ')" wait_gone "/var/lib/plugsched/$RELEASE/boot-pending" 30
	dmesg | grep "plugsched: installed" | tail -1 | sed 's/^/PLUGSCHED-DMESG /'
	scenario_end
	echo 2 > "$STATE/phase"
	sync
	echo "PLUGSCHED-STEP systemctl reboot"
	systemctl reboot
	exit 0
fi

echo "PLUGSCHED-BOOTED again $(uname -r)"
scenario_begin after-reboot
check live-at-boot "enable $(cat /sys/kernel/plugsched/enable 2>&1); $(unit_log "$UNIT")" \
	[ "$(cat /sys/kernel/plugsched/enable 2>/dev/null)" = 1 ]
check unit-active-at-boot "$(systemctl is-active "$UNIT" 2>&1)" [ "$(systemctl is-active "$UNIT" 2>&1)" = active ]
# ordinary services order themselves after basic.target: the scheduler was in before any of them
since=$(unit_since "$UNIT")
basic=$(unit_since basic.target)
check before-ordinary-services "$UNIT active at ${since} us, basic.target at ${basic} us (since boot)" \
	[ "${since:-0}" -gt 0 -a "${since:-0}" -le "${basic:-0}" ]
check boot-guard-cleared "$(ls /var/lib/plugsched/$RELEASE 2>&1 | tr '\n' ' ')" wait_gone "/var/lib/plugsched/$RELEASE/boot-pending" 60
dmesg | grep -E "plugsched: (installed|restored)" | tail -2 | sed 's/^/PLUGSCHED-DMESG /'
scenario_end

# the next version over the running one: one switch from the old module to the new, no window on
# the built-in scheduler; the old module is unloaded
scenario_begin package-upgrade
old=$(cat /sys/kernel/plugsched/module 2>&1)
echo "PLUGSCHED-STEP apt-get install ./$NEXT_DEB over $(cat /sys/kernel/plugsched/version 2>&1) ($old), under load"
# a busy loop per CPU runs through the upgrade: the switch moves them from one scheduler to the next
load=
for c in $(seq "$(nproc)"); do
	sh -c 'while :; do :; done' &
	load="$load $!"
done
out=$(apt-get install -y "$P/$NEXT_DEB" 2>&1); rc=$?
kill $load 2>/dev/null
wait $load 2>/dev/null
check apt-upgrade "rc $rc: $(echo "$out" | grep -E 'plugsched-install|Unpacking|Setting up|^E:' | tr '\n' ' ')" [ "$rc" = 0 ]
check next-version-live "$(cat /sys/kernel/plugsched/version 2>&1), enable $(cat /sys/kernel/plugsched/enable 2>&1)" \
	sh -c "[ \"\$(cat /sys/kernel/plugsched/version)\" = '$VARIANT $NEXT_VERSION' ] && [ \"\$(cat /sys/kernel/plugsched/enable)\" = 1 ]"
check in-one-switch "$(dmesg | grep 'plugsched: took over from' | tail -1)" \
	sh -c "dmesg | grep -q 'plugsched: took over from $old: .* the built-in scheduler did not run in between'"
check no-rollback-between "$(dmesg | grep -c 'plugsched: restored the built-in scheduler') rollbacks in this boot" \
	[ "$(dmesg | grep -c 'plugsched: restored the built-in scheduler')" = 0 ]
check old-module-unloaded "$(grep "^$old " /proc/modules)" sh -c "! grep -q '^$old ' /proc/modules"
check new-module "$(cat /sys/kernel/plugsched/module 2>&1) (was $old)" [ "$(cat /sys/kernel/plugsched/module 2>/dev/null)" != "$old" ]
check package-upgraded "dpkg: $(dpkg-query -W -f '${Version} ${db:Status-Status}' "$PKG" 2>&1)" \
	sh -c "dpkg-query -W -f '\${Version} \${db:Status-Status}' '$PKG' | grep -q '^$NEXT_VERSION+.* installed\$'"
check unit-active-after-upgrade "$(systemctl is-active "$UNIT" 2>&1)" [ "$(systemctl is-active "$UNIT" 2>&1)" = active ]
# the system keeps scheduling: a burst of short processes on every CPU, each leaving its mark
rm -f "$STATE/ran"
i=0
while [ $i -lt 200 ]; do
	sh -c "echo x >> '$STATE/ran'" &
	i=$((i + 1))
done
wait
ran=$(wc -l < "$STATE/ran" 2>/dev/null || echo 0)
check schedules-after-upgrade "$ran of 200 processes ran" [ "$ran" = 200 ]
dmesg | grep -E "plugsched: (took over|installed the module's scheduler)" | tail -2 | sed 's/^/PLUGSCHED-DMESG /'
scenario_end

# one install or uninstall at a time: a removal while a rollback's switch is in progress is refused
# and changes nothing (the runtime's test hook holds the switch between its two stack walks)
scenario_begin remove-during-switch
mod=$(cat /sys/kernel/plugsched/module 2>/dev/null)
echo 20000 > "/sys/module/$mod/parameters/precheck_delay_ms"
dmesg -C
"/usr/lib/plugsched/$RELEASE/plugsched-install" uninstall > "$STATE/first-uninstall.log" 2>&1 &
first=$!
i=0
while ! dmesg | grep -q 'plugsched: test hook: the walk before stop_machine is done' && [ $i -lt 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
out=$(apt-get remove -y "$PKG" 2>&1); rc=$?
check removal-refused "rc $rc: $(echo "$out" | grep -E 'plugsched-install|not removed|^E:' | head -3 | tr '\n' ' ')" \
	sh -c "[ $rc != 0 ] && echo \"\$1\" | grep -q 'another plugsched-install (pid $first) is installing or removing a scheduler right now; nothing was done'" sh "$out"
check package-kept "dpkg: $(installed_state "$PKG")" [ "$(installed_state "$PKG")" = installed ]
wait $first
rc=$?
check first-finishes "rc $rc: $(tr '\n' ' ' < "$STATE/first-uninstall.log")" [ "$rc" = 0 ]
check builtin-after-first "$(dmesg | grep 'plugsched: restored' | tail -1)" [ ! -d /sys/kernel/plugsched ]
scenario_end

scenario_begin package-remove
echo "PLUGSCHED-STEP apt-get remove $PKG"
out=$(apt-get remove -y "$PKG" 2>&1); rc=$?
check apt-remove "rc $rc: $(echo "$out" | grep -E 'plugsched-install|Removing|^E:' | tr '\n' ' ')" [ "$rc" = 0 ]
# the scheduler was restored by the uninstall above; the package's removal finds nothing to restore
check builtin-after-remove "$(ls /sys/kernel/plugsched 2>&1 | head -1)" [ ! -d /sys/kernel/plugsched ]
check module-unloaded "$(grep '^plugsched_' /proc/modules)" sh -c "! grep -q '^plugsched_' /proc/modules"
check package-gone "dpkg: '$(installed_state "$PKG")'" not_installed "$PKG"
check nothing-left "$(leftovers | tr '\n' ' ')" [ -z "$(leftovers)" ]
check unit-inactive "$(systemctl is-active "$UNIT" 2>&1)" [ "$(systemctl is-active "$UNIT" 2>&1)" != active ]
scenario_end

# the RPM's scriptlets on the same booted system: Debian's rpm has no kernel in its database,
# so the kernel requirement is waived (--nodeps); %post and %preun run as on an RPM host
scenario_begin rpm-scriptlets
echo "PLUGSCHED-STEP rpm -i $RPM"
out=$(rpm -i --nodeps "$P/$RPM" 2>&1); rc=$?
check rpm-install "rc $rc: $(echo "$out" | grep -v 'should not be used directly' | tr '\n' ' ')" [ "$rc" = 0 ]
check live-after-rpm-post "$(cat /sys/kernel/plugsched/version 2>&1)" sh -c "grep -q '^$VARIANT ' /sys/kernel/plugsched/version"
check unit-active-after-rpm-post "$(systemctl is-active "$UNIT" 2>&1)" [ "$(systemctl is-active "$UNIT" 2>&1)" = active ]
# rpm -U runs the new %post ($1 = 2: the takeover) before the old %preun ($1 = 1: nothing)
old=$(cat /sys/kernel/plugsched/module 2>&1)
out=$(rpm -U --nodeps "$P/$NEXT_RPM" 2>&1); rc=$?
check rpm-upgrade "rc $rc: $(echo "$out" | grep -v 'should not be used directly' | tr '\n' ' ')" [ "$rc" = 0 ]
check rpm-upgrade-live "$(cat /sys/kernel/plugsched/version 2>&1); $(grep "^$old " /proc/modules)" \
	sh -c "[ \"\$(cat /sys/kernel/plugsched/version)\" = '$VARIANT $NEXT_VERSION' ] && ! grep -q '^$old ' /proc/modules"
out=$(rpm -e "$PKG" 2>&1); rc=$?
check rpm-erase "rc $rc: $(echo "$out" | tr '\n' ' ')" [ "$rc" = 0 ]
check builtin-after-rpm-preun "$(dmesg | grep 'plugsched: restored' | tail -1)" [ ! -d /sys/kernel/plugsched ]
check rpm-nothing-left "$(leftovers | tr '\n' ' ')$(rpm -q "$PKG" 2>&1 | grep -v 'not installed')" \
	sh -c "[ -z \"\$1\" ] && ! rpm -q \"\$2\" >/dev/null 2>&1" sh "$(leftovers)" "$PKG"
scenario_end
echo PLUGSCHED-DONE
sync
systemctl poweroff
