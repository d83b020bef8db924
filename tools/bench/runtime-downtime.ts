/**
 * Runtime downtime: install and roll back scheduler-x86 in the VM harness
 * under 100, 1 000, 10 000 and 30 000 threads with 2 and 4 vCPUs, and take the
 * runtime's own timing lines (stop machine, stack check, state rebuild,
 * text patching, total), the latency probe's longest wakeup delay during
 * each switch (vm-test's PLUGSCHED-PROBE lines) and, in the same boot, the
 * floor: an empty stop_machine before each switch and the one walk of every
 * task's stack before stop_machine (the module's benchmark hook
 * measure_floor, tools/vm/scenarios/downtime.sh). Medians over the cycles of
 * each VM; a chart of downtime against threads (Vega-Lite, rendered to SVG).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { develTree } from '../../plugins/plugsched/src/kernel/artifacts';
import { runLiveUpdate } from '../../plugins/plugsched/src/vm/live-update';
import { parseProbeLines } from '../../plugins/plugsched/src/vm/probe';
import { renderSvg } from '../../plugins/plugsched/src/vm/bench-report';

export interface SwitchTiming {
  install: boolean;
  cpus: number;
  threads: number;
  stopMachineUs: number;
  stackCheckUs: number;
  rebuildUs: number;
  patchUs: number;
  totalUs: number;
}

/** The runtime's dmesg lines -> numbers. */
export function parseSwitchLines(console: string): SwitchTiming[] {
  const re = /plugsched: (installed the module's scheduler|restored the built-in scheduler): (\d+) cpus, (\d+) threads, \d+ tasks moved, stop machine (\d+) us, stack check (\d+) us, state rebuild (\d+) us(?:, text patching (\d+) us)?, total (\d+) us/g;
  return [...console.matchAll(re)].map((m) => ({
    install: m[1].startsWith('installed'),
    cpus: Number(m[2]),
    threads: Number(m[3]),
    stopMachineUs: Number(m[4]),
    stackCheckUs: Number(m[5]),
    rebuildUs: Number(m[6]),
    patchUs: Number(m[7] ?? NaN),
    totalUs: Number(m[8]),
  }));
}

export interface FloorTiming {
  emptyStopUs: number;
  switchStopUs: number;
  walkUs: number;
  threads: number;
}

/** The runtime's "floor:" lines (benchmark hook measure_floor) -> numbers, in console order. */
export function parseFloorLines(console: string): FloorTiming[] {
  const re = /plugsched: floor: an empty stop_machine (\d+) us, this switch's stop_machine (\d+) us \(each from the call to its return\); the walk before stop_machine (\d+) us for (\d+) threads/g;
  return [...console.matchAll(re)].map((m) => ({ emptyStopUs: Number(m[1]), switchStopUs: Number(m[2]), walkUs: Number(m[3]), threads: Number(m[4]) }));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One row of the table: the median stop-machine time of a switch direction at a thread count. */
export interface DowntimeMedian {
  cpus: number;
  threads: number;
  install: boolean;
  stopMachineMs: number;
}

/**
 * How downtime grows with threads (issue #16's shape target): for each vCPU count and
 * direction, the median stop-machine time at 10 000 threads, and at the most threads when
 * that is more, over that at the fewest. Pure.
 */
export function threadRatioLines(rows: DowntimeMedian[]): string[] {
  const out: string[] = [];
  for (const cpus of [...new Set(rows.map((r) => r.cpus))].sort((a, b) => a - b))
    for (const install of [true, false]) {
      const mine = rows.filter((r) => r.cpus === cpus && r.install === install).sort((a, b) => a.threads - b.threads);
      if (mine.length < 2) continue;
      const lo = mine[0];
      const his = [...new Set([mine.find((r) => r.threads === 10000), mine[mine.length - 1]])].filter((r): r is DowntimeMedian => r !== undefined && r !== lo);
      for (const hi of his)
        out.push(`- ${cpus} vCPUs, ${install ? 'install' : 'rollback'}: downtime at ${hi.threads} threads / at ${lo.threads} threads = ${hi.stopMachineMs.toFixed(1)} / ${lo.stopMachineMs.toFixed(1)} ms = ${(hi.stopMachineMs / lo.stopMachineMs).toFixed(2)} x`);
    }
  return out;
}

/** A Vega-Lite spec: median stop-machine time against threads (log scale), a line per vCPU count and direction, and the floor. Pure. */
export function downtimeChartSpec(rows: (DowntimeMedian & { floorMs: number })[], title: string): Record<string, unknown> {
  const values = [
    ...rows.map((r) => ({ threads: r.threads, ms: r.stopMachineMs, series: `${r.cpus} vCPUs, ${r.install ? 'install' : 'rollback'}` })),
    ...[...new Set(rows.map((r) => r.cpus))].flatMap((cpus) =>
      [...new Set(rows.map((r) => r.threads))].map((threads) => ({ threads, ms: median(rows.filter((r) => r.cpus === cpus && r.threads === threads).map((r) => r.floorMs)), series: `${cpus} vCPUs, empty stop_machine` })),
    ),
  ]
    .filter((v) => Number.isFinite(v.ms))
    .sort((a, b) => a.series.localeCompare(b.series) || a.threads - b.threads);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Downtime of a switch against threads', subtitle: title },
    data: { values },
    width: 480,
    height: 300,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'threads', type: 'quantitative', scale: { type: 'log' }, title: 'threads (log scale)' },
      y: { field: 'ms', type: 'quantitative', title: 'stop machine, ms (median)' },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 400 } },
    },
    config: { font: 'sans-serif' },
  };
}

const cpuCount = () => availableParallelism();

export const THREAD_COUNTS = [100, 1000, 10000, 30000];

