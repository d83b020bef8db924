import type { ExecutorContext } from '@nx/devkit';
import { analyzeStep } from '../../boundary/analyze-step';
import { runKernelStep, type ExecutorResult } from '../kernel-step';

/** The boundary algorithm: dist/kernels/<id>/boundary/{boundary.json,boundary-doc.yaml,summary.md}. */
export default async function analyzeExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'analyze', async (cfg, log) => {
    await analyzeStep(context.root, cfg, log);
    return null;
  });
}
