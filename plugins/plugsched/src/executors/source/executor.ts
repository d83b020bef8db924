import type { ExecutorContext } from '@nx/devkit';
import { ensureSource } from '../../kernel/source';
import { runKernelStep, type ExecutorResult } from '../kernel-step';

/** Unpack the kernel source (with the distro's patches) into the store. */
export default async function sourceExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'source', async (cfg, log) => (await ensureSource(cfg, log)).manifest);
}
