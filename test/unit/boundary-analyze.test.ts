import { describe, expect, it } from 'vitest';
import { analyzeBoundary, boundaryNameErrors, editDistance, nearMatches } from '../../plugins/plugsched/src/boundary/analyze';
import type { CollectedFunction, CollectedUnit } from '../../plugins/plugsched/src/boundary/collector-format';
import { deriveInterfaces, entriesOf, type EntryFacts } from '../../plugins/plugsched/src/boundary/derive-interfaces';
import type { VmlinuxFacts } from '../../plugins/plugsched/src/boundary/vmlinux';
import type { BoundaryConfig } from '../../plugins/plugsched/src/config/boundary-config';

const P = { line: 1, column: 1, offset: 0 };
function fn(name: string, file: string, calls: string[] = [], extra: Partial<CollectedFunction> = {}): CollectedFunction {
  return { name, file, linkage: 'static', weak: false, inline: false, alwaysInline: false, section: null, init: false, fromMacro: false, name_loc: P, body: { start: P, end: P }, calls, addressTaken: [], varRefs: [], fieldAccesses: [], ...extra };
}
const unit = (functions: CollectedFunction[], variables: CollectedUnit['variables'] = []): CollectedUnit[] => [{ format: 1, unit: 'kernel/sched/core.c', functions, variables }];
/** A config whose `interfaces` overrides add the named functions (reason "test"). */
const config = (interfaces: string[], extra: Partial<BoundaryConfig> = {}): BoundaryConfig => ({
  file: 'kernels/k/boundary.yaml', modFiles: ['kernel/sched/core.c'], outsideFiles: [], interfaces: interfaces.map((name) => ({ name, reason: 'test' })), excludedInterfaces: [], interfacePrefixes: ['__x64_sys_'], kernelFunctions: [], sharedVars: [], privateVars: [], sidecars: [], units: ['kernel/sched/core.c'], moduleCompat: null, ...extra,
});
/** Every function has a plain vmlinux copy in core.c unless listed in `inlined`. */
function facts(u: CollectedUnit[], extra: Partial<VmlinuxFacts> = {}, inlined: string[] = []): VmlinuxFacts {
  const functions = u.flatMap((x) => x.functions).filter((f) => !inlined.includes(f.name)).map((f) => ({ name: f.name, unit: f.linkage === 'static' ? 'kernel/sched/core.c' : 'kernel/sched/core.c', global: f.linkage === 'global', weak: f.weak, size: 10, sympos: 0 }));
  return { functions, clones: {}, exports: [], objects: [], referrers: {}, ...extra };
}
const names = (a: ReturnType<typeof analyzeBoundary>, cls: keyof ReturnType<typeof analyzeBoundary>['classes']) => a.classes[cls].map((e) => e.name);

