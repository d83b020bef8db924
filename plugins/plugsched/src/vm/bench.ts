/**
 * The A/B bench in one VM (docs/bench.md): boot the variant's kernel, then in
 * rounds run the workload set under the built-in scheduler, install the
 * variant, run it again, roll back, and so on; the guest prints every metric
 * as a PLUGSCHED-BENCH line (tools/vm/bench/bench.sh) and bench-report.ts
 * turns them into the results.
 *
 * The workloads are static guest programs: the built-in set in tools/vm/bench
 * (BUILTIN_WORKLOADS) and a variant's own, schedulers/<name>/bench/*.c. All
 * are compiled for the guest's architecture before the VM boots.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { DevelTree } from '../kernel/devel';
import { PlugschedError } from '../util/errors';
import type { Logger } from '../util/progress';
import { toolPath } from '../util/tools';
import { guestBusybox, guestProgram } from './helpers';
import { buildInitramfs } from './initramfs';
import { judgeConsole, type Verdict } from './judge';
import { workloadPace } from './live-update';
import { bootVm, type VmRun } from './qemu';

export interface BenchWorkload {
  /** What --workloads and the results call it. */
  name: string;
  /** The C file (absolute). */
  src: string;
  /** The program's name in the guest (/plugsched/bench/<program>): the C file's name without .c. */
  program: string;
  /** Arguments after SECONDS PACE. */
  args: string[];
}

/** The built-in workload set: the programs of tools/vm/bench and how each is run. */
export const BUILTIN_WORKLOADS: { name: string; program: string; args: string[] }[] = [
  { name: 'messaging-pipe', program: 'messaging', args: ['pipe'] },
  { name: 'messaging-socket', program: 'messaging', args: ['socket'] },
  { name: 'wakeup', program: 'wakeup', args: [] },
  { name: 'fairness', program: 'fairness', args: [] },
  { name: 'ctxswitch', program: 'ctxswitch', args: [] },
];

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The workloads of a variant: the built-in set, then schedulers/<name>/bench/*.c in
 * file-name order, each run as "<program> SECONDS PACE". A variant's file whose name is not
 * a plain lower-case name, or is a built-in workload's, is an error naming the file.
 */
export function benchWorkloads(workspaceRoot: string, schedulerDir: string): BenchWorkload[] {
  const builtin = BUILTIN_WORKLOADS.map((w) => ({ ...w, src: toolPath(workspaceRoot, 'vm', 'bench', `${w.program}.c`) }));
  const dir = join(schedulerDir, 'bench');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return builtin;
  const own: BenchWorkload[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.c')) continue;
    const name = basename(f, '.c');
    const rel = relative(workspaceRoot, join(dir, f));
    if (!NAME.test(name)) throw new PlugschedError(`The bench workload ${rel} has a name the bench cannot use: a workload's file is <name>.c with <name> of lower-case letters, digits and dashes (it names the program in the guest and the rows of bench.md). Rename the file.`);
    const clash = builtin.find((b) => b.name === name || b.program === name);
    if (clash) throw new PlugschedError(`The bench workload ${rel} is named like the built-in workload "${clash.name}" (${relative(workspaceRoot, clash.src)}): the results could not tell them apart. Rename ${rel}.`);
    own.push({ name, src: join(dir, f), program: name, args: [] });
  }
  return [...builtin, ...own];
}

/** The workloads named, in the order named; an unknown name is an error listing the choices. */
export function pickWorkloads(names: string[] | undefined, all: BenchWorkload[]): BenchWorkload[] {
  if (names === undefined || names.length === 0) return all;
  return names.map((n) => {
    const w = all.find((a) => a.name === n);
    if (w === undefined) throw new PlugschedError(`Unknown bench workload "${n}" (--workloads): the workloads are ${all.map((a) => a.name).join(', ')} (tools/vm/bench and the variant's bench/*.c).`);
    return w;
  });
}

/**
 * Compile every workload for the guest, before any VM boots. A program that does not compile
 * is an error naming its file and the compiler's first complaints.
 */
