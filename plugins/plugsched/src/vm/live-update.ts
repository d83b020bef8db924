/**
 * Live-update scenarios in a VM, shared by the tests, the main job and the
 * vm-test target: boot the kernel, install the scheduler module the way a
 * host would (tools/installer), exercise it (tools/vm/scenarios, see
 * scenarios.ts, then the variant's own tests, variant-tests.ts), roll back,
 * and report every step as PLUGSCHED-CHECK lines for the judge.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelConfig } from '../config/kernel-config';
import type { DevelTree } from '../kernel/devel';
import { isHostArch, type KernelArch } from '../util/host-arch';
import { guestModule, guestModulesFor } from './guest-module';
import { guestBusybox, guestProgram, SCENARIO_PROGRAMS } from './helpers';
import { buildInitramfs } from './initramfs';
import { ConsoleWatch } from './console-watch';
import { judgeConsole, type Verdict } from './judge';
import { bootVm, type VmRun } from './qemu';
import { pickScenarios, vmScenarios } from './scenarios';
import { GUEST_TESTS_BIN, mergeScenarios, type VariantTests } from './variant-tests';
import { toolPath } from '../util/tools';

export interface LiveUpdateOptions {
  workspaceRoot: string;
  devel: DevelTree;
  /** The kernel's config: test modules of a kernel of another suite are built in its build root. */
  kernel?: Pick<KernelConfig, 'suite' | 'file' | 'packages'>;
  ko: string;
  /** The installer and resolver to put in the guest; default: built from tools/installer. */
  installer?: string;
  resolver?: string;
  cpus: number;
  memMiB?: number;
  /** A line the variant prints once it runs (dmesg), e.g. the hello example's greeting. */
  expectMessage?: string;
  /** Scenario names (scenarios.ts, and the variant's tests'), in the order to run them; default: live-update only. */
  scenarios?: string[];
  /** The variant's own tests (variant-tests.ts: collectVariantTests, buildVariantProbes). */
  tests?: VariantTests;
  workDir: string;
  logFile?: string;
  timeoutSec?: number;
  /** After the scenarios, leave a shell on this terminal (debugging); the VM ends with "poweroff -f". */
  interactive?: boolean;
  /** Variables for the scenarios (DOWNTIME_THREADS=10000). */
  env?: Record<string, string>;
  /** TCG threading (see VmOptions.tcg). */
  tcg?: 'multi' | 'single';
  /** Let the guest run on after the kernel reports trouble (the soak counts each report); default: stop a minute later. */
  keepGoingAfterTrouble?: boolean;
}

export interface LiveUpdateResult {
  run: VmRun;
  verdict: Verdict;
}

/**
 * How much slower the scenarios' workloads pace themselves (tools/vm/lib.sh
 * WORKLOAD_PACE multiplies their sleeps). The workload is sized to keep a
 * thousand threads within about half of a guest's CPU time under multi-threaded
 * TCG; where the guest has less, the same thousand threads wake less often:
 * 10 for an emulated architecture (arm64 on amd64 is several times slower, and
 * at the full rate it never leaves timer interrupts), 2 with every vCPU on one
 * host thread (--tcg=single).
 */
export function workloadPace(guest: KernelArch, tcg: 'multi' | 'single' = 'multi'): number {
  if (!isHostArch(guest)) return 10;
  return tcg === 'single' ? 2 : 1;
}

/**
 * A guest whose console says nothing for this long is hung: every scenario prints a
 * line per check and per switch (PLUGSCHED-STEP), seconds apart even on a slow machine.
 */
export const VM_QUIET_SEC = 300;

/**
 * The watch on a run's console (console-watch.ts): progress lines at least every VM_QUIET_SEC,
 * one scenario at most 15 minutes (45 on an emulated architecture; a caller that sets the whole
 * run's time limit, the soak's single long scenario, sets this one with it), and a minute of console kept
 * after the kernel's first report of trouble.
 */
export function liveUpdateWatch(guest: KernelArch, scenarioSec?: number, stopOnTrouble = true): ConsoleWatch {
  return new ConsoleWatch({ quietSec: VM_QUIET_SEC, scenarioSec: scenarioSec ?? (isHostArch(guest) ? 900 : 2700), troubleGraceSec: stopOnTrouble ? 60 : null });
}

