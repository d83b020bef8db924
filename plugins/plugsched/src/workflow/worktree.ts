import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { applyPatches } from '../module/apply-patches';
import { PlugschedError } from '../util/errors';
import { requireTool } from '../util/run';
import { patchDescription, patchFileName, patchText, subjectOfPatch } from './patch-names';

/** The tag on the worktree's first commit: the kernel's extracted scheduler, no patches. */
export const BASE_TAG = 'plugsched-base';

/** schedulers/<name>/edit: the editable tree of a variant (ignored by the workspace's git). */
export function worktreeDir(projectRoot: string): string {
  return join(projectRoot, 'edit');
}

const IDENTITY = { GIT_AUTHOR_NAME: 'plugsched', GIT_AUTHOR_EMAIL: 'plugsched@localhost', GIT_COMMITTER_NAME: 'plugsched', GIT_COMMITTER_EMAIL: 'plugsched@localhost' };

/** git in `dir`, whole output (a patch can be long). */
async function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = spawnSync('git', ['-c', 'core.quotepath=off', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new PlugschedError(`git ${args.join(' ')} failed in ${dir}: ${(r.stderr ?? '').trim() || (r.stdout ?? '').trim() || String(r.error)}`);
  return r.stdout;
}

export interface WorktreeState {
  /** Uncommitted changes (git status --porcelain lines). */
  dirty: string[];
  /** Commits after the base, oldest first: [sha, subject]. */
  commits: [string, string][];
}

export async function worktreeState(dir: string): Promise<WorktreeState | null> {
  if (!existsSync(join(dir, '.git'))) return null;
  const dirty = (await git(dir, ['status', '--porcelain'])).split('\n').filter((l) => l.trim() !== '');
  const log = await git(dir, ['log', '--reverse', '--format=%H %s', `${BASE_TAG}..HEAD`]);
  const commits = log
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => [l.slice(0, 40), l.slice(41)] as [string, string]);
  return { dirty, commits };
}

/**
 * A git repository at `dir`: the base commit (tagged plugsched-base) holds the
 * kernel's extracted scheduler, then one commit per patch, in order, named
 * after the patch file and carrying its description.
 */
export async function createWorktree(o: { dir: string; baseDir: string; patches: string[]; label: string; workspaceRoot: string; variant: string; kernel: string }): Promise<void> {
  requireTool('git', 'git', 'keep the editable tree of a variant');
  const tmp = `${o.dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    cpSync(o.baseDir, tmp, { recursive: true });
    await git(tmp, ['init', '-q', '-b', 'main']);
    await git(tmp, ['add', '-A']);
    await git(tmp, ['commit', '-q', '-m', `base: ${o.label}`], IDENTITY);
    await git(tmp, ['tag', BASE_TAG]);
    for (const p of o.patches) {
      await applyPatches(tmp, [p], { workspaceRoot: o.workspaceRoot, variant: o.variant, kernel: o.kernel });
      const description = patchDescription(readFileSync(p, 'utf8'));
      await git(tmp, ['add', '-A']);
      await git(tmp, ['commit', '-q', '--allow-empty', '-m', subjectOfPatch(basename(p)), ...(description ? ['-m', description] : [])], IDENTITY);
    }
    rmSync(o.dir, { recursive: true, force: true });
    renameSync(tmp, o.dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The worktree's commits after the base as patch files: [file name, text], in order. */
export async function patchesOfWorktree(dir: string): Promise<[string, string][]> {
  const state = await worktreeState(dir);
  if (state === null) throw new PlugschedError(`${dir} is not an editable tree made by "nx run <variant>:edit".`);
  const out: [string, string][] = [];
  for (const [i, [sha, subject]] of state.commits.entries()) {
    const body = (await git(dir, ['log', '-1', '--format=%b', sha])).trim();
    const diff = await git(dir, ['diff', '--no-color', '--no-ext-diff', '--no-renames', '--src-prefix=a/', '--dst-prefix=b/', `${sha}^`, sha]);
    out.push([patchFileName(i, subject), patchText(body, diff)]);
  }
  return out;
}

/** Replace the *.patch files of `patchesDir` with `patches`, all at once (built aside, then moved in). */
export function writePatchSeries(patchesDir: string, patches: [string, string][]): void {
  const aside = `${patchesDir}.tmp-${process.pid}`;
  rmSync(aside, { recursive: true, force: true });
  mkdirSync(aside, { recursive: true });
  try {
    for (const [name, text] of patches) writeFileSync(join(aside, name), text);
    mkdirSync(patchesDir, { recursive: true });
    for (const f of readdirSync(patchesDir)) if (/\.(patch|diff)$/.test(f)) rmSync(join(patchesDir, f));
    for (const [name] of patches) renameSync(join(aside, name), join(patchesDir, name));
    if (patches.length === 0 && !existsSync(join(patchesDir, '.gitkeep'))) writeFileSync(join(patchesDir, '.gitkeep'), '');
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}
