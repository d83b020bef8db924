import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { extractStep } from '../../boundary/extract-step';
import { runKernelStep, type ExecutorResult } from '../kernel-step';
import { toolPath } from '../../util/tools';

/** The module code base: dist/kernels/<id>/mod (extracted scheduler, generated glue, runtime). */
export default async function extractExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'extract', async (cfg, log) => {
    const runtime = toolPath(context.root, 'runtime');
    await extractStep(context.root, cfg, log, existsSync(join(runtime, 'runtime.c')) ? runtime : null);
    return null;
  });
}
