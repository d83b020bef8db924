/**
 * The day-to-day loop on a real variant in a temp workspace: `edit` makes a
 * git tree (base + one commit per patch), `save` writes commits back as
 * patches with stable names, `watch` rebuilds the module on every change.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE } from '../support/kernel';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

let ws: TempWorkspace;
let tree: string;
let patchesDir: string;
const git = (...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@localhost', ...args], { cwd: tree, encoding: 'utf8' });
  expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
const patchFiles = () => readdirSync(patchesDir).filter((f) => f.endsWith('.patch')).sort();
const readPatches = () => patchFiles().map((f) => [f, readFileSync(join(patchesDir, f), 'utf8')]);

beforeAll(() => {
  ws = tempWorkspace({ schedulers: ['scheduler-x86'] });
  tree = join(ws.dir, 'schedulers', 'scheduler-x86', 'edit');
  patchesDir = join(ws.dir, 'schedulers', 'scheduler-x86', 'patches');
});
afterAll(() => ws?.dispose());

describe('edit and save', () => {
  it('edit makes a git tree: the extracted base, then one commit per patch', () => {
    const r = ws.nx(['run', 'scheduler-x86:edit', '--outputStyle=static']);
    expect(r.code, r.out).toBe(0);
    expect(git('log', '--format=%s').trim().split('\n')).toEqual(['example-sched-feature', 'base: the extracted scheduler of debian-6.1-cloud-amd64 6.1.192-2 (6.1.0-56-cloud-amd64)']);
    expect(readFileSync(join(tree, 'kernel/sched/features.h'), 'utf8')).toContain('SCHED_FEAT(PLUGSCHED_FORK_LOG, false)');
    expect(git('diff', '--stat', 'plugsched-base', 'HEAD')).toMatch(/kernel\/sched\/core\.c[\s\S]*kernel\/sched\/features\.h/);
  });

  it('save with nothing new keeps the series: same names, and it still applies', () => {
    const before = patchFiles();
    const r = ws.nx(['run', 'scheduler-x86:save', '--outputStyle=static']);
    expect(r.code, r.out).toBe(0);
    expect(patchFiles()).toEqual(before);
    const s = ws.nx(['run', 'scheduler-x86:apply-patches', '--outputStyle=static']);
    expect(s.code, s.out).toBe(0);
    expect(readFileSync(join(ws.dir, 'dist/schedulers/scheduler-x86/src/kernel/sched/core.c'), 'utf8')).toContain('sched_feat(PLUGSCHED_FORK_LOG)');
  });

  it('save refuses uncommitted work, then writes each commit as NNNN-<subject>.patch, stably', () => {
    const fair = join(tree, 'kernel/sched/fair.c');
    const before = readFileSync(fair, 'utf8');
    const after = before.replace('return nr_running * sysctl_sched_min_granularity;', 'return nr_running * sysctl_sched_min_granularity / 2;');
    expect(after).not.toBe(before);
    writeFileSync(fair, after);
    const saved = readPatches();
    const dirty = ws.nx(['run', 'scheduler-x86:save', '--outputStyle=static']);
    expect(dirty.code).not.toBe(0);
    expect(dirty.out).toMatch(/has 1 uncommitted change\(s\) \(kernel\/sched\/fair\.c\)\. Commit them/);
    expect(readPatches()).toEqual(saved);

    git('commit', '-qam', 'Shorter periods when crowded', '-m', 'Past sched_nr_latency tasks the period grows by half a granularity per task.');
    const r = ws.nx(['run', 'scheduler-x86:save', '--outputStyle=static']);
    expect(r.code, r.out).toBe(0);
    expect(patchFiles()).toEqual(['0001-example-sched-feature.patch', '0002-shorter-periods-when-crowded.patch']);
    const second = readFileSync(join(patchesDir, '0002-shorter-periods-when-crowded.patch'), 'utf8');
    expect(second).toMatch(/^Past sched_nr_latency tasks the period grows by half a granularity per task\.\n\ndiff --git a\/kernel\/sched\/fair\.c b\/kernel\/sched\/fair\.c\n/);
    expect(second).toMatch(/^\+\t\treturn nr_running \* sysctl_sched_min_granularity \/ 2;$/m);
    const once = readPatches();
    expect(ws.nx(['run', 'scheduler-x86:save', '--outputStyle=static']).code).toBe(0);
    expect(readPatches()).toEqual(once);
    const s = ws.nx(['run', 'scheduler-x86:apply-patches', '--outputStyle=static']);
    expect(s.code, s.out).toBe(0);
    expect(readFileSync(join(ws.dir, 'dist/schedulers/scheduler-x86/src/kernel/sched/fair.c'), 'utf8')).toContain('return nr_running * sysctl_sched_min_granularity / 2;');
  });

  it('edit will not throw away unsaved work unless forced', () => {
    const idle = join(tree, 'kernel/sched/idle.c');
    writeFileSync(idle, `${readFileSync(idle, 'utf8')}\n/* scratch */\n`);
    const r = ws.nx(['run', 'scheduler-x86:edit', '--outputStyle=static']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/schedulers\/scheduler-x86\/edit has work that is not in schedulers\/scheduler-x86\/patches: 1 uncommitted change\(s\)\. Run "nx run scheduler-x86:save"/);
    expect(readFileSync(idle, 'utf8')).toContain('/* scratch */');
    const forced = ws.nx(['run', 'scheduler-x86:edit', '--force', '--outputStyle=static']);
    expect(forced.code, forced.out).toBe(0);
    expect(readFileSync(idle, 'utf8')).not.toContain('/* scratch */');
    expect(git('log', '--format=%s').trim().split('\n').slice(0, 2)).toEqual(['shorter-periods-when-crowded', 'example-sched-feature']);
  });

  it('the workspace git ignores the edit tree', () => {
    expect(readFileSync(join(WORKSPACE, '.gitignore'), 'utf8')).toMatch(/^schedulers\/\*\/edit\/$/m);
  });
});

describe('watch', () => {
  it('rebuilds the module on every change and prints the result, errors included', async () => {
    const child = spawn(join(WORKSPACE, 'node_modules', '.bin', 'nx'), ['run', 'scheduler-x86:watch', '--outputStyle=stream'], { cwd: ws.dir, env: ws.env, detached: true });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const waitFor = async (re: RegExp, from: number) => {
      for (let i = 0; i < 600; i++) {
        if (re.test(out.slice(from))) return;
        if (child.exitCode !== null) throw new Error(`watch exited (${child.exitCode}):\n${out}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`no ${re} in the watch output:\n${out}`);
    };
    try {
      await waitFor(/watch: built dist\/schedulers\/scheduler-x86\/watch\/scheduler\.ko from schedulers\/scheduler-x86\/edit in/, 0);
      const ko = join(ws.dir, 'dist/schedulers/scheduler-x86/watch/scheduler.ko');
      expect(existsSync(ko)).toBe(true);

      const rt = join(tree, 'kernel/sched/rt.c');
      const good = readFileSync(rt, 'utf8');
      let mark = out.length;
      writeFileSync(rt, `${good}\nthis is not C;\n`);
      await waitFor(/rt\.c changed[\s\S]*watch: the build from schedulers\/scheduler-x86\/edit failed[\s\S]*rt\.c:\d+:\d+: error/, mark);

      mark = out.length;
      writeFileSync(rt, good);
      await waitFor(/watch: built dist\/schedulers\/scheduler-x86\/watch\/scheduler\.ko/, mark);
      const vermagic = spawnSync('modinfo', ['-F', 'vermagic', ko], { encoding: 'utf8' }).stdout;
      expect(vermagic).toMatch(/^6\.1\.0-56-cloud-amd64 /);
    } finally {
      // Wait for the whole process group to exit: nx still writes its cache
      // on the way out, and the workspace is removed right after this test.
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('close', r)));
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  });
});
