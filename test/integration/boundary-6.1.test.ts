/**
 * collect -> analyze -> extract on the real Linux 6.1 (Debian cloud-amd64)
 * through the real nx CLI, in a throw-away workspace.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileInputsCommand } from '../../plugins/plugsched/src/plugin/code-inputs';
import { COMPILE_INPUTS_FILE } from '../../plugins/plugsched/src/plugin/print-runtime-input';
import { develTree } from '../support/kernel';
import { treeHash } from '../support/tree-hash';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const K = 'debian-6.1-cloud-amd64';
let ws: TempWorkspace;
type Entry = { name: string; file: string; sympos?: number };
let boundary: { classes: Record<string, Entry[]>; reasons: Record<string, string[]>; interfaces: { origins: Record<string, string>; excluded: unknown[] } };

/** The interfaces boundary.yaml listed by hand before they were derived (6.1, 93 names). */
const HAND_LIST = ['__schedule', 'io_schedule_prepare', 'io_schedule_finish', 'yield', 'yield_to', 'do_task_dead', 'try_to_wake_up', 'wake_up_process', 'wake_up_state', 'default_wake_function', 'wake_up_new_task', 'wake_up_if_idle', 'wake_up_nohz_cpu', 'wake_q_add', 'wake_q_add_safe', 'wake_up_q', 'kick_process', 'resched_cpu', 'sched_ttwu_pending', 'send_call_function_single_ipi', 'sched_fork', 'sched_cgroup_fork', 'sched_post_fork', 'sched_exec', 'schedule_tail', 'idle_task_exit', 'scheduler_tick', 'nohz_balance_enter_idle', 'set_user_nice', 'can_nice', 'task_prio', 'sched_setscheduler', 'sched_setscheduler_nocheck', 'sched_setattr', 'sched_setattr_nocheck', 'sched_set_fifo', 'sched_set_fifo_low', 'sched_set_normal', 'sched_set_stop_task', 'rt_mutex_setprio', 'set_cpus_allowed_ptr', 'do_set_cpus_allowed', 'sched_setaffinity', 'sched_getaffinity', 'dup_user_cpus_ptr', 'release_user_cpus_ptr', 'migrate_disable', 'migrate_enable', 'task_can_attach', 'cpuset_cpumask_can_shrink', 'dl_add_task_root_domain', 'dl_clear_root_domain', 'dl_bw_alloc', 'dl_bw_free', 'sched_create_group', 'sched_online_group', 'sched_destroy_group', 'sched_release_group', 'sched_move_task', 'sched_group_set_shares', 'partition_sched_domains_locked', 'alloc_sched_domains', 'task_curr', 'idle_cpu', 'idle_task', 'task_call_func', 'wait_task_inactive', 'task_sched_runtime', 'sched_task_on_rq', 'cpu_curr_snapshot', 'cpus_share_cache', 'get_nohz_timer_target', 'get_wchan', 'nr_running', 'nr_context_switches', 'nr_iowait', 'nr_iowait_cpu', 'in_sched_functions', 'preempt_model_none', 'preempt_model_voluntary', 'preempt_model_full', 'cpu_in_idle', 'sched_idle_set_state', 'task_numa_fault', 'task_numa_free', 'task_numa_group_id', 'should_numa_migrate_memory', 'sched_show_task', 'show_state_filter', 'dump_cpu_task', 'proc_sched_show_task', 'proc_sched_set_task', 'normalize_rt_tasks'];

beforeAll(() => {
  ws = tempWorkspace();
  const r = ws.nx(['run', `${K}:extract`, '--output-style=stream']);
  if (r.code !== 0) throw new Error(r.out);
  boundary = JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', K, 'boundary', 'boundary.json'), 'utf8'));
}, 900_000);
afterAll(() => ws?.dispose());

const inClass = (cls: string, name: string) => boundary.classes[cls].some((e) => e.name === name);