/** The outer bound of a whole run: generous, since silence (VM_QUIET_SEC) is what catches a hang. */
export function liveUpdateTimeoutSec(scenarioCount: number): number {
  return 300 + 180 * scenarioCount;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The guest script (busybox sh): the helpers, each scenario's file, then the scenarios in order. */
export function liveUpdateScript(scenarios: string[], expectMessage?: string, interactive = false, env: Record<string, string> = {}): string {
  return [
    '. /plugsched/lib.sh',
    ...Object.entries(env).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `export ${k}=${sh(v)}`),
    // the variant's own test programs (variant-tests.ts), after the guest's commands
    `export PATH="$PATH:${GUEST_TESTS_BIN}"`,
    'KO=/plugsched/scheduler.ko',
    `MARKER=${sh(expectMessage ?? '')}`,
    // the latency probe, for every switch of every scenario (lib.sh; LATPROBE_PERIOD_US=0: none)
    'probe_start',
    ...scenarios.map((s) => `. /plugsched/scenarios/${s}.sh`),
    ...scenarios.map((s) => `scenario_${s.replace(/-/g, '_')}`),
    // the runtime's evidence (info level, so not on the console by itself)
    'dmesg | grep -E "plugsched:|scheduler: " | sed "s/^/PLUGSCHED-DMESG /"',
    ...(interactive ? ['echo "plugsched: the scenarios are done; this is the guest shell (poweroff -f ends the VM)"', 'sh'] : []),
    '',
  ].join('\n');
}

export async function runLiveUpdate(o: LiveUpdateOptions): Promise<LiveUpdateResult> {
  const picked = pickScenarios(o.scenarios ?? ['live-update'], mergeScenarios(vmScenarios(o.workspaceRoot), o.tests?.scenarios ?? []));
  const scenarios = picked.map((s) => s.name);
  const arch = o.devel.arch;
  const [resolver, busybox, ...programs] = await Promise.all([
    o.resolver ?? guestProgram(toolPath(o.workspaceRoot, 'installer', 'symbol-resolve.c'), arch),
    guestBusybox(arch),
    ...SCENARIO_PROGRAMS.map((name) => guestProgram(toolPath(o.workspaceRoot, 'vm', `${name}.c`), arch)),
  ]);
  // the kernel modules the scenarios load, where this kernel can load them (guest-module.ts)
  const modules = guestModulesFor(readFileSync(o.devel.config, 'utf8'), arch, scenarios);
  const moduleFiles = await Promise.all(modules.map(async (name) => ({ src: await guestModule(o.workspaceRoot, name, o.devel, o.kernel), dest: `/plugsched/modules/${name}.ko` })));
  const initramfs = join(o.workDir, `live-update-${o.cpus}.cpio.gz`);
  await buildInitramfs({
    outFile: initramfs,
    files: [
      { src: toolPath(o.workspaceRoot, 'vm', 'lib.sh'), dest: '/plugsched/lib.sh' },
      ...picked.map((s) => ({ src: s.src ?? toolPath(o.workspaceRoot, 'vm', 'scenarios', s.file), dest: `/plugsched/scenarios/${s.name}.sh` })),
      ...(o.tests?.probes ?? []).map((p) => ({ src: p.bin, dest: `${GUEST_TESTS_BIN}/${p.name}`, mode: 0o755 })),
      { src: resolver, dest: '/bin/symbol-resolve', mode: 0o755 },
      { src: o.installer ?? toolPath(o.workspaceRoot, 'installer', 'plugsched-install'), dest: '/bin/plugsched-install', mode: 0o755 },
      ...SCENARIO_PROGRAMS.map((name, i) => ({ src: programs[i], dest: `/bin/${name}`, mode: 0o755 })),
      { src: o.ko, dest: '/plugsched/scheduler.ko' },
      ...moduleFiles,
    ],
    script: liveUpdateScript(scenarios, o.expectMessage, o.interactive, {
      WORKLOAD_PACE: String(workloadPace(arch, o.tcg)),
      // the latency probe's period (lib.sh probe_start): 1 ms, slower where the guest is slowed
      // (on emulated arm64 a 1 ms probe on every vCPU made the install four times longer)
      LATPROBE_PERIOD_US: String(1000 * workloadPace(arch, o.tcg)),
      ...(o.tests ? { VARIANT: o.tests.variant, VARIANT_VERSION: o.tests.version } : {}),
      ...o.env,
    }),
    busybox,
  });
  const logFile = o.logFile ?? join(o.workDir, `live-update-${o.cpus}.log`);
  const run = await bootVm({ kernel: o.devel.vmlinuz, initramfs, cpus: o.cpus, memMiB: o.memMiB ?? 1536, timeoutSec: o.interactive ? 24 * 3600 : (o.timeoutSec ?? liveUpdateTimeoutSec(scenarios.length)), quietSec: o.interactive ? undefined : VM_QUIET_SEC, watch: o.interactive ? undefined : liveUpdateWatch(arch, o.timeoutSec, !o.keepGoingAfterTrouble), logFile, interactive: o.interactive, tcg: o.tcg, arch });
  return { run, verdict: judgeConsole(run.console) };
}
