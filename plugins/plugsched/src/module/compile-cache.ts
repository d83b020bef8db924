/**
 * What lets a module rebuild compile only what changed: ccache in front of the kernel's compiler,
 * and a build directory whose path stays the same from one build of a variant to the next.
 *
 * Every object of a module is compiled with -DKBUILD_MODNAME=<the module's name>, and the name
 * changes with every change to the sources (build-module.ts moduleName), so kbuild's own
 * incremental build would recompile every unit. ccache's preprocessor mode hashes the
 * preprocessed unit and the options that are not preprocessor options: a unit that does not use
 * KBUILD_MODNAME (the scheduler's four) is the same entry whatever the name, and one that changed
 * is compiled again. The compiler (path, size, mtime), every option and every header a unit
 * includes are in ccache's key, so a hit is the object this compiler makes of these bytes. The
 * build directory's path is in the options (-ffile-prefix-map) and in the preprocessed text, hence
 * a fixed one per output file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lock } from 'proper-lockfile';
import { storeRoot } from '../kernel/locations';
import { haveTool } from '../util/run';

/** Big enough for every variant of a few kernels (a scheduler unit's object is 1-2 MB). */
const CCACHE_MAX_SIZE = '5G';

export interface CompileCache {
  /** The make CC= value: the compiler behind ccache. */
  cc: string;
  /** Environment for make. */
  env: Record<string, string>;
}

/** ccache's settings when it is installed (tools/setup installs it), else the compiler alone. */
export function compileCache(cc: string): CompileCache {
  if (!haveTool('ccache')) return { cc, env: {} };
  return { cc: `ccache ${cc}`, env: { CCACHE_DIR: join(storeRoot(), 'ccache'), CCACHE_MAXSIZE: CCACHE_MAX_SIZE } };
}

/**
 * An empty build directory for `outFile`, the same path every time, held until `release` is
 * called (a second build of the same output waits for the first).
 */
export async function fixedWorkDir(outFile: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const dir = join(tmpdir(), `plugsched-module-${createHash('sha256').update(resolve(outFile)).digest('hex').slice(0, 16)}`);
  const lockPath = `${dir}.lock`;
  const unlock = await lock(lockPath, { lockfilePath: lockPath, realpath: false, stale: 60_000, update: 10_000, retries: { retries: 120, minTimeout: 1000, maxTimeout: 1000 } });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    release: async () => {
      rmSync(dir, { recursive: true, force: true });
      await unlock();
    },
  };
}