describe('boundary analysis', () => {
  it('keeps kernelFunctions in the kernel and makes what they call interfaces (inlined callees stay with them)', () => {
    const u = unit([
      fn('schedule', 'kernel/sched/core.c', ['submit', '__schedule'], { linkage: 'global' }),
      fn('submit', 'kernel/sched/core.c', ['flush']),
      fn('flush', 'kernel/sched/core.c'),
      fn('__schedule', 'kernel/sched/core.c', ['pick']),
      fn('pick', 'kernel/sched/core.c'),
      fn('idle_hook', 'kernel/sched/core.c', [], { weak: true, linkage: 'global' }),
      fn('do_idle', 'kernel/sched/core.c', ['idle_hook', 'schedule'], { linkage: 'global' }),
    ]);
    const a = analyzeBoundary(u, facts(u, {}, ['submit']), config([], { kernelFunctions: [{ name: 'schedule', reason: 'tasks sleep in it' }, { name: 'do_idle', reason: 'the idle loop' }] }));
    expect(a.errors).toEqual([]);
    expect(names(a, 'outsider')).toEqual(['do_idle', 'idle_hook', 'schedule']);
    expect(a.reasons['schedule (kernel/sched/core.c)']).toEqual(['kept in the kernel (kernelFunctions): tasks sleep in it']);
    // __schedule is called by the kernel's schedule(): it must be redirected, and what it calls stays the module's
    expect(names(a, 'interface')).toEqual(['__schedule', 'flush']);
    expect(names(a, 'insider')).toEqual(['pick']);
    // submit has no copy of its own in vmlinux: it is part of the kernel's schedule(), so what it calls is an entry too
    expect(names(a, 'outsider_inline')).toEqual(['submit']);
    expect(a.reasons['flush (kernel/sched/core.c)'][0]).toMatch(/called by submit \(kernel\/sched\/core\.c\), which stays in the kernel/);
    expect(a.reasons['idle_hook (kernel/sched/core.c)'][0]).toMatch(/a weak default called by do_idle/);
  });

  it('rejects a kernel function that does not exist or is also an interface', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', [], { linkage: 'global' })]);
    const a = analyzeBoundary(u, facts(u), config(['schedule'], { kernelFunctions: [{ name: 'schedul', reason: 'x' }, { name: 'schedule', reason: 'y' }] }));
    expect(a.errors.join(' ')).toMatch(/kernel function "schedul" is not a function defined in the boundary files \(did you mean schedule\?\)/);
    expect(a.errors.join(' ')).toMatch(/"schedule" is listed both in interfaces and in kernelFunctions/);
  });

  it('makes functions reached only through interfaces insiders', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', ['pick'], { linkage: 'global' }), fn('pick', 'kernel/sched/core.c', ['helper']), fn('helper', 'kernel/sched/core.c')]);
    const a = analyzeBoundary(u, facts(u), config(['schedule']));
    expect(names(a, 'interface')).toEqual(['schedule']);
    expect(names(a, 'insider')).toEqual(['helper', 'pick']);
    expect(a.reasons['schedule (kernel/sched/core.c)']).toEqual(['added as an interface in kernels/k/boundary.yaml: test']);
    expect(a.interfaces.origins).toEqual({ 'schedule (kernel/sched/core.c)': 'override' });
    expect(names(a, 'tainted')).toEqual(['helper', 'pick', 'schedule']);
  });

  it('derives an interface from calls outside the scheduler in vmlinux, not from init code or data', () => {
    const u = unit([fn('wake', 'kernel/sched/core.c', ['ttwu'], { linkage: 'global' }), fn('ttwu', 'kernel/sched/core.c'), fn('boot_only', 'kernel/sched/core.c'), fn('ops_fn', 'kernel/sched/core.c')]);
    const code = (from: string) => ({ from, section: '.text', kind: 'code' as const, init: false });
    const a = analyzeBoundary(
      u,
      facts(u, { referrers: { wake: [code('do_exit'), code('kthread')], boot_only: [{ from: 'start_kernel', section: '.init.text', kind: 'code', init: true }], ops_fn: [{ from: 'cpuhp_hp_states', section: '.data', kind: 'data', init: false }] } }),
      config([]),
    );
    expect(a.errors).toEqual([]);
    expect(names(a, 'interface')).toEqual(['wake']);
    expect(a.reasons['wake (kernel/sched/core.c)']).toEqual(['derived: called or referenced by code outside the scheduler: do_exit (.text), kthread (.text)']);
    expect(a.interfaces.origins).toEqual({ 'wake (kernel/sched/core.c)': 'derived' });
    // a pointer in data is a callback (redirected too), init code is gone after boot: boot_only and ttwu stay the module's
    expect(names(a, 'callback')).toEqual(['ops_fn']);
    expect(names(a, 'insider')).toEqual(['boot_only', 'ttwu']);
  });

  it('derives interfaces from the other files of the units, static calls and exports; not without a copy to redirect', () => {
    const u = unit([
      fn('acct', 'kernel/sched/core.c'),
      fn('account_tick', 'kernel/sched/cputime.c', ['acct', 'inlined']),
      fn('inlined', 'kernel/sched/sched.h'),
      fn('cond', 'kernel/sched/core.c', [], { linkage: 'global' }),
      fn('exported', 'kernel/sched/core.c', [], { linkage: 'global' }),
      fn('weak_hook', 'kernel/sched/core.c', [], { linkage: 'global', weak: true }),
    ]);
    const a = analyzeBoundary(
      u,
      facts(u, { exports: ['exported'], referrers: { cond: [{ from: '__SCT__cond_resched', section: '.static_call.text', kind: 'code', init: false }], weak_hook: [{ from: 'arch_x', section: '.text', kind: 'code', init: false }] } }, ['inlined']),
      config([], { modFiles: ['kernel/sched/core.c', 'kernel/sched/sched.h'] }),
    );
    expect(names(a, 'interface')).toEqual(['acct', 'cond', 'exported']);
    expect(a.reasons['acct (kernel/sched/core.c)']).toEqual(['derived: called by account_tick (kernel/sched/cputime.c), outside the boundary files']);
    expect(a.reasons['cond (kernel/sched/core.c)']).toEqual(["derived: a static call's target (__SCT__cond_resched)"]);
    expect(a.reasons['exported (kernel/sched/core.c)']).toEqual(['derived: exported to modules (EXPORT_SYMBOL: __ksymtab_exported)']);
    // inlined has no copy in vmlinux: the kernel's cputime.c has its own; weak_hook may be overridden by the architecture
    expect(names(a, 'outsider_inline')).toEqual(['inlined']);
    expect(names(a, 'outsider')).toEqual(['weak_hook']);
  });

  it('keeps an excluded derived interface in the kernel, with the override\'s reason, and demotes what it calls', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', ['shared'], { linkage: 'global' }), fn('shared', 'kernel/sched/core.c', ['leaf'], { linkage: 'global' }), fn('leaf', 'kernel/sched/core.c')]);
    const f = facts(u, { referrers: { shared: [{ from: 'do_exit', section: '.text', kind: 'code', init: false }] } });
    const a = analyzeBoundary(u, f, config(['schedule'], { excludedInterfaces: [{ name: 'shared', reason: 'a lock helper with no policy' }] }));
    expect(a.errors).toEqual([]);
    expect(names(a, 'outsider')).toEqual(['leaf', 'shared']);
    expect(a.reasons['shared (kernel/sched/core.c)']).toEqual([
      'excluded from the interfaces (excludeInterfaces) in kernels/k/boundary.yaml: a lock helper with no policy',
      'called or referenced by code outside the scheduler: do_exit (.text)',
    ]);
    expect(a.interfaces.excluded).toEqual([{ key: 'shared (kernel/sched/core.c)', reason: 'a lock helper with no policy', entries: ['called or referenced by code outside the scheduler: do_exit (.text)'] }]);
    // the fixpoint: leaf is called by shared, now an outsider, so it is demoted too, with the chain
    expect(a.reasons['leaf (kernel/sched/core.c)'][0]).toMatch(/called by shared \(kernel\/sched\/core\.c\) \(an outsider: excluded from the interfaces/);
    // schedule is added by hand although nothing outside calls it; without the override it is an insider
    expect(names(analyzeBoundary(u, f, config([])), 'insider')).toEqual(['leaf', 'schedule']);
    expect(names(analyzeBoundary(u, f, config([])), 'interface')).toEqual(['shared']);
  });

  it('excludes a callee of a kernel function too', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', ['__schedule'], { linkage: 'global' }), fn('__schedule', 'kernel/sched/core.c')]);
    const a = analyzeBoundary(u, facts(u), config([], { kernelFunctions: [{ name: 'schedule', reason: 'sleeps' }], excludedInterfaces: [{ name: '__schedule', reason: 'why not' }] }));
    expect(names(a, 'outsider')).toEqual(['__schedule', 'schedule']);
    expect(a.reasons['__schedule (kernel/sched/core.c)'][0]).toMatch(/^excluded from the interfaces \(excludeInterfaces\) in kernels\/k\/boundary\.yaml: why not; called by schedule/);
    expect(a.warnings).toEqual(['no function is redirected: check the boundary files and the interfaces overrides in the boundary config']);
  });

  it('warns about overrides that change nothing', () => {
    const u = unit([fn('wake', 'kernel/sched/core.c', [], { linkage: 'global' }), fn('quiet', 'kernel/sched/core.c')]);
    const a = analyzeBoundary(u, facts(u, { exports: ['wake'] }), config(['wake'], { excludedInterfaces: [{ name: 'quiet', reason: 'r' }] }));
    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([
      'wake (kernel/sched/core.c) is added in interfaces in kernels/k/boundary.yaml, but the analysis derives it anyway (exported to modules (EXPORT_SYMBOL: __ksymtab_wake)): remove the override',
      'quiet is in excludeInterfaces in kernels/k/boundary.yaml, but nothing outside the boundary files enters it on this kernel: the override changes nothing; remove it',
    ]);
    expect(names(a, 'insider')).toEqual(['quiet']);
  });

  it('keeps an outsider without a vmlinux copy as outsider_inline', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', [], { linkage: 'global' }), fn('tiny', 'kernel/sched/core.c'), fn('user', 'kernel/sched/cputime.c', ['tiny'])]);
    const a = analyzeBoundary(u, facts(u, {}, ['tiny']), config(['schedule']));
    expect(names(a, 'outsider_inline')).toEqual(['tiny']);
    expect(a.reasons['tiny (kernel/sched/core.c)'].join(' ')).toMatch(/no callable copy in vmlinux/);
  });

  it('classifies init code, syscall prefixes, exports and callbacks', () => {
    const u = unit(
      [
        fn('sched_init', 'kernel/sched/core.c', ['helper'], { init: true, section: '.init.text', linkage: 'global' }),
        fn('helper', 'kernel/sched/core.c'),
        fn('__x64_sys_sched_yield', 'kernel/sched/core.c', [], { linkage: 'global' }),
        fn('wake_up_process', 'kernel/sched/core.c', [], { linkage: 'global' }),
        fn('timer_fn', 'kernel/sched/core.c'),
        fn('arm', 'kernel/sched/core.c', [], { addressTaken: ['timer_fn'] }),
      ],
      [{ name: 'fair_sched_class', file: 'kernel/sched/core.c', linkage: 'global', weak: false, perCpu: false, section: '__fair_sched_class', fromMacro: true, name_loc: P, defined: true, addressTaken: ['arm'] }],
    );
    const a = analyzeBoundary(u, facts(u, { exports: ['wake_up_process'] }), config([]));
    expect(names(a, 'init')).toEqual(['sched_init']);
    expect(names(a, 'interface')).toEqual(['__x64_sys_sched_yield', 'wake_up_process']);
    expect(a.interfaces.origins).toEqual({ '__x64_sys_sched_yield (kernel/sched/core.c)': 'syscall', 'wake_up_process (kernel/sched/core.c)': 'derived' });
    // exported without a copy to redirect: the kernel's stays
    expect(names(analyzeBoundary(u, facts(u, { exports: ['wake_up_process'] }, ['wake_up_process']), config([])), 'export')).toEqual(['wake_up_process']);
    expect(names(a, 'callback')).toEqual(['timer_fn']);
    // helper is only called from init code (gone after boot): still an insider; the sched_class table is shadowed, not a callback source
    expect(names(a, 'insider')).toEqual(expect.arrayContaining(['helper']));
    expect(names(a, 'callback')).not.toContain('arm');
  });

  it('reports unknown interfaces with near matches', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', [], { linkage: 'global' })]);
    const a = analyzeBoundary(u, facts(u), config(['schedul', 'nonexistent_thing']));
    expect(a.errors.join(' ')).toMatch(/interface "nonexistent_thing" is not a function defined in the boundary files; remove it from interfaces in kernels\/k\/boundary\.yaml/);
    expect(a.errors.join(' ')).toMatch(/interface "schedul" .*did you mean schedule\?/);
  });

  it('finds unknown names from the collected facts alone, before vmlinux is read', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', [], { linkage: 'global' }), fn('elsewhere', 'kernel/other.c')]);
    const cfg = config(['schedule', 'elsewhere'], { kernelFunctions: [{ name: 'schedule', reason: 'sleeps' }], excludedInterfaces: [{ name: 'schedule', reason: 'x' }, { name: 'schedul', reason: 'y' }] });
    expect(boundaryNameErrors(u, cfg)).toEqual([
      'interface "elsewhere" is not a function defined in the boundary files; remove it from interfaces in kernels/k/boundary.yaml or add the file that defines it',
      'excluded interface "schedul" is not a function defined in the boundary files (did you mean schedule?); remove it from excludeInterfaces in kernels/k/boundary.yaml or add the file that defines it',
      '"schedule" is listed both in interfaces and in excludeInterfaces in kernels/k/boundary.yaml; keep one',
      '"schedule" is listed both in interfaces and in kernelFunctions in kernels/k/boundary.yaml; keep one',
      '"schedule" is listed both in excludeInterfaces and in kernelFunctions in kernels/k/boundary.yaml; keep one',
    ]);
    expect(boundaryNameErrors(u, config(['schedule']))).toEqual([]);
  });

  it('refuses to redirect a function whose compiler clone stays reachable from outside', () => {
    const u = unit([fn('schedule', 'kernel/sched/core.c', [], { linkage: 'global' })]);
    const a = analyzeBoundary(u, facts(u, { clones: { schedule: ['schedule.isra.0'] }, referrers: { 'schedule.isra.0': [{ from: 'io_wait', section: '.text', kind: 'code', init: false }] } }), config(['schedule']));
    expect(a.errors.join(' ')).toMatch(/schedule \(kernel\/sched\/core\.c\) is redirected \(interface\) but vmlinux also has compiler clones \(schedule\.isra\.0\) that stay reachable from outside the module \(schedule\.isra\.0 from io_wait\)/);
  });

  it('refuses duplicate local names among redirected functions that sympos cannot tell apart', () => {
    const u: CollectedUnit[] = [
      { format: 1, unit: 'kernel/sched/core.c', functions: [fn('tick', 'kernel/sched/core.c')], variables: [] },
      { format: 1, unit: 'kernel/sched/fair.c', functions: [fn('tick', 'kernel/sched/fair.c')], variables: [] },
    ];
    const f: VmlinuxFacts = { functions: [], clones: {}, exports: [], objects: [], referrers: {} };
    const a = analyzeBoundary(u, f, config(['tick'], { modFiles: ['kernel/sched/core.c', 'kernel/sched/fair.c'] }));
    expect(a.errors.join(' ')).toMatch(/tick names 2 redirected functions/);
  });

  it('marks struct fields touched outside the module as shared', () => {
    const u = unit([
      fn('schedule', 'kernel/sched/core.c', [], { linkage: 'global', fieldAccesses: [{ struct: 'rq', field: 'nr_running' }, { struct: 'rq', field: 'curr' }] }),
      fn('account', 'kernel/sched/cputime.c', [], { fieldAccesses: [{ struct: 'rq', field: 'curr' }] }),
    ]);
    const a = analyzeBoundary(u, facts(u), config(['schedule']));
    expect(a.structs.rq).toEqual({ private: ['nr_running'], shared: ['curr'], users: ['account (kernel/sched/cputime.c)'] });
  });

  it('suggests near names', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearMatches('try_to_wakeup', ['try_to_wake_up', 'wake_up_process', 'ttwu_queue'])).toEqual(['try_to_wake_up']);
  });
});

