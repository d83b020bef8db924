/**
 * The kernel and bump generators against apt's real metadata, and what a
 * kernel bump means for the graph: in a temp git workspace, moving
 * debian-6.1-cloud-amd64 from 6.1.192-2 to 6.1.190-1 makes exactly that
 * kernel and its variants affected, `nx affected -t build` rebuilds them
 * and nothing else, and a variant whose patch no longer applies is reported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE } from '../support/kernel';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-6.1-cloud-amd64';
const PINNED = 'debian-6.1-cloud-amd64-pinned';

/** A one-line fix to a comment that 6.1.192 has in core.c and 6.1.190 does not (__setscheduler_dl_pi arrived in between). */
const TYPO_PATCH = `--- a/kernel/sched/core.c
+++ b/kernel/sched/core.c
@@ -7399,7 +7399,7 @@
 	/*
 	 * In case a DEADLINE task (either proper or boosted) gets
-	 * setscheduled to a lower priority class, check if it neeeds to
+	 * setscheduled to a lower priority class, check if it needs to
 	 * inherit parameters from a potential pi_task. In that case make
 	 * sure replenishment happens with the next enqueue.
 	 */
`;

let ws: TempWorkspace;
const git = (...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: ws.dir, encoding: 'utf8' });
  expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
const ranTasks = (out: string) => [...new Set([...out.matchAll(/^> nx run (\S+):(\S+)/gm)].map((m) => `${m[1]}:${m[2]}`))].sort();

beforeAll(() => {
  ws = tempWorkspace({ kernels: [KERNEL], schedulers: ['scheduler-x86'] });
  writeFileSync(join(ws.dir, '.gitignore'), 'node_modules\n.nx\ndist\n');
  git('init', '-q', '-b', 'main');
});
afterAll(() => ws?.dispose());

