import type { ExecutorContext } from '@nx/devkit';
import { collectStep } from '../../boundary/collect-step';
import { runKernelStep, type ExecutorResult } from '../kernel-step';

/** Compile the scheduler units with the collector GCC plugin: dist/kernels/<id>/collect/*.json. */
export default async function collectExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'collect', async (cfg, log) => {
    const units = await collectStep(context.root, cfg, log);
    log(`collect: ${units.map((u) => `${u.unit} (${u.functions.length} functions)`).join(', ')}`);
    return null;
  });
}