describe('derived interfaces', () => {
  const none: EntryFacts = { referrers: {}, fromOutsideFiles: new Map(), exports: new Set() };
  const c = (name: string, global = true) => ({ key: `${name} (kernel/sched/core.c)`, name, global });

  it('gives one reason per kind of entry, the first three referrers of each', () => {
    const code = (from: string) => ({ from, section: '.text', kind: 'code' as const, init: false });
    const facts: EntryFacts = {
      referrers: { wake: [code('a'), code('b'), code('c'), code('d'), { from: '__SCK__wake', section: '.data', kind: 'data', init: false }, { from: 'ops', section: '.data', kind: 'data', init: false }] },
      fromOutsideFiles: new Map([['wake (kernel/sched/core.c)', ['called by psi_x (kernel/sched/psi.c)']]]),
      exports: new Set(['wake']),
    };
    expect(entriesOf(c('wake'), facts)).toEqual([
      'called or referenced by code outside the scheduler: a (.text), b (.text), c (.text) and 1 more',
      'called by psi_x (kernel/sched/psi.c), outside the boundary files',
      "a static call's target (__SCK__wake)",
      'exported to modules (EXPORT_SYMBOL: __ksymtab_wake)',
    ]);
  });

  it('ignores init references, plain data pointers and the export of a same-named static', () => {
    const facts: EntryFacts = { ...none, referrers: { f: [{ from: 'x', section: '.init.text', kind: 'code', init: true }, { from: 'tbl', section: '.data', kind: 'data', init: false }] }, exports: new Set(['f']) };
    expect(entriesOf(c('f', false), facts)).toEqual([]);
    expect([...deriveInterfaces([c('f', false), c('g')], { ...facts, exports: new Set(['g']) }).keys()]).toEqual(['g (kernel/sched/core.c)']);
  });
});

