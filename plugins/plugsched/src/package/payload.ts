/**
 * What a scheduler package holds and does, for RPM and .deb alike. Pure:
 * the variant and its kernel in, file contents and maintainer scripts out.
 *
 * Layout, all under /usr/lib/plugsched/<kernel release>/ (one scheduler per
 * kernel: packages of two variants for one release conflict):
 *   scheduler.ko, plugsched-install, symbol-resolve, boundary-summary.md,
 *   VERSION
 * and, in /usr/lib/systemd/system/, scheduler-<variant>.service, which
 * installs the scheduler at boot on the matching kernel only, and
 * scheduler-<variant>-boot-done.service, which clears the boot guard's
 * marker once the boot has finished (docs/packages.md).
 *
 * The scripts name every program by its absolute path in the payload and
 * read no environment variable: they run as root, under whatever
 * environment the package manager was started with.
 */
export interface PackageInput {
  variant: string;
  version: string;
  description: string;
  kernelId: string;
  /** uname -r of the kernel the module is built for. */
  release: string;
  /** The kernel's architecture; default x86 (x86_64 RPM, amd64 .deb). */
  arch?: 'x86' | 'arm64';
}

/** The package architecture names: RPM's and Debian's. */
export function packageArch(p: PackageInput): { rpm: string; deb: string } {
  return p.arch === 'arm64' ? { rpm: 'aarch64', deb: 'arm64' } : { rpm: 'x86_64', deb: 'amd64' };
}

/** A fixed build time for reproducible packages (no clock in artifacts). */
export const SOURCE_DATE_EPOCH = 1704067200; // 2024-01-01T00:00:00Z

export const payloadDir = (release: string) => `/usr/lib/plugsched/${release}`;
export const unitName = (variant: string) => `scheduler-${variant}.service`;
/** The unit that, once the boot has finished, clears the marker the boot-time install writes. */
export const bootDoneUnitName = (variant: string) => `scheduler-${variant}-boot-done.service`;
export const packageName = (variant: string) => `scheduler-${variant}`;
/** Something every scheduler package for one kernel release provides and conflicts with. */
export const slotName = (release: string) => `plugsched-scheduler-${release}`;

/**
 * The boot-time install. `--boot` makes the installer honour plugsched.skip=1 / plugsched=off on the
 * kernel command line and the boot guard: a marker written before insmod that the boot-done unit
 * removes once the boot has finished; a boot that finds it skips the install (docs/packages.md).
 */
export function systemdUnit(p: PackageInput): string {
  const dir = payloadDir(p.release);
  return [
    '[Unit]',
    `Description=plugsched-nx scheduler ${p.variant} ${p.version} for Linux ${p.release}`,
    `ConditionKernelVersion=${p.release}`,
    // before every ordinary service (those order themselves after basic.target): the workloads of
    // a boot start on this scheduler, not on the built-in one it replaces a moment later. After
    // sysinit.target: local file systems mounted and /tmp cleaned (systemd-tmpfiles-setup empties
    // it at boot, which once removed the installer's work directory under it)
    'DefaultDependencies=no',
    'After=sysinit.target',
    'Before=basic.target shutdown.target',
    'Conflicts=shutdown.target',
    `Wants=${bootDoneUnitName(p.variant)}`,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${dir}/plugsched-install install ${dir}/scheduler.ko --boot`,
    `ExecStop=${dir}/plugsched-install uninstall --if-installed`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** Pulled in by the install unit; runs once the boot has reached default.target. */
export function bootDoneUnit(p: PackageInput): string {
  const dir = payloadDir(p.release);
  return [
    '[Unit]',
    `Description=plugsched-nx scheduler ${p.variant}: the boot finished, clear the boot guard`,
    `ConditionKernelVersion=${p.release}`,
    `After=default.target ${unitName(p.variant)}`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${dir}/plugsched-install boot-done`,
    '',
  ].join('\n');
}

/**
 * After install: put the scheduler into the running kernel when it is the
 * matching release (a failed live install does not fail the package; the
 * unit tries again at boot), and enable the unit. Under systemd the unit is
 * then started once the live install worked, so that it shows what runs:
 * its boot-time install finds this very module running and does nothing.
 */
export function postInstall(p: PackageInput): string {
  const dir = payloadDir(p.release);
  const unit = unitName(p.variant);
  return [
    'if [ -d /run/systemd/system ]; then',
    `\tsystemctl daemon-reload >/dev/null 2>&1 || :`,
    `\tsystemctl enable ${unit} >/dev/null 2>&1 || :`,
    'fi',
    `if [ "$(uname -r)" = "${p.release}" ]; then`,
    `\tif ${dir}/plugsched-install install ${dir}/scheduler.ko; then`,
    `\t\t[ ! -d /run/systemd/system ] || systemctl start ${unit} || :`,
    '\telse',
    `\t\techo "scheduler-${p.variant}: not installed into the running kernel now (see above and dmesg); it will be at the next boot" >&2`,
    '\tfi',
    'fi',
    '',
  ].join('\n');
}

