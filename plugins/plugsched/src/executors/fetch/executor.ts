import type { ExecutorContext } from '@nx/devkit';
import { ensurePackages } from '../../kernel/packages';
import { runKernelStep, type ExecutorResult } from '../kernel-step';

/** Fetch every package of the kernel (local package dir first, then apt) and verify its sha256. */
export default async function fetchExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runKernelStep(context, 'fetch', async (cfg, log) => {
    const pkgs = await ensurePackages(cfg, null, log);
    return {
      kernel: cfg.id,
      release: cfg.release,
      packages: pkgs.map((p) => ({ role: p.role, name: p.name, version: p.version, file: p.fileName, sha256: p.sha256, size: p.size })),
    };
  });
}
