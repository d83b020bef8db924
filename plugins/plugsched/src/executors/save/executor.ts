import { relative, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { PlugschedError } from '../../util/errors';
import { patchesOfWorktree, worktreeDir, worktreeState, writePatchSeries } from '../../workflow/worktree';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

/** The commits of schedulers/<name>/edit after its base, written back as patches/NNNN-<subject>.patch. */
export default async function saveExecutor(_options: Record<string, never>, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, [], async ({ workspaceRoot, scheduler, log }) => {
    const dir = worktreeDir(scheduler.dir);
    const shown = relative(workspaceRoot, dir);
    const state = await worktreeState(dir);
    if (state === null) throw new PlugschedError(`There is no editable tree for ${scheduler.name} (${shown}). Run "nx run ${scheduler.name}:edit" first, change files there and commit.`);
    if (state.dirty.length > 0)
      throw new PlugschedError(
        `${shown} has ${state.dirty.length} uncommitted change(s) (${state.dirty.slice(0, 5).map((l) => l.slice(3)).join(', ')}). Commit them ("cd ${shown} && git commit -am '<what it changes>'", one commit per patch) and run "nx run ${scheduler.name}:save" again.`,
      );
    const patches = await patchesOfWorktree(dir);
    writePatchSeries(join(scheduler.dir, 'patches'), patches);
    log(`save: ${patches.length} patch(es) in ${relative(workspaceRoot, join(scheduler.dir, 'patches'))}${patches.length > 0 ? `: ${patches.map(([n]) => n).join(', ')}` : ''}`);
  });
}