export async function compileWorkloads(workspaceRoot: string, workloads: BenchWorkload[], arch: DevelTree['arch']): Promise<Map<string, string>> {
  const programs = new Map<string, string>();
  for (const w of workloads) {
    if (programs.has(w.program)) continue;
    try {
      programs.set(w.program, await guestProgram(w.src, arch));
    } catch (e) {
      const why = (e as Error).message.replace(/^Building the guest helper \S+ for \S+ failed: /, '').split(`${workspaceRoot}/`).join('').split('\n').slice(0, 12).join('\n');
      throw new PlugschedError(`The bench workload ${relative(workspaceRoot, w.src)} does not compile for the ${arch} guest (static, -O2 -pthread; nothing was run):\n${why}\nFix the program and run the bench again.`);
    }
  }
  return programs;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface BenchScriptOptions {
  workloads: { name: string; program: string; args: string[] }[];
  rounds: number;
  seconds: number;
  pace: number;
}

/**
 * The guest script (busybox sh): rounds of the built-in scheduler and the variant in turn,
 * built-in first, each round one scenario; the variant is installed for its round and rolled
 * back after it.
 */
export function benchScript(o: BenchScriptOptions): string {
  const runs = (round: number, sched: 'builtin' | 'variant') => o.workloads.map((w) => `bench_run ${round} ${sched} ${w.name} ${w.program}${w.args.map((a) => ` ${sh(a)}`).join('')}`);
  const lines = ['. /plugsched/lib.sh', '. /plugsched/bench.sh', `export WORKLOAD_PACE=${o.pace}`, `BENCH_SECONDS=${o.seconds}`, 'KO=/plugsched/scheduler.ko', 'bench_settle'];
  for (let r = 1; r <= o.rounds; r++) {
    lines.push(`scenario_begin bench-${r}-builtin`, ...runs(r, 'builtin'), 'scenario_end');
    lines.push(`scenario_begin bench-${r}-variant`, 'bench_install', 'if installed; then', ...runs(r, 'variant').map((l) => `\t${l}`), 'fi', 'bench_uninstall', 'scenario_end');
  }
  lines.push('');
  return lines.join('\n');
}

export interface BenchOptions {
  workspaceRoot: string;
  devel: DevelTree;
  ko: string;
  workloads: BenchWorkload[];
  /** Compiled programs by name (compileWorkloads). */
  programs: Map<string, string>;
  rounds: number;
  seconds: number;
  cpus: number;
  memMiB?: number;
  tcg?: 'multi' | 'single';
  workDir: string;
  log: Logger;
}

export interface BenchRun {
  run: VmRun;
  verdict: Verdict;
  pace: number;
}

/** A generous bound on the VM's run: boot, then every run with its start and switch costs, more for a slow guest. */
export function benchTimeoutSec(o: { rounds: number; seconds: number; workloads: number; pace: number }): number {
  const slow = o.pace > 1 ? 4 : 1;
  return Math.ceil(180 * slow + o.rounds * 2 * (o.workloads * (o.seconds + 5) + 30) * slow);
}

/** Follow the console file while the VM runs and say when each round starts. */
function followRounds(logFile: string, log: Logger, rounds: number): () => void {
  let seen = 0;
  const timer = setInterval(() => {
    let text: string;
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      return;
    }
    const begun = [...text.matchAll(/PLUGSCHED-SCENARIO bench-(\d+)-(builtin|variant) BEGIN/g)];
    for (const m of begun.slice(seen)) log(`bench: round ${m[1]}/${rounds}, ${m[2] === 'builtin' ? 'built-in scheduler' : 'variant'}`);
    seen = begun.length;
  }, 2000);
  return () => clearInterval(timer);
}

export async function runBench(o: BenchOptions): Promise<BenchRun> {
  const arch = o.devel.arch;
  const pace = workloadPace(arch, o.tcg);
  const [resolver, busybox] = await Promise.all([guestProgram(toolPath(o.workspaceRoot, 'installer', 'symbol-resolve.c'), arch), guestBusybox(arch)]);
  const initramfs = join(o.workDir, 'bench.cpio.gz');
  const programs = [...o.programs.entries()].sort(([a], [b]) => a.localeCompare(b));
  await buildInitramfs({
    outFile: initramfs,
    files: [
      { src: toolPath(o.workspaceRoot, 'vm', 'lib.sh'), dest: '/plugsched/lib.sh' },
      { src: toolPath(o.workspaceRoot, 'vm', 'bench', 'bench.sh'), dest: '/plugsched/bench.sh' },
      { src: resolver, dest: '/bin/symbol-resolve', mode: 0o755 },
      { src: toolPath(o.workspaceRoot, 'installer', 'plugsched-install'), dest: '/bin/plugsched-install', mode: 0o755 },
      ...programs.map(([name, bin]) => ({ src: bin, dest: `/plugsched/bench/${name}`, mode: 0o755 })),
      { src: o.ko, dest: '/plugsched/scheduler.ko' },
    ],
    script: benchScript({ workloads: o.workloads, rounds: o.rounds, seconds: o.seconds, pace }),
    busybox,
  });
  const logFile = join(o.workDir, 'bench.log');
  const stop = followRounds(logFile, o.log, o.rounds);
  try {
    const timeoutSec = benchTimeoutSec({ rounds: o.rounds, seconds: o.seconds, workloads: o.workloads.length, pace });
    const run = await bootVm({ kernel: o.devel.vmlinuz, initramfs, cpus: o.cpus, memMiB: o.memMiB ?? 1536, timeoutSec, logFile, tcg: o.tcg, arch, log: o.log });
    return { run, verdict: judgeConsole(run.console), pace };
  } finally {
    stop();
  }
}
