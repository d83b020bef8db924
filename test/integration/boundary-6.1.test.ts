/**
 * collect -> analyze -> extract on the real Linux 6.1 (Debian cloud-amd64)
 * through the real nx CLI, in a throw-away workspace.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { develTree } from '../support/kernel';
import { treeHash } from '../support/tree-hash';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const K = 'debian-6.1-cloud-amd64';
let ws: TempWorkspace;
type Entry = { name: string; file: string; sympos?: number };
let boundary: { classes: Record<string, Entry[]>; reasons: Record<string, string[]> };

beforeAll(() => {
  ws = tempWorkspace();
  const r = ws.nx(['run', `${K}:extract`, '--output-style=stream']);
  if (r.code !== 0) throw new Error(r.out);
  boundary = JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', K, 'boundary', 'boundary.json'), 'utf8'));
}, 900_000);
afterAll(() => ws?.dispose());

const inClass = (cls: string, name: string) => boundary.classes[cls].some((e) => e.name === name);

describe('boundary of Linux 6.1', () => {
  it('makes the scheduler entry points interfaces', () => {
    for (const f of ['__schedule', 'try_to_wake_up', 'wake_up_new_task', 'sched_fork']) expect(inClass('interface', f), f).toBe(true);
  });

  it('keeps the sleep paths in the kernel and redirects what they call', () => {
    for (const f of ['schedule', 'schedule_idle', 'preempt_schedule_irq', 'do_idle']) expect(inClass('outsider', f), f).toBe(true);
    expect(boundary.reasons['schedule (kernel/sched/core.c)'][0]).toMatch(/^kept in the kernel \(kernelFunctions\)/);
    expect(inClass('interface', 'nohz_run_idle_balance')).toBe(true);
    expect(boundary.reasons['nohz_run_idle_balance (kernel/sched/fair.c)'][0]).toMatch(/called by do_idle \(kernel\/sched\/idle\.c\), which stays in the kernel/);
  });

  it('makes the policy internals insiders, free to change', () => {
    for (const f of ['update_curr', 'pick_next_entity', 'enqueue_task_rt']) expect(inClass('insider', f), f).toBe(true);
    expect(boundary.classes.insider.length).toBeGreaterThanOrEqual(1000);
  });

  it('removes __init code and never makes an exported function an insider', () => {
    expect(inClass('init', 'sched_init')).toBe(true);
    const facts = JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', K, 'boundary', 'vmlinux-facts.json'), 'utf8')) as { exports: string[] };
    expect(facts.exports.length).toBeGreaterThan(10);
    const exported = new Set(facts.exports);
    expect(boundary.classes.insider.filter((e) => exported.has(e.name))).toEqual([]);
  });

  it('says why each non-insider is what it is', () => {
    expect(boundary.reasons['try_to_wake_up (kernel/sched/core.c)']).toEqual(['listed as an interface in kernels/debian-6.1-cloud-amd64/boundary.yaml']);
    for (const e of boundary.classes.outsider) expect(boundary.reasons[`${e.name} (${e.file})`]?.length, e.name).toBeGreaterThan(0);
    const r = ws.nx(['run', `${K}:explain`, '--fn=sched_cpu_activate']);
    expect(r.out).toMatch(/sched_cpu_activate \(kernel\/sched\/core\.c\): callback\n.*because its address is taken by .*cpuhp_hp_states/);
  });

  it('extracts a tree whose objects compile against the devel tree, with no implicit declarations', async () => {
    const devel = await develTree();
    const build = mkdtempSync(join(tmpdir(), 'plugsched-mod-'));
    try {
      cpSync(join(ws.dir, 'dist', 'kernels', K, 'mod'), build, { recursive: true });
      const core = readFileSync(join(build, 'kernel', 'sched', 'core.c'), 'utf8');
      expect(core).toContain("/* DON'T MODIFY SIGNATURE OF INTERFACE FUNCTION try_to_wake_up */");
      expect(core).not.toMatch(/^void __init sched_init\(void\)/m);
      const glue = (f: string) => readFileSync(join(build, 'kernel', 'sched', 'plugsched', f), 'utf8');
      // the body is the jump target; the name means the kernel's copy everywhere else
      expect(core).toMatch(/^__mod_try_to_wake_up\(struct task_struct \*p, unsigned int state, int wake_flags\)$/m);
      expect(glue('redirect-names.h')).toContain('#define try_to_wake_up __orig_try_to_wake_up');
      expect(core).toContain('PLUGSCHED_REDIRECT(__mod_try_to_wake_up, __orig_try_to_wake_up, "try_to_wake_up", 0)');
      expect(glue('redirect-files.h')).toContain('PLUGSCHED_REDIRECT_FILE(fair)');
      expect(glue('springboard-layout.h')).toMatch(/#define PLUGSCHED_SWITCH_OFFSET 0x[0-9a-f]+/);
      expect(core).toContain('PLUGSCHED_SWITCH_TO(prev, next, prev);');
      // one module object per unit of boundary.yaml (the default four here)
      expect(readFileSync(join(build, 'kernel', 'sched', 'Kbuild'), 'utf8')).toContain('\nscheduler-y := core.o fair.o build_policy.o build_utility.o\n');
      const make = spawnSync('make', ['-C', devel.buildDir, `M=${join(build, 'kernel', 'sched')}`, '-j2', 'core.o', 'fair.o', 'build_policy.o', 'build_utility.o'], { encoding: 'utf8' });
      expect(make.status, make.stderr.split('\n').filter((l) => /error/.test(l)).slice(0, 10).join('\n')).toBe(0);
      expect(make.stderr).not.toMatch(/implicit declaration/);
      for (const o of ['core.o', 'fair.o', 'build_policy.o', 'build_utility.o']) expect(existsSync(join(build, 'kernel', 'sched', o))).toBe(true);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  }, 300_000);

  // identical outputs on a second run, at another path: scheduler-module.test.ts compares this
  // kernel's collect, boundary and mod outputs between two workspaces

  it('refuses an interface that does not exist, naming near matches, and leaves the old boundary in place', () => {
    const file = join(ws.dir, 'kernels', K, 'boundary.yaml');
    const good = readFileSync(file, 'utf8');
    const before = treeHash(join(ws.dir, 'dist', 'kernels', K, 'boundary'));
    writeFileSync(file, good.replace('  - try_to_wake_up\n', '  - try_to_wake_up\n  - try_to_wakeup\n'));
    try {
      const r = ws.nx(['run', `${K}:analyze`]);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/kernels\/debian-6\.1-cloud-amd64\/boundary\.yaml: the boundary cannot be used as configured: \(1\) interface "try_to_wakeup" is not a function defined in the boundary files \(did you mean try_to_wake_up/);
      expect(treeHash(join(ws.dir, 'dist', 'kernels', K, 'boundary'))).toBe(before);
    } finally {
      writeFileSync(file, good);
    }
  }, 300_000);
});
