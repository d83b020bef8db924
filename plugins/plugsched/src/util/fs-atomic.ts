import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stableStringify } from './hash';

/** Write a file so that readers see either the old or the complete new content. */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Deterministic JSON (sorted keys, two-space indent, final newline). */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${stableStringify(value, 2)}\n`);
}
