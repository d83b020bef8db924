import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sync as writeFileAtomicSync } from 'write-file-atomic';
import { stableStringify } from './hash';

/**
 * Write a file so that readers see either the old or the complete new content
 * (write-file-atomic: a temp file beside it, flushed, then renamed over it; the
 * temp file is removed when the write fails).
 */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, content);
}

/** Deterministic JSON (sorted keys, two-space indent, final newline). */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${stableStringify(value, 2)}\n`);
}
