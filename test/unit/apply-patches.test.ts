import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatches, failedHunks } from '../../plugins/plugsched/src/module/apply-patches';

const ws = mkdtempSync(join(tmpdir(), 'patches-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const BASE = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

function setup(): string {
  const dir = mkdtempSync(join(ws, 'tree-'));
  mkdirSync(join(dir, 'kernel', 'sched'), { recursive: true });
  writeFileSync(join(dir, 'kernel', 'sched', 'core.c'), BASE);
  return dir;
}

function patchFile(name: string, body: string): string {
  mkdirSync(join(ws, 'schedulers', 'v', 'patches'), { recursive: true });
  const p = join(ws, 'schedulers', 'v', 'patches', name);
  writeFileSync(p, body);
  return p;
}

const ctx = { workspaceRoot: ws, variant: 'v', kernel: 'debian-6.1-cloud-amd64' };
const good = () => patchFile('0001-good.patch', '--- a/kernel/sched/core.c\n+++ b/kernel/sched/core.c\n@@ -4,3 +4,4 @@\n line 4\n line 5\n+added\n line 6\n');
const stale = () => patchFile('0002-stale.patch', '--- a/kernel/sched/core.c\n+++ b/kernel/sched/core.c\n@@ -20,3 +20,3 @@\n line 20\n-line 21 as it was\n+line 21 changed\n line 22\n');

describe('variant patches', () => {
  it('applies patches in order', async () => {
    const dir = setup();
    await applyPatches(dir, [good()], ctx);
    expect(readFileSync(join(dir, 'kernel', 'sched', 'core.c'), 'utf8')).toContain('line 5\nadded\nline 6');
  });

  it('names the patch, file and hunk that fail and changes nothing', async () => {
    const dir = setup();
    const err = await applyPatches(dir, [stale()], ctx).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/^schedulers\/v\/patches\/0002-stale\.patch does not apply to the extracted scheduler of debian-6\.1-cloud-amd64: kernel\/sched\/core\.c hunk #1 \(at line 20\) failed\. .*nx run v:sources/);
    expect(readFileSync(join(dir, 'kernel', 'sched', 'core.c'), 'utf8')).toBe(BASE);
  });

  it('parses GNU patch output', () => {
    expect(failedHunks('checking file kernel/sched/fair.c\nHunk #1 succeeded at 10.\nHunk #2 FAILED at 120.\n1 out of 2 hunks FAILED\n')).toEqual([{ file: 'kernel/sched/fair.c', hunk: 2, line: 120 }]);
  });
});
