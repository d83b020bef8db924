#!/bin/sh
# customize.sh ROOTFS IMAGE_DEB DRIVER_UNIT: mmdebstrap's customize hook for host-test's
# Debian root filesystem (plugins/plugsched/src/vm/rootfs.ts). Installs the kernel under
# test with dpkg (its postinst makes the initramfs with initramfs-tools, as on a real
# host), enables the test driver unit, and turns off what only slows a test boot down.
set -eu
root=$1
cp "$2" "$root/tmp/kernel-image.deb"
chroot "$root" dpkg -i /tmp/kernel-image.deb
rm -f "$root/tmp/kernel-image.deb"
cp "$3" "$root/etc/systemd/system/plugsched-host-test.service"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../plugsched-host-test.service "$root/etc/systemd/system/multi-user.target.wants/plugsched-host-test.service"
# the serial console carries the test's lines, not a login prompt; no background apt runs
for unit in serial-getty@ttyS0.service serial-getty@ttyAMA0.service apt-daily.timer apt-daily-upgrade.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
echo plugsched-host > "$root/etc/hostname"