/**
 * Before removal: restore the built-in scheduler when a scheduler module is running in this
 * package's kernel. When that cannot be done (a task stays inside the module's code through the
 * installer's bounded retries) the script fails: the package manager keeps the package installed,
 * its scheduler stays live and its unit enabled, so nothing is half-removed; removing it again
 * later retries (docs/packages.md). Once restored, nothing of the package's state stays behind.
 */
export function preRemove(p: PackageInput): string {
  const dir = payloadDir(p.release);
  return [
    `if [ "$(uname -r)" = "${p.release}" ]; then`,
    `\tif ! ${dir}/plugsched-install uninstall --if-installed; then`,
    `\t\techo "scheduler-${p.variant}: not removed: the running kernel still uses its scheduler (see above); the package stays installed and its scheduler live; remove it again once the cause named above has gone (a task inside its code, another install or removal running)" >&2`,
    '\t\texit 1',
    '\tfi',
    'fi',
    // the unit's stop finds the built-in scheduler back and does nothing; it leaves the unit inactive
    'if [ -d /run/systemd/system ]; then',
    `\tsystemctl stop ${unitName(p.variant)} >/dev/null 2>&1 || :`,
    `\tsystemctl disable ${unitName(p.variant)} >/dev/null 2>&1 || :`,
    'fi',
    // the boot guard's state of this release goes with the package (a postrm would keep the
    // package in dpkg's config-files state until purged)
    `rm -rf /var/lib/plugsched/${p.release}`,
    'rmdir /var/lib/plugsched 2>/dev/null || :',
    '',
  ].join('\n');
}

/**
 * The exact kernel release an RPM needs. RPM kernels provide "kernel-uname-r = <uname -r>" with one
 * dash (5.14.0-362.el9.x86_64); an RPM version cannot hold more (Debian's 6.1.0-56-cloud-amd64),
 * so those are named as a capability of their own.
 */
export function rpmKernelRequirement(release: string): string {
  return (release.match(/-/g) ?? []).length <= 1 ? `kernel-uname-r = ${release}` : `kernel-uname-r(${release})`;
}

/** The RPM spec (files are staged in %{buildroot} by the caller). */
export function rpmSpec(p: PackageInput, files: string[]): string {
  const release = p.release.replace(/-/g, '_');
  return [
    '%define debug_package %{nil}',
    '%define __os_install_post %{nil}',
    '%define _build_id_links none',
    `Name: ${packageName(p.variant)}`,
    `Version: ${p.version}`,
    `Release: ${release}`,
    `Summary: plugsched-nx scheduler ${p.variant} for Linux ${p.release}`,
    'License: GPL-2.0-only',
    // rpmbuild accepts a foreign architecture only through --target (build-packages.ts), not BuildArch
    ...(p.arch === 'arm64' ? [] : [`BuildArch: ${packageArch(p).rpm}`]),
    `Requires: ${rpmKernelRequirement(p.release)}`,
    `Provides: ${slotName(p.release)}`,
    `Conflicts: ${slotName(p.release)}`,
    'AutoReqProv: no',
    '',
    '%description',
    `${p.description || `The ${p.variant} scheduler`}, built as a live-updatable scheduler module for`,
    `Linux ${p.release} (${p.kernelId}) by plugsched-nx.`,
    '',
    '%files',
    '%defattr(-,root,root,-)',
    // owned, so that erasing the last package removes them (rpm leaves a directory nobody owns)
    '%dir /usr/lib/plugsched',
    `%dir ${payloadDir(p.release)}`,
    ...files,
    '',
    '%post',
    postInstall(p).trimEnd(),
    '',
    '%preun',
    'if [ "$1" = 0 ]; then',
    preRemove(p).trimEnd().split('\n').map((l) => `\t${l}`).join('\n'),
    'fi',
    '',

  ].join('\n');
}

/** The .deb control file. */
export function debControl(p: PackageInput, installedSizeKiB: number): string {
  return [
    `Package: ${packageName(p.variant)}`,
    `Version: ${p.version}+${p.release.replace(/[^A-Za-z0-9.+~]/g, '.')}`,
    `Architecture: ${packageArch(p).deb}`,
    'Maintainer: plugsched-nx <plugsched-nx@localhost>',
    `Depends: linux-image-${p.release} | linux-image-${p.release}-unsigned`,
    `Provides: ${slotName(p.release)}`,
    `Conflicts: ${slotName(p.release)}`,
    `Installed-Size: ${installedSizeKiB}`,
    'Section: kernel',
    'Priority: optional',
    `Description: plugsched-nx scheduler ${p.variant} for Linux ${p.release}`,
    ` ${p.description || `The ${p.variant} scheduler`}, a live-updatable scheduler module`,
    ` built by plugsched-nx for ${p.kernelId}.`,
    '',
  ].join('\n');
}

export function debPostinst(p: PackageInput): string {
  return ['#!/bin/sh', 'set -e', 'if [ "$1" = configure ]; then', postInstall(p).trimEnd().split('\n').map((l) => `\t${l}`).join('\n'), 'fi', ''].join('\n');
}

export function debPrerm(p: PackageInput): string {
  return ['#!/bin/sh', 'set -e', 'if [ "$1" = remove ] || [ "$1" = purge ]; then', preRemove(p).trimEnd().split('\n').map((l) => `\t${l}`).join('\n'), 'fi', ''].join('\n');
}
