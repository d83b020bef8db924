import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { watch } from 'chokidar';
import { loadSchedulerConfig } from '../../config/scheduler-config';
import { ensureDevel } from '../../kernel/devel';
import { loadKernel } from '../../kernel/artifacts';
import { buildModule } from '../../module/build-module';
import { PlugschedError } from '../../util/errors';
import { worktreeDir } from '../../workflow/worktree';
import { reportFailure, type ExecutorResult } from '../kernel-step';

export interface WatchOptions {
  /** Quiet time after the last change before a build starts, in milliseconds. */
  debounce?: number;
}

/**
 * Rebuild the module from schedulers/<name>/edit whenever a file there
 * changes (committed or not) and print the result; the module goes to
 * dist/schedulers/<name>/watch/scheduler.ko, apart from the cached build.
 * Runs until interrupted; yields one result per build.
 */
export default async function* watchExecutor(options: WatchOptions, context: ExecutorContext): AsyncGenerator<ExecutorResult> {
  const name = context.projectName as string;
  const root = context.projectsConfigurations?.projects[name]?.root ?? join('schedulers', name);
  let setup;
  try {
    const scheduler = loadSchedulerConfig(join(root, 'scheduler.yaml'), context.root);
    const kernel = loadKernel(context.root, scheduler.kernel);
    const dir = worktreeDir(scheduler.dir);
    if (!existsSync(join(dir, '.git'))) throw new PlugschedError(`There is no editable tree for ${name} (${relative(context.root, dir)}). Run "nx run ${name}:edit" first.`);
    const devel = await ensureDevel(kernel, (l) => logger.info(l));
    setup = { scheduler, kernel, dir, devel };
  } catch (e) {
    yield reportFailure(e);
    return;
  }
  const { scheduler, kernel, dir, devel } = setup;
  const outKo = join(context.root, 'dist', 'schedulers', name, 'watch', 'scheduler.ko');
  const shownDir = relative(context.root, dir);
  const build = async (): Promise<ExecutorResult> => {
    const started = Date.now();
    const snapshot = mkdtempSync(join(tmpdir(), 'plugsched-watch-'));
    try {
      cpSync(dir, snapshot, { recursive: true, filter: (src) => !src.split('/').includes('.git') });
      await buildModule({ srcDir: snapshot, outKo, devel, scheduler, kernelId: kernel.id, kernel, log: () => undefined });
      logger.info(`watch: built ${relative(context.root, outKo)} from ${shownDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { success: true };
    } catch (e) {
      logger.error(`watch: the build from ${shownDir} failed after ${((Date.now() - started) / 1000).toFixed(1)} s:`);
      return reportFailure(e);
    } finally {
      rmSync(snapshot, { recursive: true, force: true });
    }
  };

  // changes arriving during a build queue one more build, never more
  let wake: (() => void) | null = null;
  let pending = true;
  let timer: NodeJS.Timeout | null = null;
  const watcher = watch(dir, { ignoreInitial: true, ignored: (p: string) => p.split('/').includes('.git') });
  watcher.on('all', (_event, path) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      logger.info(`watch: ${relative(dir, path)} changed`);
      pending = true;
      wake?.();
    }, options.debounce ?? 300);
  });
  await new Promise<void>((r) => watcher.on('ready', () => r()));
  logger.info(`watch: watching ${shownDir} (Ctrl-C to stop)`);
  try {
    for (;;) {
      if (!pending) await new Promise<void>((r) => (wake = r));
      wake = null;
      pending = false;
      yield await build();
    }
  } finally {
    await watcher.close();
  }
}