describe('nx g @plugsched/nx:kernel', () => {
  it('documents itself', () => {
    const r = ws.nx(['g', '@plugsched/nx:kernel', '--help']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/--flavour/);
    expect(r.out).toMatch(/--boundaryFrom/);
  });

  it("pins a release from apt's metadata: for 6.1.192-2 it writes the shipped kernel.yaml byte for byte, with the line's boundary config", () => {
    const r = ws.nx(['g', '@plugsched/nx:kernel', '--version=6.1.192-2', `--name=${PINNED}`]);
    expect(r.code, r.out).toBe(0);
    const shipped = join(WORKSPACE, 'kernels', KERNEL);
    const made = join(ws.dir, 'kernels', PINNED);
    expect(readFileSync(join(made, 'kernel.yaml'), 'utf8')).toBe(readFileSync(join(shipped, 'kernel.yaml'), 'utf8'));
    expect(readdirSync(made).sort()).toEqual(readdirSync(shipped).sort());
    for (const f of ['boundary.yaml', 'module-compat.h']) expect(readFileSync(join(made, f), 'utf8')).toBe(readFileSync(join(shipped, f), 'utf8'));
    const s = ws.nx(['g', '@plugsched/nx:scheduler', 'pinned-sched', `--kernel=${PINNED}`]);
    expect(s.code, s.out).toBe(0);
  });

  it('refuses a release apt does not have, naming the versions it knows, and writes nothing', () => {
    const r = ws.nx(['g', '@plugsched/nx:kernel', '--version=6.1.999-1', '--name=nope']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/linux-source-6\.1 at 6\.1\.999-1 .*is not in the archive \(apt knows .*6\.1\.192-2/);
    expect(existsSync(join(ws.dir, 'kernels', 'nope'))).toBe(false);
  });
});

describe('nx g @plugsched/nx:bump', () => {
  it('moves the kernel, reports the variant whose patch no longer applies, and affected rebuilds only that kernel and its variants', () => {
    const typo = join(ws.dir, 'schedulers', 'typo-fix');
    expect(ws.nx(['g', '@plugsched/nx:scheduler', 'typo-fix', `--kernel=${KERNEL}`]).code).toBe(0);
    mkdirSync(join(typo, 'patches'), { recursive: true });
    writeFileSync(join(typo, 'patches', '0001-fix-a-comment-typo.patch'), TYPO_PATCH);
    git('add', '-A');
    git('commit', '-qm', 'workspace');

    const bump = ws.nx(['g', '@plugsched/nx:bump', KERNEL, '--version=6.1.190-1']);
    expect(bump.code, bump.out).toBe(0);
    const yaml = readFileSync(join(ws.dir, 'kernels', KERNEL, 'kernel.yaml'), 'utf8');
    expect(yaml).toMatch(/^version: 6\.1\.190-1$/m);
    expect(yaml).toMatch(/^release: 6\.1\.0-54-cloud-amd64$/m);
    // linux-kbuild-6.1 is not in the archive at 6.1.190-1: taken at a version of its own that apt has
    // (the oldest the headers accept, which moves as the archive does)
    const kbuildVersion = /name: linux-kbuild-6\.1\n {4}version: (\S+)\n/.exec(yaml)?.[1];
    expect(kbuildVersion).toBeDefined();
    expect(kbuildVersion).not.toBe('6.1.190-1');
    const madison = spawnSync('apt-cache', ['madison', 'linux-kbuild-6.1'], { encoding: 'utf8' }).stdout;
    expect(madison.split('\n').map((l) => l.split('|')[1]?.trim())).toContain(kbuildVersion);
    expect(bump.out).toMatch(/scheduler-x86: its patches apply to debian-6\.1-cloud-amd64 6\.1\.190-1/);
    expect(bump.out).toMatch(/typo-fix: its patches no longer apply[\s\S]*0001-fix-a-comment-typo\.patch does not apply .*kernel\/sched\/core\.c hunk #1/);
    expect(bump.out).toMatch(/need their patches refreshed: typo-fix/);

    const affected = ws.nx(['show', 'projects', '--affected', '--base=HEAD', '--json']);
    expect(affected.code, affected.out).toBe(0);
    const projects = JSON.parse(affected.out.slice(affected.out.indexOf('['), affected.out.lastIndexOf(']') + 1)) as string[];
    expect(projects.sort()).toEqual([KERNEL, 'scheduler-x86', 'typo-fix']);

    // the fix for typo-fix: 6.1.190 does not have the comment, so the patch goes
    rmSync(join(typo, 'patches', '0001-fix-a-comment-typo.patch'));
    const build = ws.nx(['affected', '-t', 'build', '--base=HEAD', '--outputStyle=static']);
    expect(build.code, build.out).toBe(0);
    const ran = ranTasks(build.out);
    expect(ran).toContain('scheduler-x86:build');
    expect(ran).toContain('typo-fix:build');
    expect(ran).toContain(`${KERNEL}:extract`);
    for (const t of ran) expect([KERNEL, 'scheduler-x86', 'typo-fix'], `${t} ran`).toContain(t.split(':')[0]);
    const modinfo = spawnSync('modinfo', ['-F', 'vermagic', join(ws.dir, 'dist', 'schedulers', 'scheduler-x86', 'scheduler.ko')], { encoding: 'utf8' });
    expect(modinfo.stdout).toMatch(/^6\.1\.0-54-cloud-amd64 /);
    expect(readdirSync(join(ws.dir, 'dist', 'schedulers', 'typo-fix', 'packages')).join(' ')).toMatch(/^scheduler-typo-fix-0\.1\.0-6\.1\.0_54_cloud_amd64\.x86_64\.rpm scheduler-typo-fix_0\.1\.0\+6\.1\.0\.54\.cloud\.amd64_amd64\.deb$/);
    expect(existsSync(join(ws.dir, 'dist', 'schedulers', 'pinned-sched'))).toBe(false);
  });
});