/**
 * Why a VM is not measured here, or null. 30 000 threads on 4 vCPUs: on this 2-core machine
 * under TCG, their exit after the switches (each thread's stack unmapped: TLB shootdowns to
 * three other emulated CPUs) starved the RCU kernel thread for 20 s and more ("rcu_preempt
 * kthread starved"), with the module already gone; the judge rightly calls that trouble.
 */
export function notMeasured(cpus: number, threads: number, hostCpus: number): string | null {
  return threads > 15000 && cpus > hostCpus ? `${threads} threads on ${cpus} vCPUs of a ${hostCpus}-core machine under TCG starve the RCU kernel thread as they exit (after the switches, the module already unloaded)` : null;
}

/** The table's lines, and the chart (SVG) written to chartFile. */
export async function runtimeDowntime(root: string, cycles: number, chartFile: string): Promise<string[]> {
  const build = spawnSync(join(root, 'node_modules', '.bin', 'nx'), ['run', 'scheduler-x86:module'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`nx run scheduler-x86:module failed:\n${build.stdout}\n${build.stderr}`);
  const devel = await develTree(root, 'debian-6.1-cloud-amd64', () => undefined);
  const ko = join(root, 'dist', 'schedulers', 'scheduler-x86', 'scheduler.ko');
  const rows: string[] = [];
  const floors: string[] = [];
  const medians: (DowntimeMedian & { floorMs: number })[] = [];
  const skipped: string[] = [];
  for (const cpus of [2, 4])
    for (const threads of THREAD_COUNTS) {
      const skip = notMeasured(cpus, threads, cpuCount());
      if (skip !== null) {
        process.stdout.write(`runtime: ${cpus} vCPUs, ${threads} threads: not measured: ${skip}\n`);
        skipped.push(`- ${cpus} vCPUs, ${threads} threads: not measured: ${skip}.`);
        continue;
      }
      const work = mkdtempSync(join(tmpdir(), 'plugsched-bench-vm-'));
      try {
        process.stdout.write(`runtime: ${cpus} vCPUs, ${threads} threads, ${cycles} cycles...\n`);
        const { run, verdict } = await runLiveUpdate({
          workspaceRoot: root, devel, ko, cpus, memMiB: threads > 15000 ? 4096 : 2048, scenarios: ['downtime'], workDir: work,
          env: { DOWNTIME_THREADS: String(threads), DOWNTIME_CYCLES: String(cycles), DOWNTIME_SLEEP_MS: threads > 15000 ? '3000' : threads >= 10000 ? '1000' : '50' },
        });
        if (!verdict.pass) throw new Error(`downtime run failed (${cpus} vCPUs, ${threads} threads): ${verdict.reasons.join('; ')}\nConsole, last lines:\n${run.console.split('\n').slice(-60).join('\n')}`);
        const t = parseSwitchLines(run.console);
        const felt = parseProbeLines(run.console);
        const floor = parseFloorLines(run.console);
        if (t.length === 0) throw new Error(`no timing lines in the console (${cpus} vCPUs, ${threads} threads): is ${ko} built from this checkout?`);
        const floorMs = median(floor.map((f) => f.emptyStopUs)) / 1000;
        for (const install of [true, false]) {
          const s = t.filter((x) => x.install === install);
          const ms = (f: (x: SwitchTiming) => number) => (median(s.map(f)) / 1000).toFixed(1);
          medians.push({ cpus, threads, install, stopMachineMs: median(s.map((x) => x.stopMachineUs)) / 1000, floorMs });
          // what a SCHED_FIFO thread per CPU felt of the same switches (tools/vm/latprobe.c)
          const probeMs = (median(felt.filter((p) => p.switch === (install ? 'install' : 'rollback')).map((p) => p.probeUs)) / 1000).toFixed(1);
          rows.push(`| ${cpus} | ${threads} | ${install ? 'install' : 'rollback'} | ${ms((x) => x.stopMachineUs)} | ${probeMs} | ${ms((x) => x.stackCheckUs)} | ${ms((x) => x.rebuildUs)} | ${ms((x) => x.patchUs)} | ${ms((x) => x.totalUs)} | ${s.length} |`);
        }
        const f = (g: (x: FloorTiming) => number) => median(floor.map(g)) / 1000;
        floors.push(`| ${cpus} | ${threads} | ${f((x) => x.emptyStopUs).toFixed(1)} | ${f((x) => x.switchStopUs).toFixed(1)} | ${(f((x) => x.switchStopUs) / f((x) => x.emptyStopUs)).toFixed(2)} x | ${f((x) => x.walkUs).toFixed(1)} | ${floor.length} |`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
  writeFileSync(chartFile, await renderSvg(downtimeChartSpec(medians, `scheduler-x86 on debian-6.1-cloud-amd64, QEMU TCG; medians of ${cycles} cycles per VM`)));
  return [
    '| vCPUs | threads | switch | stop machine ms | probe longest ms | stack check ms | state rebuild ms | text patching ms | total ms | samples |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(skipped.length > 0 ? ['', ...skipped] : []),
    '',
    'How downtime grows with threads (medians of the stop-machine column):',
    '',
    ...threadRatioLines(medians),
    '',
    "The floor, measured in the same boot before each switch through sysfs: an empty stop_machine on the same CPUs, and the",
    "walk of every task's stack before stop_machine (the module's benchmark hook measure_floor). Both stop_machine figures",
    "here run from the call to its return (they include waking the stopper threads, which the runtime's own figure above does not).",
    '',
    "| vCPUs | threads | empty stop_machine ms | switch's stop_machine ms | downtime / floor | walk of every task ms | samples |",
    '|---|---|---|---|---|---|---|',
    ...floors,
  ];
}
