import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import type { KernelConfig } from '../config/kernel-config';
import { kernelManifestPath, loadKernel } from '../kernel/artifacts';
import { writeJsonAtomic } from '../util/fs-atomic';
import { isPlugschedError } from '../util/errors';
import type { Logger } from '../util/progress';

export interface ExecutorResult {
  success: boolean;
}

/** Turn an error into the one paragraph a person needs; bugs keep their stack. */
export function reportFailure(e: unknown): ExecutorResult {
  if (isPlugschedError(e)) logger.error(`\n${e.message}\n`);
  else logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return { success: false };
}

/**
 * Shared shape of the kernel targets: load kernels/<project>/kernel.yaml, do
 * the step, write its manifest (if it has one) to dist/kernels/<project>/<step>.json.
 * The old manifest is removed first, so a failed step leaves nothing behind.
 */
export async function runKernelStep(context: ExecutorContext, step: string, work: (cfg: KernelConfig, log: Logger) => Promise<object | null>): Promise<ExecutorResult> {
  const name = context.projectName as string;
  const out = kernelManifestPath(context.root, name, step);
  rmSync(out, { force: true });
  try {
    const root = context.projectsConfigurations?.projects[name]?.root ?? join('kernels', name);
    const cfg = loadKernel(context.root, root.split('/').pop() as string);
    const log: Logger = (line) => logger.info(line);
    const manifest = await work(cfg, log);
    if (manifest !== null) {
      writeJsonAtomic(out, manifest);
      logger.info(`${step}: wrote dist/kernels/${name}/${step}.json`);
    }
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
