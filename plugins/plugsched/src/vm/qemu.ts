/**
 * Boot a kernel image in QEMU with a test initramfs, capture the serial
 * console, and stop after the guest powers off or the time limit passes.
 * TCG by default; KVM only when it really works here (nested KVM on these
 * machines fails at boot, so it is probed once and remembered).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { storeRoot } from '../kernel/locations';
import { isHostArch } from '../util/host-arch';
import { requireTool } from '../util/run';
import { runWatched, type LineWatch } from '../util/watched';
import type { Logger } from '../util/progress';

export interface VmOptions {
  kernel: string;
  initramfs: string;
  cpus: number;
  memMiB: number;
  /** Extra kernel command line. */
  append?: string;
  timeoutSec: number;
  /**
   * Stop the guest when its console has been silent this long: a hung guest is
   * told from a slow one by silence, not by the clock (shared machines run TCG at
   * half speed at times). Default: no silence limit, only timeoutSec.
   */
  quietSec?: number;
  /** A judge of the console's lines that may stop the guest earlier (vm/console-watch.ts). */
  watch?: LineWatch;
  /** Console copy on disk. */
  logFile: string;
  /** Attach the console to this terminal (debugging) instead of only capturing it. */
  interactive?: boolean;
  /** Force an accelerator; default: probed. */
  accel?: 'tcg' | 'kvm';
  /**
   * TCG's threading: "multi" runs each vCPU on a host thread; "single" runs them all on one,
   * slower, but immune to multi-threaded TCG's trouble with code one vCPU rewrites while
   * another runs it (static keys flipped under load; see docs/runtime.md). Default multi.
   */
  tcg?: 'multi' | 'single';
  /** The guest's architecture (the kernel's); default x86. arm64 boots qemu-system-aarch64 -M virt. */
  arch?: 'x86' | 'arm64';
  /** virtio disks, /dev/vda first; snapshot: the guest's writes live as long as the QEMU process (a reboot keeps them). */
  disks?: { file: string; readonly?: boolean; snapshot?: boolean }[];
  /**
   * The guest may reboot (host-test's `systemctl reboot`): QEMU restarts it instead of exiting, and a
   * panic halts (panic=0) instead of rebooting, so that the silence limit stops it.
   */
  reboot?: boolean;
  log?: Logger;
}

export interface VmRun {
  console: string;
  exitCode: number | null;
  timedOut: boolean;
  /** Why the guest was stopped, when it was: "after N s" or "after N s of silence". */
  stopped: string | null;
  accel: 'tcg' | 'kvm';
  seconds: number;
}

/**
 * The emulated CPU under TCG: the newest QEMU models. On arm64 its pointer authentication uses QEMU's
 * implementation-defined algorithm instead of the architected QARMA, whose emulation is costly: Debian's
 * arm64 kernels sign and check the return address in nearly every function (paciasp/autiasp), and the
 * guest cannot tell the algorithms apart (the keys and the instructions are the same).
 */
function tcgCpu(arm64: boolean): string {
  return arm64 ? 'max,pauth-impdef=on' : 'max';
}

export function qemuArgs(o: VmOptions, accel: 'tcg' | 'kvm'): string[] {
  const arm64 = o.arch === 'arm64';
  return [
    ...(arm64 ? ['-M', 'virt'] : []),
    ...(accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', `tcg,thread=${o.tcg ?? 'multi'}`, '-cpu', tcgCpu(arm64)]),
    '-m', String(o.memMiB), '-smp', String(o.cpus), '-nographic', ...(o.reboot ? [] : ['-no-reboot']), '-nodefaults', '-serial', 'stdio',
    '-kernel', o.kernel, '-initrd', o.initramfs,
    ...(o.disks ?? []).flatMap((d) => ['-drive', `file=${d.file},format=raw,if=virtio${d.readonly ? ',readonly=on' : ''}${d.snapshot ? ',snapshot=on' : ''}`]),
    '-append', `console=${arm64 ? 'ttyAMA0' : 'ttyS0'} panic=${o.reboot ? 0 : -1} ${o.append ?? ''}`.trim(),
  ];
}

/** The QEMU system emulator for the guest's architecture, and the Debian package that has it. */
export function qemuBinary(arch: VmOptions['arch']): { binary: string; pkg: string } {
  return arch === 'arm64' ? { binary: 'qemu-system-aarch64', pkg: 'qemu-system-arm' } : { binary: 'qemu-system-x86_64', pkg: 'qemu-system-x86' };
}

const kvmMemo = () => join(storeRoot(), '.kvm-probe.json');

/** What the KVM probe found on this machine, or null when it has not run. */
function kvmMemoWorks(): boolean | null {
  return existsSync(kvmMemo()) ? (JSON.parse(readFileSync(kvmMemo(), 'utf8')) as { works: boolean }).works : null;
}

/** Is KVM usable for a nested guest here? Probed once per machine, the answer kept in the store. */
export function kvmWorks(kernel: string, initramfs: string, log?: Logger): boolean {
  if (process.env.PLUGSCHED_VM_ACCEL === 'tcg') return false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  const known = kvmMemoWorks();
  if (known !== null) return known;
  const r = spawnSync('qemu-system-x86_64', qemuArgs({ kernel, initramfs, cpus: 1, memMiB: 256, timeoutSec: 20, logFile: '' }, 'kvm'), { encoding: 'utf8', timeout: 20_000 });
  const works = /PLUGSCHED-BOOTED/.test(r.stdout ?? '');
  mkdirSync(dirname(kvmMemo()), { recursive: true });
  writeFileSync(kvmMemo(), JSON.stringify({ works }));
  log?.(`vm: KVM ${works ? 'works' : 'is present but a nested guest does not boot: using TCG'}`);
  return works;
}

/**
 * KVM's answer as an earlier vm-test's probe left it, without probing: the probe boots the test
 * initramfs, which a guest with a distro initramfs (host-test) does not have. False when unknown.
 */
export function kvmKnownToWork(): boolean {
  return process.env.PLUGSCHED_VM_ACCEL !== 'tcg' && kvmMemoWorks() === true;
}

export function bootVm(o: VmOptions): Promise<VmRun> {
  const qemu = qemuBinary(o.arch);
  requireTool(qemu.binary, qemu.pkg, 'boot the test VM');
  // KVM only runs a guest of this machine's own architecture (and kvmWorks probes an x86 guest)
  const accel = o.accel ?? ((o.arch ?? 'x86') === 'x86' && isHostArch('x86') && kvmWorks(o.kernel, o.initramfs, o.log) ? 'kvm' : 'tcg');
  mkdirSync(dirname(o.logFile), { recursive: true });
  return runWatched(qemu.binary, qemuArgs(o, accel), { timeoutSec: o.timeoutSec, quietSec: o.quietSec, watch: o.watch, logFile: o.logFile, echo: o.interactive, stdin: o.interactive ? 'inherit' : 'ignore' }).then((r) => ({
    console: r.output,
    exitCode: r.exitCode,
    timedOut: r.stopped !== null,
    stopped: r.stopped,
    accel,
    seconds: r.seconds,
  }));
}
