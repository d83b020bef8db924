import { relative } from 'node:path';
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
 * Apply patches in order to `dir`, each checked with --dry-run first so a
 * patch that does not apply changes nothing; the error names the patch, the
 * file and the hunks, and says how to fix it.
 */
export async function applyPatches(dir: string, patches: string[], ctx: { workspaceRoot: string; variant: string; kernel: string }): Promise<void> {
  requireTool('patch', 'patch', 'apply the variant patches');
  for (const p of patches) {
    const shown = relative(ctx.workspaceRoot, p);
    const args = ['-p1', '--batch', '--forward', '--no-backup-if-mismatch', '-r', '-', '-d', dir, '-i', p];
    const dry = await run('patch', ['--dry-run', ...args]);
    if (dry.code !== 0) {
      const hunks = failedHunks(`${dry.stdout}\n${dry.stderr}`);
      const where = hunks.length > 0 ? hunks.map((h) => `${h.file}${h.hunk > 0 ? ` hunk #${h.hunk}` : ''}${h.line !== null ? ` (at line ${h.line})` : ''}`).join(', ') : dry.stdout.trim().split('\n').slice(-3).join(' ');
      throw new PlugschedError(
        `${shown} does not apply to the extracted scheduler of ${ctx.kernel}: ${where} failed. ` +
          `The kernel's code changed under the patch; refresh it against dist/kernels/${ctx.kernel}/mod ` +
          `("cd dist/kernels/${ctx.kernel}/mod && patch -p1 --merge -i ${relative(`${ctx.workspaceRoot}/dist/kernels/${ctx.kernel}/mod`, p)}", resolve the conflicts, then regenerate the patch), and run "nx run ${ctx.variant}:sources" again.`,
      );
    }
    const real = await run('patch', ['--quiet', ...args]);
    if (real.code !== 0) throw new PlugschedError(`${shown} applied in a dry run but not for real: ${real.stdout} ${real.stderr}`);
  }
}
