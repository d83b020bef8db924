import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { runKernelStep, type ExecutorResult } from '../kernel-step';

/** Unpack the devel tree, debug vmlinux and boot image into the store, relocated to build modules where they are. */
export default async function develExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'devel', async (cfg, log) => (await ensureDevel(cfg, log)).manifest);
}
