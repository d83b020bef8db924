import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatches, failedHunks, looksLikeDiff } from '../../plugins/plugsched/src/module/apply-patches';

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
    expect(String((err as Error).message)).toMatch(/^schedulers\/v\/patches\/0002-stale\.patch does not apply to the extracted scheduler of debian-6\.1-cloud-amd64: kernel\/sched\/core\.c hunk #1 \(at line 20\) failed\. .*nx run v:apply-patches/);
    expect(readFileSync(join(dir, 'kernel', 'sched', 'core.c'), 'utf8')).toBe(BASE);
  });

  it('sends a patch that no longer applies to the edit tree, never to the cached base', async () => {
    const err = (await applyPatches(setup(), [stale()], ctx).catch((e: Error) => e)) as Error;
    expect(err.message).toContain('"nx run v:edit" makes schedulers/v/edit, a git tree of the extracted scheduler with one commit per patch');
    expect(err.message).toContain('"nx run v:save"');
    expect(err.message).not.toMatch(/cd dist\/kernels|patch -p1/);
  });

  it('refuses a file that is not a diff, naming it, and changes nothing', async () => {
    const dir = setup();
    const prose = patchFile('0003-prose.patch', 'Make the slice shorter.\n\nIn core.c, change line 21 to say "shorter".\n');
    const err = (await applyPatches(dir, [good(), prose], ctx).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/^schedulers\/v\/patches\/0003-prose\.patch is not a unified diff: it has no file headers .* and no hunks /);
    expect(err.message).toContain('"nx run v:edit"');
    expect(err.message).toContain('"nx run v:save"');
    expect(err.message).not.toMatch(/does not apply|changed under the patch|dist\/kernels/);
    expect(readFileSync(join(dir, 'kernel', 'sched', 'core.c'), 'utf8')).toContain('line 5\nadded\nline 6');
  });

  it('tells a diff from prose', () => {
    expect(looksLikeDiff('why\n\ndiff --git a/k/c.c b/k/c.c\n--- a/k/c.c\n+++ b/k/c.c\n@@ -1 +1 @@\n-a\n+b\n')).toBe(true);
    expect(looksLikeDiff('diff --git a/tools/x.sh b/tools/x.sh\nold mode 100644\nnew mode 100755\n')).toBe(true);
    expect(looksLikeDiff('--- a/k/c.c\n+++ b/k/c.c\n')).toBe(false);
    expect(looksLikeDiff('')).toBe(false);
  });

  it('parses GNU patch output', () => {
    expect(failedHunks('checking file kernel/sched/fair.c\nHunk #1 succeeded at 10.\nHunk #2 FAILED at 120.\n1 out of 2 hunks FAILED\n')).toEqual([{ file: 'kernel/sched/fair.c', hunk: 2, line: 120 }]);
  });
});
