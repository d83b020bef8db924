/**
 * Runtime downtime: install and roll back scheduler-x86 in the VM harness
 * under 100, 1 000 and 10 000 threads with 2 and 4 vCPUs, and take the
 * runtime's own timing lines (stop machine, stack check, state rebuild,
 * text patching, total) and the latency probe's longest wakeup delay during
 * each switch (vm-test's PLUGSCHED-PROBE lines). Medians over the cycles of each VM.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { develTree } from '../../plugins/plugsched/src/kernel/artifacts';
import { runLiveUpdate } from '../../plugins/plugsched/src/vm/live-update';
import { parseProbeLines } from '../../plugins/plugsched/src/vm/probe';

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
 * direction, the median stop-machine time at the most threads over that at the fewest. Pure.
 */
export function threadRatioLines(rows: DowntimeMedian[]): string[] {
  const out: string[] = [];
  for (const cpus of [...new Set(rows.map((r) => r.cpus))].sort((a, b) => a - b))
    for (const install of [true, false]) {
      const mine = rows.filter((r) => r.cpus === cpus && r.install === install).sort((a, b) => a.threads - b.threads);
      if (mine.length < 2) continue;
      const lo = mine[0];
      const hi = mine[mine.length - 1];
      out.push(`- ${cpus} vCPUs, ${install ? 'install' : 'rollback'}: downtime at ${hi.threads} threads / at ${lo.threads} threads = ${hi.stopMachineMs.toFixed(1)} / ${lo.stopMachineMs.toFixed(1)} ms = ${(hi.stopMachineMs / lo.stopMachineMs).toFixed(2)} x`);
    }
  return out;
}

export async function runtimeDowntime(root: string, cycles: number): Promise<string[]> {
  const build = spawnSync(join(root, 'node_modules', '.bin', 'nx'), ['run', 'scheduler-x86:module'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`nx run scheduler-x86:module failed:\n${build.stdout}\n${build.stderr}`);
  const devel = await develTree(root, 'debian-6.1-cloud-amd64', () => undefined);
  const ko = join(root, 'dist', 'schedulers', 'scheduler-x86', 'scheduler.ko');
  const rows: string[] = [];
  const medians: DowntimeMedian[] = [];
  for (const cpus of [2, 4])
    for (const threads of [100, 1000, 10000]) {
      const work = mkdtempSync(join(tmpdir(), 'plugsched-bench-vm-'));
      try {
        process.stdout.write(`runtime: ${cpus} vCPUs, ${threads} threads, ${cycles} cycles...\n`);
        const { run, verdict } = await runLiveUpdate({
          workspaceRoot: root, devel, ko, cpus, memMiB: 2048, scenarios: ['downtime'], workDir: work,
          env: { DOWNTIME_THREADS: String(threads), DOWNTIME_CYCLES: String(cycles), DOWNTIME_SLEEP_MS: threads >= 10000 ? '1000' : '50' },
        });
        if (!verdict.pass) throw new Error(`downtime run failed (${cpus} vCPUs, ${threads} threads): ${verdict.reasons.join('; ')}`);
        const t = parseSwitchLines(run.console);
        const felt = parseProbeLines(run.console);
        if (t.length === 0) throw new Error(`no timing lines in the console (${cpus} vCPUs, ${threads} threads): is ${ko} built from this checkout?`);
        for (const install of [true, false]) {
          const s = t.filter((x) => x.install === install);
          const ms = (f: (x: SwitchTiming) => number) => (median(s.map(f)) / 1000).toFixed(1);
          medians.push({ cpus, threads, install, stopMachineMs: median(s.map((x) => x.stopMachineUs)) / 1000 });
          // what a SCHED_FIFO thread per CPU felt of the same switches (tools/vm/latprobe.c)
          const probeMs = (median(felt.filter((p) => p.switch === (install ? 'install' : 'rollback')).map((p) => p.probeUs)) / 1000).toFixed(1);
          rows.push(`| ${cpus} | ${threads} | ${install ? 'install' : 'rollback'} | ${ms((x) => x.stopMachineUs)} | ${probeMs} | ${ms((x) => x.stackCheckUs)} | ${ms((x) => x.rebuildUs)} | ${ms((x) => x.patchUs)} | ${ms((x) => x.totalUs)} | ${s.length} |`);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
  return [
    '| vCPUs | threads | switch | stop machine ms | probe longest ms | stack check ms | state rebuild ms | text patching ms | total ms | samples |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'How downtime grows with threads (medians of the stop-machine column):',
    '',
    ...threadRatioLines(medians),
  ];
}
