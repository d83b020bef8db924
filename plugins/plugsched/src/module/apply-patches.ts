import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PlugschedError } from '../util/errors';
import { requireTool, run } from '../util/run';

export interface HunkFailure {
  file: string;
  hunk: number;
  line: number | null;
}

/** Failed hunks from GNU patch's output ("patching file X" ... "Hunk #2 FAILED at 120."). */
export function failedHunks(output: string): HunkFailure[] {
  const out: HunkFailure[] = [];
  let file = '?';
  for (const line of output.split('\n')) {
    const f = /^(?:checking|patching) file '?([^']+?)'?$/.exec(line);
    if (f) file = f[1];
    const h = /^Hunk #(\d+) FAILED(?: at (\d+))?/.exec(line);
    if (h) out.push({ file, hunk: Number(h[1]), line: h[2] === undefined ? null : Number(h[2]) });
    const missing = /^can't find file to patch|No file to patch/.exec(line);
    if (missing) out.push({ file: '(a file the patch names does not exist)', hunk: 0, line: null });
  }
  return out;
}

/**
 * Does `text` hold a diff at all: a unified hunk ("@@ -4,3 +4,4 @@") or a git
 * file header (a mode-only git diff has no hunk)? Anything else is prose, a
 * mail or a truncated file, which GNU patch calls "only garbage".
 */
export function looksLikeDiff(text: string): boolean {
  return /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/m.test(text) || /^diff --git a\/\S+ b\/\S+/m.test(text);
}

interface PatchContext {
  workspaceRoot: string;
  variant: string;
  kernel: string;
}

/** A patch file that holds no diff: say so, and how a patch is made. */
function notADiff(shown: string, ctx: PatchContext): PlugschedError {
  return new PlugschedError(
    `${shown} is not a unified diff: it has no file headers ("--- a/<file>", "+++ b/<file>") and no hunks ("@@ -<line>,<count> +<line>,<count> @@"), so there is nothing to apply. ` +
      `Move it out of ${dirname(shown)} (every .patch file there is applied); to turn the change it describes into a patch, run "nx run ${ctx.variant}:edit" (a git tree of the variant's code with one commit per patch), ` +
      `change the files there and commit, then "nx run ${ctx.variant}:save" writes each commit back as a patch.`,
  );
}

/** Where the failed hunks are, from GNU patch's output (its last lines when it names none). */
function failedWhere(output: string, stdout: string): string {
  const hunks = failedHunks(output);
  if (hunks.length === 0) return stdout.trim().split('\n').slice(-3).join(' ');
  return hunks.map((h) => `${h.file}${h.hunk > 0 ? ` hunk #${h.hunk}` : ''}${h.line !== null ? ` (at line ${h.line})` : ''}`).join(', ');
}

/**
 * A patch that no longer applies: fix it in the variant's editable tree
 * (schedulers/<name>/edit, next to patches/), never in the cached base.
 */
function doesNotApply(shown: string, where: string, patch: string, ctx: PatchContext): PlugschedError {
  const editTree = relative(ctx.workspaceRoot, join(dirname(dirname(patch)), 'edit'));
  return new PlugschedError(
    `${shown} does not apply to the extracted scheduler of ${ctx.kernel}: ${where} failed. ` +
      `The kernel's code changed under the patch; refresh it in the variant's editable tree: "nx run ${ctx.variant}:edit" makes ${editTree}, a git tree of the extracted scheduler with one commit per patch; ` +
      `redo the change there (git rebase -i plugsched-base to fix an earlier commit), commit, and "nx run ${ctx.variant}:save" writes the patches back. ` +
      `Then run "nx run ${ctx.variant}:apply-patches" again. Do not edit dist/kernels/${ctx.kernel}/mod: it is the cached base every variant of ${ctx.kernel} starts from.`,
  );
}

/**
 * Apply patches in order to `dir`, each checked with --dry-run first so a
 * patch that does not apply changes nothing; the error names the patch, the
 * file and the hunks, and says how to fix it. A file that holds no diff is
 * refused before patch sees it.
 */
export async function applyPatches(dir: string, patches: string[], ctx: PatchContext): Promise<void> {
  requireTool('patch', 'patch', 'apply the variant patches');
  for (const p of patches) {
    const shown = relative(ctx.workspaceRoot, p);
    if (!looksLikeDiff(readFileSync(p, 'utf8'))) throw notADiff(shown, ctx);
    const args = ['-p1', '--batch', '--forward', '--no-backup-if-mismatch', '-r', '-', '-d', dir, '-i', p];
    const dry = await run('patch', ['--dry-run', ...args]);
    if (dry.code !== 0) throw doesNotApply(shown, failedWhere(`${dry.stdout}\n${dry.stderr}`, dry.stdout), p, ctx);
    const real = await run('patch', ['--quiet', ...args]);
    if (real.code !== 0) throw new PlugschedError(`${shown} applied in a dry run but not for real: ${real.stdout} ${real.stderr}`);
  }
}