describe('boundary of Linux 6.1', () => {
  it("leaves beside the facts the compilers' runtime input as Nx ran it, which module and build hash in its place", () => {
    const copy = readFileSync(join(ws.dir, 'dist', 'kernels', K, 'collect', COMPILE_INPUTS_FILE), 'utf8');
    const r = spawnSync('sh', ['-c', compileInputsCommand(K)], { cwd: ws.dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(copy).toMatch(/^units: kernel\/sched\/core\.c /);
    expect(copy).toMatch(/^gcc-12: \/\S+ sha256 [0-9a-f]{64}$/m);
    expect(copy).toBe(r.stdout);
  });

  it('makes the scheduler entry points interfaces', () => {
    for (const f of ['__schedule', 'try_to_wake_up', 'wake_up_new_task', 'sched_fork']) expect(inClass('interface', f), f).toBe(true);
  });

  it('derives the interfaces: the hand list it replaced, but for the differences boundary.md explains', () => {
    const origin = (o: string) => Object.entries(boundary.interfaces.origins).filter(([, v]) => v === o).map(([k]) => k.replace(/ \(.*\)$/, '')).sort();
    const derived = origin('derived');
    for (const f of ['wake_up_process', 'schedule_tail', 'scheduler_tick', 'sched_fork', 'wake_up_new_task', 'do_task_dead', 'set_user_nice']) expect(derived, f).toContain(f);
    expect(origin('kernel-function callee')).toEqual(['__schedule', 'call_cpuidle', 'default_idle_call', 'io_schedule_finish', 'io_schedule_prepare', 'nohz_run_idle_balance']);
    expect(origin('override')).toEqual(['try_to_wake_up']);
    expect(boundary.interfaces.excluded).toEqual([]);
    const now = new Set(boundary.classes.interface.map((e) => e.name));
    // hand-listed but no longer interfaces: nothing outside calls them, and they are not exported in 6.1
    expect(HAND_LIST.filter((f) => !now.has(f)).sort()).toEqual(['sched_setattr', 'sched_setscheduler']);
    for (const f of ['sched_setattr', 'sched_setscheduler']) expect(inClass('insider', f), f).toBe(true);
    // derived but not hand-listed: four the hand list left to the kernel, six exports that were callbacks before
    expect(derived.filter((f) => !HAND_LIST.includes(f))).toEqual([
      'effective_cpu_util', 'play_idle_precise', 'preempt_notifier_dec', 'preempt_notifier_inc', 'preempt_notifier_register', 'preempt_notifier_unregister',
      'rebuild_sched_domains_energy', 'sched_numa_find_closest', 'single_task_running', 'task_rq_lock',
    ]);
    expect(boundary.reasons['task_rq_lock (kernel/sched/core.c)']).toEqual(['derived: called by cgroup_move_task (kernel/sched/psi.c), outside the boundary files']);
    expect(boundary.reasons['scheduler_tick (kernel/sched/core.c)'][0]).toBe('derived: called or referenced by code outside the scheduler: update_process_times (.text)');
    const summary = readFileSync(join(ws.dir, 'dist', 'kernels', K, 'boundary', 'summary.md'), 'utf8');
    expect(summary).toContain(`Derived from the kernel (entered from outside the boundary files: calls and address loads from the rest of vmlinux, from the other files of the scheduler's units, static calls, exports), ${derived.length}:`);
    expect(summary).toMatch(/^- `try_to_wake_up \(kernel\/sched\/core\.c\)`: static, so nothing outside core\.c calls it/m);
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
    expect(boundary.reasons['try_to_wake_up (kernel/sched/core.c)']).toEqual([expect.stringMatching(/^added as an interface in kernels\/debian-6\.1-cloud-amd64\/boundary\.yaml: static, so nothing outside core\.c calls it/)]);
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
    writeFileSync(file, good.replace('\ninterfaces:\n', '\ninterfaces:\n  - { function: try_to_wakeup, reason: a typo }\n'));
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
