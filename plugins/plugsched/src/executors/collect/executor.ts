import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { collectStep } from '../../boundary/collect-step';
import { kernelDist } from '../../boundary/pipeline';
import { COMPILE_INPUTS_FILE, compileInputsText } from '../../plugin/print-runtime-input';
import { writeFileAtomic } from '../../util/fs-atomic';
import { runKernelStep, type ExecutorResult } from '../kernel-step';

/**
 * Compile the scheduler units with the collector GCC plugin: dist/kernels/<id>/collect/*.json,
 * and beside them compile-inputs.txt, the text of the compilers' runtime input this run was hashed
 * with (read before the work, as Nx read it just before), so that a kernel's variants hash the
 * compilers without running that command once more per task.
 */
export default async function collectExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'collect', async (cfg, log) => {
    const inputs = await compileInputsText(context.root, cfg.id);
    const units = await collectStep(context.root, cfg, log);
    writeFileAtomic(join(kernelDist(context.root, cfg.id, 'collect'), COMPILE_INPUTS_FILE), inputs);
    log(`collect: ${units.map((u) => `${u.unit} (${u.functions.length} functions)`).join(', ')}`);
    return null;
  });
}
