/**
 * The live-update scenario in a VM, shared by the tests, the main job and
 * the vm-test target: boot the kernel, start a workload of many threads,
 * install the scheduler module the way a host would (tools/installer), let
 * it schedule, roll back, and report every step as PLUGSCHED-CHECK lines.
 */
import { join } from 'node:path';
import type { DevelTree } from '../kernel/devel';
import { guestProgram } from './helpers';
import { buildInitramfs } from './initramfs';
import { judgeConsole, type Verdict } from './judge';
import { bootVm, type VmRun } from './qemu';

export interface LiveUpdateOptions {
  workspaceRoot: string;
  devel: DevelTree;
  ko: string;
  cpus: number;
  /** A line the variant prints once it runs (dmesg), e.g. the hello example's greeting. */
  expectMessage?: string;
  /** First prove that an entry traced by a kprobe is refused, then install. */
  conflict?: boolean;
  /** Workload threads kept running through install and rollback. */
  threads?: number;
  /** Seconds the module's scheduler runs the workload. */
  holdSeconds?: number;
  workDir: string;
  logFile?: string;
  timeoutSec?: number;
}

export interface LiveUpdateResult {
  run: VmRun;
  verdict: Verdict;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The guest script (busybox sh, with tools/vm/lib.sh). */
export function liveUpdateScript(o: Pick<LiveUpdateOptions, 'expectMessage' | 'conflict' | 'threads' | 'holdSeconds'>): string {
  const threads = o.threads ?? 1000;
  const hold = o.holdSeconds ?? 4;
  const lines = [
    '. /plugsched/lib.sh',
    'ko=/plugsched/scheduler.ko',
    // long enough for any install under emulation; stopped with SIGTERM once the rollback is proven
    `spinners ${threads} 600 > /tmp/spin.log &`,
    'spin=$!',
    'sleep 2',
    'progress() { grep progress /tmp/spin.log | tail -1 | cut -d" " -f4; }',
  ];
  if (o.conflict)
    lines.push(
      'scenario_begin conflict',
      'mount -t tracefs nodev /sys/kernel/tracing',
      "echo 'p:plugsched_probe try_to_wake_up' > /sys/kernel/tracing/kprobe_events",
      'echo 1 > /sys/kernel/tracing/events/kprobes/plugsched_probe/enable',
      'out=$(PLUGSCHED_TRIES=1 plugsched-install install $ko 2>&1); rc=$?',
      'check refused "$out" [ $rc != 0 ]',
      'msg=$(dmesg | grep "try_to_wake_up,0: is traced")',
      'check names-the-function "$msg" [ -n "$msg" ]',
      'check nothing-left "$(ls /sys/kernel/plugsched 2>&1)" [ ! -d /sys/kernel/plugsched ]',
      'echo 0 > /sys/kernel/tracing/events/kprobes/plugsched_probe/enable',
      "echo '-:plugsched_probe' >> /sys/kernel/tracing/kprobe_events",
      'scenario_end',
    );
  lines.push(
    'scenario_begin install',
    'before=$(progress)',
    'out=$(plugsched-install install $ko 2>&1); rc=$?',
    'check install "$out" [ $rc = 0 ]',
    'check enabled "enable=$(cat /sys/kernel/plugsched/enable)" grep -qx 1 /sys/kernel/plugsched/enable',
    'st=$(plugsched-install status | tail -1)',
    'check all-entries-patched "$st" sh -c \'set -- $(plugsched-install status | tail -1); [ "$3" -gt 100 ] && [ "$3" = "$5" ]\'',
    'msg=$(dmesg | grep "plugsched: installed the module")',
    'check timings "$msg" [ -n "$msg" ]',
    `sleep ${hold}`,
    'after=$(progress)',
    'check workload-runs "progress $before -> $after under the module" [ "$after" -gt "$before" ]',
  );
  if (o.expectMessage !== undefined) lines.push(`msg=$(dmesg | grep -F ${sh(o.expectMessage)})`, 'check variant-runs "$msg" [ -n "$msg" ]');
  lines.push(
    'scenario_end',
    'scenario_begin rollback',
    'out=$(plugsched-install uninstall 2>&1); rc=$?',
    'check uninstall "$out" [ $rc = 0 ]',
    'msg=$(dmesg | grep "function entries restored byte for byte")',
    'check entries-restored "$msg" sh -c \'set -- $(dmesg | grep "function entries restored byte for byte" | tail -1 | sed "s/.*plugsched: //"); [ "$1" = "$3" ] && [ "$1" -gt 100 ]\'',
    'check module-gone "$(grep -c ^scheduler /proc/modules)" sh -c "! grep -q ^scheduler /proc/modules"',
    'before=$(progress)',
    'sleep 2',
    'after=$(progress)',
    'check builtin-runs "progress $before -> $after after rollback" [ "$after" -gt "$before" ]',
    'kill -TERM $spin',
    'wait $spin',
    'check workload-never-stalled "$(tail -1 /tmp/spin.log)" grep -q "stalled 0" /tmp/spin.log',
    'scenario_end',
    // the runtime's evidence (info level, so not on the console by itself)
    'dmesg | grep -E "plugsched:|scheduler: " | sed "s/^/PLUGSCHED-DMESG /"',
  );
  return `${lines.join('\n')}\n`;
}

export async function runLiveUpdate(o: LiveUpdateOptions): Promise<LiveUpdateResult> {
  const [resolver, spinners] = await Promise.all([guestProgram(o.workspaceRoot, 'tools/installer/symbol-resolve.c'), guestProgram(o.workspaceRoot, 'spinners')]);
  const initramfs = join(o.workDir, `live-update-${o.cpus}.cpio.gz`);
  await buildInitramfs({
    outFile: initramfs,
    files: [
      { src: join(o.workspaceRoot, 'tools', 'vm', 'lib.sh'), dest: '/plugsched/lib.sh' },
      { src: resolver, dest: '/bin/symbol-resolve', mode: 0o755 },
      { src: join(o.workspaceRoot, 'tools', 'installer', 'plugsched-install'), dest: '/bin/plugsched-install', mode: 0o755 },
      { src: spinners, dest: '/bin/spinners', mode: 0o755 },
      { src: o.ko, dest: '/plugsched/scheduler.ko' },
    ],
    script: liveUpdateScript(o),
  });
  const logFile = o.logFile ?? join(o.workDir, `live-update-${o.cpus}.log`);
  const run = await bootVm({ kernel: o.devel.vmlinuz, initramfs, cpus: o.cpus, memMiB: 1024, timeoutSec: o.timeoutSec ?? 300, logFile });
  return { run, verdict: judgeConsole(run.console) };
}
