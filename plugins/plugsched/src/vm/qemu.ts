/**
 * Boot a kernel image in QEMU with a test initramfs, capture the serial
 * console, and stop after the guest powers off or the time limit passes.
 * TCG by default; KVM only when it really works here (nested KVM on these
 * machines fails at boot, so it is probed once and remembered).
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { storeRoot } from '../kernel/locations';
import { isHostArch } from '../util/host-arch';
import { requireTool } from '../util/run';
import type { Logger } from '../util/progress';

export interface VmOptions {
  kernel: string;
  initramfs: string;
  cpus: number;
  memMiB: number;
  /** Extra kernel command line. */
  append?: string;
  timeoutSec: number;
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
  log?: Logger;
}

export interface VmRun {
  console: string;
  exitCode: number | null;
  timedOut: boolean;
  accel: 'tcg' | 'kvm';
  seconds: number;
}

export function qemuArgs(o: VmOptions, accel: 'tcg' | 'kvm'): string[] {
  const arm64 = o.arch === 'arm64';
  return [
    ...(arm64 ? ['-M', 'virt'] : []),
    ...(accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', `tcg,thread=${o.tcg ?? 'multi'}`, '-cpu', 'max']),
    '-m', String(o.memMiB), '-smp', String(o.cpus), '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio',
    '-kernel', o.kernel, '-initrd', o.initramfs,
    '-append', `console=${arm64 ? 'ttyAMA0' : 'ttyS0'} panic=-1 ${o.append ?? ''}`.trim(),
  ];
}

/** The QEMU system emulator for the guest's architecture, and the Debian package that has it. */
export function qemuBinary(arch: VmOptions['arch']): { binary: string; pkg: string } {
  return arch === 'arm64' ? { binary: 'qemu-system-aarch64', pkg: 'qemu-system-arm' } : { binary: 'qemu-system-x86_64', pkg: 'qemu-system-x86' };
}

/** Is KVM usable for a nested guest here? Probed once per machine, the answer kept in the store. */
export function kvmWorks(kernel: string, initramfs: string, log?: Logger): boolean {
  if (process.env.PLUGSCHED_VM_ACCEL === 'tcg') return false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  const memo = join(storeRoot(), '.kvm-probe.json');
  if (existsSync(memo)) return (JSON.parse(readFileSync(memo, 'utf8')) as { works: boolean }).works;
  const r = spawnSync('qemu-system-x86_64', qemuArgs({ kernel, initramfs, cpus: 1, memMiB: 256, timeoutSec: 20, logFile: '' }, 'kvm'), { encoding: 'utf8', timeout: 20_000 });
  const works = /PLUGSCHED-BOOTED/.test(r.stdout ?? '');
  mkdirSync(dirname(memo), { recursive: true });
  writeFileSync(memo, JSON.stringify({ works }));
  log?.(`vm: KVM ${works ? 'works' : 'is present but a nested guest does not boot: using TCG'}`);
  return works;
}

export function bootVm(o: VmOptions): Promise<VmRun> {
  const qemu = qemuBinary(o.arch);
  requireTool(qemu.binary, qemu.pkg, 'boot the test VM');
  // KVM only runs a guest of this machine's own architecture (and kvmWorks probes an x86 guest)
  const accel = o.accel ?? ((o.arch ?? 'x86') === 'x86' && isHostArch('x86') && kvmWorks(o.kernel, o.initramfs, o.log) ? 'kvm' : 'tcg');
  mkdirSync(dirname(o.logFile), { recursive: true });
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(qemu.binary, qemuArgs(o, accel), { stdio: [o.interactive ? 'inherit' : 'ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(o.logFile);
    let console = '';
    let timedOut = false;
    const onData = (c: Buffer) => {
      const text = c.toString();
      console += text;
      log.write(text);
      if (o.interactive) process.stdout.write(text);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutSec * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      log.end();
      resolvePromise({ console, exitCode: code, timedOut, accel, seconds: (Date.now() - started) / 1000 });
    });
  });
}
