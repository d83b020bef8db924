import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { PlugschedError } from '../../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs-atomic';
import { benchWorkloads, compileWorkloads, pickWorkloads, runBench } from '../../vm/bench';
import { benchMarkdown, latencyChartSpec, parseBenchLines, readmeSection, renderSvg, ruleText, summarize, withReadmeSection, type BenchReport } from '../../vm/bench-report';
import { chanceOfSeparation } from '../../vm/bench-stats';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

export interface BenchExecutorOptions {
  rounds?: number;
  seconds?: number;
  workloads?: string[] | string;
  cpus?: number;
  memory?: number;
  tcg?: 'multi' | 'single';
  readme?: boolean;
}

export const MIN_ROUNDS = 3;

const OUTPUTS = ['bench.json', 'bench.md', 'bench.svg', 'bench.log'];

/** A/B bench of the variant against the built-in scheduler in one VM: dist/schedulers/<name>/bench.{json,md,svg,log}. */
export default async function benchExecutor(options: BenchExecutorOptions, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, OUTPUTS, async ({ workspaceRoot, scheduler, kernel, outDir, log }) => {
    const rounds = options.rounds ?? 3;
    const seconds = options.seconds ?? 2;
    const cpus = options.cpus ?? 2;
    const tcg = options.tcg ?? 'multi';
    if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS)
      throw new PlugschedError(`bench needs at least ${MIN_ROUNDS} rounds of each scheduler (--rounds=${rounds}): its verdict calls a metric different only when the two schedulers' ranges over the rounds do not overlap, and with ${rounds} round(s) each that happens by chance ${(100 * chanceOfSeparation(Math.max(1, Math.floor(rounds) || 1))).toFixed(0)} % of the time with no difference at all (${(100 * chanceOfSeparation(MIN_ROUNDS)).toFixed(0)} % at ${MIN_ROUNDS}). Run with --rounds=${MIN_ROUNDS} or more.`);
    const projectRoot = context.projectsConfigurations?.projects[scheduler.name]?.root ?? join('schedulers', scheduler.name);
    const schedulerDir = join(workspaceRoot, projectRoot);
    const names = typeof options.workloads === 'string' ? options.workloads.split(',').map((s) => s.trim()).filter(Boolean) : options.workloads;
    const workloads = pickWorkloads(names, benchWorkloads(workspaceRoot, schedulerDir));
    const readmeFile = join(schedulerDir, 'README.md');
    // a README that cannot take the table fails now, not after the VM
    if (options.readme) withReadmeSection(existsSync(readmeFile) ? readFileSync(readmeFile, 'utf8') : '', '', relative(workspaceRoot, readmeFile));

    const ko = join(outDir, 'scheduler.ko');
    if (!existsSync(ko)) throw new PlugschedError(`No ${relative(workspaceRoot, ko)}: run "nx run ${scheduler.name}:module" first (nx run ${scheduler.name}:bench does it through dependsOn).`);
    const devel = await ensureDevel(kernel, log);
    log(`bench: compiling ${workloads.length} workloads for the ${devel.arch} guest: ${workloads.map((w) => w.name).join(', ')}`);
    const programs = await compileWorkloads(workspaceRoot, workloads, devel.arch);

    const work = mkdtempSync(join(tmpdir(), 'plugsched-bench-'));
    try {
      log(`bench: booting ${devel.kernelRelease} in QEMU with ${cpus} vCPUs; ${rounds} rounds of each scheduler, ${workloads.length} workloads of ${seconds} s each per round`);
      const { run, verdict, pace } = await runBench({ workspaceRoot, devel, ko, workloads, programs, rounds, seconds, cpus, memMiB: options.memory, tcg, workDir: work, log });
      writeFileAtomic(join(outDir, 'bench.log'), run.console);
      if (!verdict.pass) {
        const lines = run.console.split('\n');
        const first = verdict.trouble.length > 0 ? lines.findIndex((l) => l.includes(verdict.trouble[0].line)) : -1;
        const trouble = first < 0 ? '' : `\nConsole:\n${lines.slice(first, first + 40).map((l) => `  ${l.replace(/\r$/, '')}`).join('\n')}`;
        throw new PlugschedError(`bench of ${scheduler.name} failed: ${verdict.reasons.join('; ')}${run.stopped ? ` (the VM was stopped ${run.stopped})` : ''}.${trouble}\nFull console: dist/schedulers/${scheduler.name}/bench.log. No results were written.`);
      }
      const metrics = summarize(parseBenchLines(run.console), rounds, workloads.map((w) => w.name));
      const report: BenchReport = {
        variant: scheduler.name,
        kernel: kernel.id,
        release: devel.kernelRelease,
        cpus,
        accel: run.accel,
        tcg,
        pace,
        rounds,
        seconds,
        order: 'built-in, variant, built-in, variant, ...',
        rule: { text: ruleText(rounds), chanceOfSeparationWithoutDifference: chanceOfSeparation(rounds) },
        workloads: workloads.map((w) => ({ name: w.name, source: relative(workspaceRoot, w.src), args: w.args })),
        metrics,
      };
      const spec = latencyChartSpec(report);
      const svg = spec === null ? null : await renderSvg(spec);
      const md = benchMarkdown(report);
      const readme = options.readme ? withReadmeSection(readFileSync(readmeFile, 'utf8'), readmeSection(report), relative(workspaceRoot, readmeFile)) : null;
      // every output is complete before the first is written
      writeJsonAtomic(join(outDir, 'bench.json'), report);
      writeFileAtomic(join(outDir, 'bench.md'), md);
      if (svg !== null) writeFileAtomic(join(outDir, 'bench.svg'), svg);
      if (readme !== null) writeFileAtomic(readmeFile, readme);
      for (const k of Object.keys(metrics).sort()) {
        const m = metrics[k];
        log(`  ${k.padEnd(32)} built-in ${m.builtin.median.toPrecision(4).padStart(10)}  ${scheduler.name} ${m.variant.median.toPrecision(4).padStart(10)} ${m.unit.padEnd(6)} ratio ${m.ratio === null ? '-' : m.ratio.toFixed(2)}  ${m.verdict}`);
      }
      log(`bench: ${scheduler.name} done (${run.accel}, ${run.seconds.toFixed(0)} s): dist/schedulers/${scheduler.name}/bench.md, bench.json${svg === null ? '' : ', bench.svg'}${readme === null ? '' : `; ${relative(workspaceRoot, readmeFile)} updated`}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
