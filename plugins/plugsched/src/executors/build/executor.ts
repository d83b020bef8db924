import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { buildPackages } from '../../package/build-packages';
import { PlugschedError } from '../../util/errors';
import { guestProgram } from '../../vm/helpers';
import { toolPath } from '../../util/tools';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

/** The variant's packages: dist/schedulers/<name>/packages/{*.rpm,*.deb}. */
export default async function buildExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, ['packages'], async ({ workspaceRoot, scheduler, kernel, outDir, log }) => {
    const ko = join(outDir, 'scheduler.ko');
    const summary = join(workspaceRoot, 'dist', 'kernels', kernel.id, 'boundary', 'summary.md');
    for (const f of [ko, summary])
      if (!existsSync(f)) throw new PlugschedError(`${f.replace(`${workspaceRoot}/`, '')} is missing; run "nx run ${scheduler.name}:module" first.`);
    const devel = await ensureDevel(kernel, log);
    const resolver = await guestProgram(toolPath(workspaceRoot, 'installer', 'symbol-resolve.c'), devel.arch);
    const built = await buildPackages(
      { variant: scheduler.name, version: scheduler.version, description: scheduler.description, kernelId: kernel.id, release: devel.kernelRelease, arch: devel.arch },
      { ko, installer: toolPath(workspaceRoot, 'installer', 'plugsched-install'), resolver, boundarySummary: readFileSync(summary, 'utf8') },
      join(outDir, 'packages'),
      log,
    );
    log(`build: wrote dist/schedulers/${scheduler.name}/packages/${built.rpm.split('/').pop()} and ${built.deb.split('/').pop()}`);
  });
}
