/**
 * host-test: a variant's .deb on a booted Debian system (rootfs.ts), installed,
 * rebooted into and removed with the distro's own tools by tools/vm/host/host-test.sh,
 * which the guest's systemd runs from a payload disk. The host makes that disk, boots
 * QEMU once (the guest reboots inside it) and judges the console like vm-test does.
 */
import { copyFileSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { run } from '../util/run';
import { toolPath } from '../util/tools';
import type { Logger } from '../util/progress';
import { judgeConsole, type Verdict } from './judge';
import { bootVm, kvmKnownToWork, type VmRun } from './qemu';
import type { DebianRootfs } from './rootfs';

/** A kernel release no archive ships, for the package that must be refused: the ABI number set to 0. */
export function otherRelease(release: string): string {
  const other = release.replace(/^(\d+\.\d+\.\d+)-\d+/, '$1-0');
  return other === release ? `${release}-other` : other;
}

/**
 * The version of the build the guest upgrades to: the last number of the variant's version plus
 * one (1.0.0 -> 1.0.1, 2.3 -> 2.4), or ".1" added when it ends in no number. Always later for
 * dpkg and rpm.
 */
export function nextVersion(version: string): string {
  const m = /^(.*?)(\d+)$/.exec(version);
  return m ? `${m[1]}${Number(m[2]) + 1}` : `${version}.1`;
}

/** A second variant's name, for the package that conflicts with the installed one. */
export function twinVariant(variant: string): string {
  return `${variant}-twin`;
}

export interface HostTestPayload {
  variant: string;
  release: string;
  deb: string;
  /** The same variant packaged for otherRelease(release). */
  otherDeb: string;
  /** twinVariant(variant) packaged for the same release. */
  twinDeb: string;
  /** The variant's RPM, whose scriptlets the guest runs with Debian's rpm. */
  rpm: string;
  /** The next version of the variant (a module built again with nextVersion()), as .deb and RPM: the upgrade. */
  nextDeb: string;
  nextRpm: string;
  nextVersion: string;
}

/** host-test.env: what the guest script reads (pure; sorted, no host paths). */
export function hostTestEnv(p: HostTestPayload & { corruptDeb: string }): string {
  const vars: Record<string, string> = {
    CORRUPT_DEB: basename(p.corruptDeb),
    DEB: basename(p.deb),
    NEXT_DEB: basename(p.nextDeb),
    NEXT_RPM: basename(p.nextRpm),
    NEXT_VERSION: p.nextVersion,
    OTHER_DEB: basename(p.otherDeb),
    OTHER_RELEASE: otherRelease(p.release),
    RELEASE: p.release,
    RPM: basename(p.rpm),
    TWIN_DEB: basename(p.twinDeb),
    TWIN_VARIANT: twinVariant(p.variant),
    VARIANT: p.variant,
  };
  for (const [k, v] of Object.entries(vars)) if (!/^[A-Za-z0-9._+~-]+$/.test(v)) throw new PlugschedError(`host-test: ${k} "${v}" has characters the guest's shell would read as code.`);
  return Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join('');
}

/** The payload disk: host-test.sh, lib.sh, host-test.env and the packages, as an ext4 image. */
export async function makePayloadDisk(workspaceRoot: string, p: HostTestPayload, work: string): Promise<string> {
  const dir = join(work, 'payload');
  mkdirSync(dir, { recursive: true });
  copyFileSync(toolPath(workspaceRoot, 'vm', 'host', 'host-test.sh'), join(dir, 'host-test.sh'));
  copyFileSync(toolPath(workspaceRoot, 'vm', 'lib.sh'), join(dir, 'lib.sh'));
  copyFileSync(p.deb, join(dir, basename(p.deb)));
  copyFileSync(p.otherDeb, join(dir, basename(p.otherDeb)));
  copyFileSync(p.twinDeb, join(dir, basename(p.twinDeb)));
  copyFileSync(p.rpm, join(dir, basename(p.rpm)));
  copyFileSync(p.nextDeb, join(dir, basename(p.nextDeb)));
  copyFileSync(p.nextRpm, join(dir, basename(p.nextRpm)));
  // a download cut short: the first half of the real package
  const corrupt = join(dir, `corrupt-${basename(p.deb)}`);
  copyFileSync(p.deb, corrupt);
  truncateSync(corrupt, Math.floor(statSync(p.deb).size / 2));
  writeFileSync(join(dir, 'host-test.env'), hostTestEnv({ ...p, corruptDeb: corrupt }));
  const image = join(work, 'payload.img');
  const f = await run('mke2fs', ['-q', '-t', 'ext4', '-L', 'host-test', '-E', 'root_owner=0:0', '-d', dir, image, '64M']);
  if (f.code !== 0) throw new PlugschedError(`mke2fs could not make host-test's payload disk: ${f.stderr.trim()}`);
  return image;
}

export interface HostTestRun {
  run: VmRun;
  verdict: Verdict;
}

/** Boot the Debian guest with the payload disk; the guest installs, reboots, removes and powers off. */
export async function runHostTest(o: { rootfs: DebianRootfs; payloadDisk: string; cpus: number; memMiB: number; logFile: string; log: Logger }): Promise<HostTestRun> {
  const vm = await bootVm({
    kernel: o.rootfs.vmlinuz,
    initramfs: o.rootfs.initrd,
    cpus: o.cpus,
    memMiB: o.memMiB,
    // the Debian way: the initramfs finds the root disk; systemd's status lines only when something fails
    append: 'root=/dev/vda rw loglevel=5 systemd.show_status=error',
    disks: [{ file: o.rootfs.image, snapshot: true }, { file: o.payloadDisk, readonly: true }],
    reboot: true,
    accel: kvmKnownToWork() ? 'kvm' : 'tcg',
    timeoutSec: 1200,
    quietSec: 300,
    logFile: o.logFile,
    log: o.log,
  });
  return { run: vm, verdict: judgeConsole(vm.console) };
}
