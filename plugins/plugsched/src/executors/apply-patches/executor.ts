import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { applyPatches } from '../../module/apply-patches';
import { changedHalfEffect } from '../../module/half-effect';
import { extractWithVariantSidecars } from '../../module/variant-sidecars';
import { PlugschedError } from '../../util/errors';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

/**
 * The kernel's extracted scheduler (with the variant's own sidecars, when
 * scheduler.yaml lists some) plus this variant's patches, in order, into
 * dist/schedulers/<name>/src.
 */
export default async function sourcesExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, ['src'], async ({ workspaceRoot, scheduler, kernel, outDir, log }) => {
    const base = join(workspaceRoot, 'dist', 'kernels', kernel.id, 'mod');
    if (!existsSync(base))
      throw new PlugschedError(`${scheduler.file}: the extracted scheduler of kernel "${kernel.id}" is missing (dist/kernels/${kernel.id}/mod). Run "nx run ${kernel.id}:extract" (nx run ${scheduler.name}:sources does it first through dependsOn).`);
    const tmp = join(outDir, `.src-tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    try {
      // a variant with sidecars of its own: the kernel's extraction again, with them (module/variant-sidecars.ts)
      if (scheduler.sidecars.length > 0) await extractWithVariantSidecars(workspaceRoot, scheduler, kernel, tmp, log);
      else cpSync(base, tmp, { recursive: true });
      await applyPatches(tmp, scheduler.patches, { workspaceRoot, variant: scheduler.name, kernel: kernel.id });
      const read = (root: string) => (file: string) => (existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8') : null);
      const half = changedHalfEffect(read(base), read(tmp));
      if (half.length > 0)
        throw new PlugschedError(
          half
            .map(
              (f) =>
                `The patches of ${scheduler.name} (schedulers/${scheduler.name}/patches) change ${f.name}() in ${f.file}, a change that would take half effect: ${f.why}. ` +
                `Leave ${f.name}() as it is and make the change where the kernel's tail reaches the module: in a sched_class method it calls (task_dead, switched_from, ...), or in __schedule before the switch; then run "nx run ${scheduler.name}:apply-patches" again.`,
            )
            .join('\n'),
        );
      renameSync(tmp, join(outDir, 'src'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    log(`apply-patches: ${scheduler.patches.length} patch(es) applied to the extracted scheduler of ${kernel.id}`);
  });
}
