import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { PlugschedError } from '../../util/errors';
import { runLiveUpdate } from '../../vm/live-update';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

export interface VmTestOptions {
  cpus?: number[];
  threads?: number;
}

/** Live-update the variant's kernel in QEMU: dist/schedulers/<name>/vm-test/{report.json,vm-<cpus>.log}. */
export default async function vmTestExecutor(options: VmTestOptions, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, ['vm-test'], async ({ workspaceRoot, scheduler, kernel, outDir, log }) => {
    const devel = await ensureDevel(kernel, log);
    const dir = join(outDir, 'vm-test');
    mkdirSync(dir, { recursive: true });
    const report: { cpus: number; pass: boolean; checks: { scenario: string; check: string; pass: boolean }[]; reasons: string[] }[] = [];
    for (const cpus of options.cpus ?? [2, 4]) {
      log(`vm-test: booting ${devel.kernelRelease} with ${cpus} vCPUs, ${options.threads ?? 1000} threads, installing ${scheduler.name}...`);
      const { run, verdict } = await runLiveUpdate({ workspaceRoot, devel, ko: join(outDir, 'scheduler.ko'), cpus, threads: options.threads, expectMessage: scheduler.marker ?? undefined, workDir: dir, logFile: join(dir, `vm-${cpus}.log`) });
      for (const s of verdict.scenarios) for (const c of s.checks) log(`  ${c.pass ? 'ok  ' : 'FAIL'} ${s.name}/${c.name}: ${c.evidence}`);
      log(`vm-test: ${cpus} vCPUs: ${verdict.pass ? 'pass' : `FAIL (${verdict.reasons.join('; ')})`} (${run.accel}, ${run.seconds.toFixed(1)} s)`);
      report.push({ cpus, pass: verdict.pass, checks: verdict.scenarios.flatMap((s) => s.checks.map((c) => ({ scenario: s.name, check: c.name, pass: c.pass }))), reasons: verdict.reasons });
    }
    writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const failed = report.filter((r) => !r.pass);
    if (failed.length > 0) throw new PlugschedError(`vm-test of ${scheduler.name} failed with ${failed.map((r) => `${r.cpus} vCPUs (${r.reasons.join('; ')})`).join(', ')}. Console logs: dist/schedulers/${scheduler.name}/vm-test/.`);
  });
}
