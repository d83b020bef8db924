import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lock as lockDirectory } from 'proper-lockfile';
import { PlugschedError } from '../util/errors';
import { stableHash } from '../util/hash';
import { writeJsonAtomic } from '../util/fs-atomic';
import { defaultLogger, type Logger } from '../util/progress';
import { storeRoot } from './locations';

/**
 * Content-addressed store for large trees (kernel source, devel tree, debug
 * vmlinux). An entry's name is its kind plus the hash of everything that made
 * it; an entry directory exists only when complete (built in a temp dir and
 * renamed into place), so nothing half-made is ever trusted. A lock keeps two
 * processes from building the same entry twice: a directory (proper-lockfile)
 * whose holder refreshes its mtime while it builds, so a lock that nobody has
 * refreshed for LOCK_STALE_MS belongs to a process that died and is taken over.
 */

export interface EntryRecipe {
  kind: string;
  /** A hash of the code that makes the entry (util/code-closure.ts codeHash). */
  recipe: string;
  /** Everything that determines the content (package hashes, options). */
  inputs: Record<string, unknown>;
}

export function entryKey(r: EntryRecipe): string {
  return `${r.kind}-${stableHash(r).slice(0, 32)}`;
}

export function hasEntry(key: string, root = storeRoot()): boolean {
  return existsSync(join(root, key, '.entry.json'));
}

/** A lock not refreshed for this long is stale: its owner died (or was stopped). */
const LOCK_STALE_MS = 30_000;
/** How often the holder refreshes its lock: well inside LOCK_STALE_MS, so a busy event loop does not lose it. */
const LOCK_UPDATE_MS = 5_000;

interface HeldLock {
  /** Set when another process took the lock over because this one did not refresh it in time. */
  lost: Error | null;
  release(): Promise<void>;
}

/** Take the lock directory, or return null while a live process holds it. */
async function tryLock(lockDir: string): Promise<HeldLock | null> {
  const held: HeldLock = { lost: null, release: async () => undefined };
  try {
    const release = await lockDirectory(lockDir, {
      lockfilePath: lockDir,
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_UPDATE_MS,
      retries: 0,
      onCompromised: (e) => {
        held.lost = e;
      },
    });
    // A lock that was taken over is the new owner's: leave it.
    held.release = async () => {
      if (held.lost === null) await release();
    };
    return held;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait for the lock of `key`, saying once that another process holds it. */
async function acquire(lockDir: string, key: string, log: Logger): Promise<HeldLock> {
  let waited = false;
  for (;;) {
    const held = await tryLock(lockDir);
    if (held !== null) return held;
    if (!waited) log(`store: waiting for another process that is making ${key}`);
    waited = true;
    await sleep(500);
  }
}

function lockLost(key: string): PlugschedError {
  return new PlugschedError(
    `store: another process took over the lock of ${key} while this one was making it: this process did not refresh the lock for ${LOCK_STALE_MS / 1000} s (its event loop was blocked, or the machine slept). ` +
      `Nothing was written; run again, and the entry is made once.`,
  );
}

/**
 * Return the path of a complete entry, building it with `build(tmpDir)` when
 * missing. `build` writes into the empty temp dir it is given; it is renamed
 * into place only when `build` resolves.
 */
export async function materialize(recipe: EntryRecipe, build: (dir: string) => Promise<void>, log: Logger = defaultLogger, root = storeRoot()): Promise<string> {
  const key = entryKey(recipe);
  const final = join(root, key);
  if (hasEntry(key, root)) return final;
  mkdirSync(join(root, '.locks'), { recursive: true });
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const held = await acquire(join(root, '.locks', key), key, log);
  try {
    if (hasEntry(key, root)) return final;
    // We hold the lock: any temp dir or incomplete entry for this key is debris.
    for (const d of readdirSync(join(root, '.tmp'))) if (d.startsWith(`${key}.`)) rmSync(join(root, '.tmp', d), { recursive: true, force: true });
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    const tmp = join(root, '.tmp', `${key}.${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    try {
      await build(tmp);
      if (held.lost !== null) throw lockLost(key);
      writeJsonAtomic(join(tmp, '.entry.json'), { key, ...recipe });
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return final;
  } finally {
    await held.release();
  }
}
