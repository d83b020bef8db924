import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { PlugschedError } from '../../util/errors';
import { withVariantBase } from '../../module/variant-sidecars';
import { createWorktree, patchesOfWorktree, worktreeDir, worktreeState } from '../../workflow/worktree';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

export interface EditOptions {
  force?: boolean;
}

/** Work in the tree that `save` has not written back: uncommitted changes, or commits that differ from patches/. */
async function unsavedWork(dir: string, patches: string[]): Promise<string | null> {
  const state = await worktreeState(dir);
  if (state === null) return null;
  if (state.dirty.length > 0) return `${state.dirty.length} uncommitted change(s)`;
  const saved = patches.map((p) => [basename(p), readFileSync(p, 'utf8')]);
  const current = await patchesOfWorktree(dir);
  const same = current.length === saved.length && current.every(([n, t], i) => n === saved[i][0] && t === saved[i][1]);
  return same ? null : `${current.length} commit(s) not saved as patches`;
}

/** schedulers/<name>/edit: a git tree of the kernel's extracted scheduler with one commit per patch. */
export default async function editExecutor(options: EditOptions, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, [], async ({ workspaceRoot, scheduler, kernel, log }) => {
    const base = join(workspaceRoot, 'dist', 'kernels', kernel.id, 'mod');
    if (!existsSync(base)) throw new PlugschedError(`The extracted scheduler of ${kernel.id} is missing (dist/kernels/${kernel.id}/mod). Run "nx run ${kernel.id}:extract" (nx run ${scheduler.name}:edit does it first through dependsOn).`);
    const dir = worktreeDir(scheduler.dir);
    const shown = relative(workspaceRoot, dir);
    const unsaved = await unsavedWork(dir, scheduler.patches);
    if (unsaved !== null && !options.force)
      throw new PlugschedError(`${shown} has work that is not in ${relative(workspaceRoot, join(scheduler.dir, 'patches'))}: ${unsaved}. Run "nx run ${scheduler.name}:save" to keep it (commit first), or "nx run ${scheduler.name}:edit --force" to throw it away.`);
    if (existsSync(join(dir, '.git')) && unsaved === null) log(`edit: ${shown} matches the patches; making it afresh from ${kernel.id} ${kernel.version}`);
    // a variant with sidecars of its own starts from its own base (module/variant-sidecars.ts)
    await withVariantBase(workspaceRoot, scheduler, kernel, log, (baseDir) =>
      createWorktree({ dir, baseDir, patches: scheduler.patches, label: `the extracted scheduler of ${kernel.id} ${kernel.version} (${kernel.release})${scheduler.sidecars.length > 0 ? ` with the sidecars of ${scheduler.file}` : ''}`, workspaceRoot, variant: scheduler.name, kernel: kernel.id }),
    );
    log(`edit: ${shown} is a git tree: the base commit (tag plugsched-base) and one commit per patch (${scheduler.patches.length}).`);
    log(`edit: change files there and commit (one commit per patch), then "nx run ${scheduler.name}:save"; "nx run ${scheduler.name}:watch" rebuilds the module on every change.`);
  });
}