describe('derived interfaces that cannot be redirected', () => {
  it('keeps a function in the kernel when a lock guard has its name (DEFINE_LOCK_GUARD_1)', () => {
    const u = unit([fn('task_rq_lock', 'kernel/sched/core.c', [], { linkage: 'global' }), fn('class_task_rq_lock_constructor', 'kernel/sched/sched.h', ['task_rq_lock'], { fromMacro: true })]);
    const f = facts(u, { referrers: { task_rq_lock: [{ from: 'cgroup_move_task', section: '.text', kind: 'code', init: false }] } }, ['class_task_rq_lock_constructor']);
    const a = analyzeBoundary(u, f, config([], { modFiles: ['kernel/sched/core.c', 'kernel/sched/sched.h'] }));
    expect(names(a, 'outsider')).toEqual(['task_rq_lock']);
    expect(a.reasons['task_rq_lock (kernel/sched/core.c)'][0]).toMatch(/^entered from outside, but not redirectable: class_task_rq_lock_constructor is a cleanup guard of the same name/);
    expect(a.interfaces.excluded.map((x) => x.key)).toEqual(['task_rq_lock (kernel/sched/core.c)']);
  });

  it("does not derive a header's function, whose copies belong to every unit that includes it", () => {
    const u = unit([fn('task_rq_unlock', 'kernel/sched/sched.h'), fn('cgroup_move_task', 'kernel/sched/psi.c', ['task_rq_unlock'])]);
    const a = analyzeBoundary(u, facts(u), config([], { modFiles: ['kernel/sched/core.c', 'kernel/sched/sched.h'] }));
    expect(names(a, 'interface')).toEqual([]);
    expect(names(a, 'outsider')).toEqual(['task_rq_unlock']);
    expect(a.reasons['task_rq_unlock (kernel/sched/sched.h)'][0]).toMatch(/called by cgroup_move_task \(kernel\/sched\/psi\.c\) \(outside the boundary files\)/);
  });
});
