import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stableHash } from '../util/hash';
import { writeJsonAtomic } from '../util/fs-atomic';
import { defaultLogger, type Logger } from '../util/progress';
import { storeRoot } from './locations';

/**
 * Content-addressed store for large trees (kernel source, devel tree, debug
 * vmlinux). An entry's name is its kind plus the hash of everything that made
 * it; an entry directory exists only when complete (built in a temp dir and
 * renamed into place), so nothing half-made is ever trusted. A lock file keeps
 * two processes from building the same entry twice; a lock whose owner died is
 * taken over.
 */

export interface EntryRecipe {
  kind: string;
  /** Bump when the way an entry is made changes. */
  recipe: number;
  /** Everything that determines the content (package hashes, options). */
  inputs: Record<string, unknown>;
}

export function entryKey(r: EntryRecipe): string {
  return `${r.kind}-${stableHash(r).slice(0, 32)}`;
}

export function entryPath(key: string, root = storeRoot()): string {
  return join(root, key);
}

export function hasEntry(key: string, root = storeRoot()): boolean {
  return existsSync(join(root, key, '.entry.json'));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let owner = NaN;
  try {
    owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
  } catch {
    return false; // released between our two calls: try again
  }
  if (Number.isFinite(owner) && pidAlive(owner)) return false;
  // Stale lock of a dead process: take it over by renaming ours over it.
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  renameSync(mine, lock);
  return Number.parseInt(readFileSync(lock, 'utf8'), 10) === process.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const lock = join(root, '.locks', `${key}.lock`);
  let waited = false;
  while (!tryLock(lock)) {
    if (!waited) log(`store: waiting for another process that is making ${key}`);
    waited = true;
    await sleep(500);
  }
  try {
    if (hasEntry(key, root)) return final;
    // We hold the lock: any temp dir or incomplete entry for this key is debris.
    for (const d of readdirSync(join(root, '.tmp'))) if (d.startsWith(`${key}.`)) rmSync(join(root, '.tmp', d), { recursive: true, force: true });
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    const tmp = join(root, '.tmp', `${key}.${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    try {
      await build(tmp);
      writeJsonAtomic(join(tmp, '.entry.json'), { key, ...recipe });
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return final;
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Size in bytes of an entry (for messages and benchmarks). */
export function entrySize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}
