import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { buildModule } from '../../module/build-module';
import { PlugschedError } from '../../util/errors';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

/** kbuild of the variant's sources against the kernel's devel tree: dist/schedulers/<name>/scheduler.ko. */
export default async function moduleExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, ['scheduler.ko'], async ({ scheduler, kernel, outDir, log }) => {
    const src = join(outDir, 'src');
    if (!existsSync(src)) throw new PlugschedError(`The patched scheduler sources of ${scheduler.name} are missing (dist/schedulers/${scheduler.name}/src). Run "nx run ${scheduler.name}:apply-patches".`);
    const devel = await ensureDevel(kernel, log);
    await buildModule({ srcDir: src, outKo: join(outDir, 'scheduler.ko'), devel, scheduler, kernelId: kernel.id, kernel, log });
    log(`module: wrote dist/schedulers/${scheduler.name}/scheduler.ko`);
  });
}
