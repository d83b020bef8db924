import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { loadSchedulerConfig, type SchedulerConfig } from '../config/scheduler-config';
import { loadKernel } from '../kernel/artifacts';
import type { KernelConfig } from '../config/kernel-config';
import { reportFailure, type ExecutorResult } from './kernel-step';
import type { Logger } from '../util/progress';

export interface SchedulerStepContext {
  workspaceRoot: string;
  scheduler: SchedulerConfig;
  kernel: KernelConfig;
  /** dist/schedulers/<name> (absolute). */
  outDir: string;
  log: Logger;
}

/** Shared shape of scheduler targets: load scheduler.yaml and its kernel, run the step, report errors in plain words. */
export async function runSchedulerStep(context: ExecutorContext, cleanOutputs: string[], work: (ctx: SchedulerStepContext) => Promise<void>): Promise<ExecutorResult> {
  const name = context.projectName as string;
  const outDir = join(context.root, 'dist', 'schedulers', name);
  for (const o of cleanOutputs) rmSync(join(outDir, o), { recursive: true, force: true });
  try {
    const root = context.projectsConfigurations?.projects[name]?.root ?? join('schedulers', name);
    const scheduler = loadSchedulerConfig(join(root, 'scheduler.yaml'), context.root);
    const kernel = loadKernel(context.root, scheduler.kernel);
    await work({ workspaceRoot: context.root, scheduler, kernel, outDir, log: (l) => logger.info(l) });
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
