import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryKey, hasEntry, materialize, type EntryRecipe } from '../../plugins/plugsched/src/kernel/store';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'store-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const recipe = (sha: string): EntryRecipe => ({ kind: 'source', recipe: 'r1', inputs: { sha256: sha } });
const quiet = () => undefined;

describe('content-addressed store', () => {
  it('names entries by kind and content hash, independent of key order', () => {
    const a = entryKey({ kind: 'devel', recipe: 'r1', inputs: { x: 1, y: 2 } });
    const b = entryKey({ kind: 'devel', recipe: 'r1', inputs: { y: 2, x: 1 } });
    expect(a).toBe(b);
    expect(a).toMatch(/^devel-[0-9a-f]{32}$/);
    expect(entryKey(recipe('1'))).not.toBe(entryKey(recipe('2')));
  });

  it('builds an entry once and reuses it', async () => {
    let builds = 0;
    const build = async (dir: string) => {
      builds++;
      writeFileSync(join(dir, 'file'), 'content');
    };
    const p1 = await materialize(recipe('1'), build, quiet, root);
    const p2 = await materialize(recipe('1'), build, quiet, root);
    expect(p1).toBe(p2);
    expect(builds).toBe(1);
    expect(readFileSync(join(p1, 'file'), 'utf8')).toBe('content');
    expect(JSON.parse(readFileSync(join(p1, '.entry.json'), 'utf8'))).toMatchObject({ kind: 'source', inputs: { sha256: '1' } });
  });

  it('leaves nothing behind when the build fails', async () => {
    await expect(
      materialize(recipe('2'), async (dir) => {
        writeFileSync(join(dir, 'half'), 'x');
        throw new Error('disk full');
      }, quiet, root),
    ).rejects.toThrow('disk full');
    expect(hasEntry(entryKey(recipe('2')), root)).toBe(false);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    expect(readdirSync(join(root, '.locks'))).toEqual([]);
  });

  it('lets two racing builders produce one entry', async () => {
    let builds = 0;
    const build = async (dir: string) => {
      builds++;
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(dir, 'file'), 'x');
    };
    const [a, b] = await Promise.all([materialize(recipe('3'), build, quiet, root), materialize(recipe('3'), build, quiet, root)]);
    expect(a).toBe(b);
    expect(builds).toBe(1);
  });

  it('takes over a lock its owner stopped refreshing (a dead process) and discards its half-made entry', async () => {
    const key = entryKey(recipe('4'));
    mkdirSync(join(root, '.tmp', `${key}.999999`), { recursive: true });
    mkdirSync(join(root, key)); // an entry dir without .entry.json: never trusted
    const lock = join(root, '.locks', key);
    mkdirSync(lock, { recursive: true });
    const lastRefresh = new Date(Date.now() - 60_000); // its owner stopped refreshing it a minute ago
    utimesSync(lock, lastRefresh, lastRefresh);
    const p = await materialize(recipe('4'), async (dir) => writeFileSync(join(dir, 'ok'), '1'), quiet, root);
    expect(existsSync(join(p, 'ok'))).toBe(true);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    expect(readdirSync(join(root, '.locks'))).toEqual([]);
  });

  it('waits while another process holds a fresh lock, then finds its entry', async () => {
    const key = entryKey(recipe('5'));
    const lock = join(root, '.locks', key);
    mkdirSync(lock, { recursive: true });
    const said: string[] = [];
    let builds = 0;
    const other = setTimeout(() => {
      mkdirSync(join(root, key));
      writeFileSync(join(root, key, '.entry.json'), '{}');
      rmSync(lock, { recursive: true });
    }, 800);
    const p = await materialize(recipe('5'), async () => void builds++, (l) => said.push(l), root);
    clearTimeout(other);
    expect(p).toBe(join(root, key));
    expect(builds).toBe(0);
    expect(said).toEqual([`store: waiting for another process that is making ${key}`]);
  });
});
