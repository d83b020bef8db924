/**
 * Sidecars (boundary/sidecars.ts, extraction of a sidecar, a variant's sidecars
 * in scheduler.yaml): resolution against small synthetic facts, every refusal
 * naming the file, the field and the fix, and what extraction writes for a
 * sidecar of a file outside the boundary.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectedFunction, CollectedUnit } from '../../plugins/plugsched/src/boundary/collector-format';
import { resolveSidecars, sidecarReasons, variantSidecarClashes, withSidecars, type SidecarRequest } from '../../plugins/plugsched/src/boundary/sidecars';
import type { VmFunction, VmlinuxFacts } from '../../plugins/plugsched/src/boundary/vmlinux';
import type { BoundaryConfig } from '../../plugins/plugsched/src/config/boundary-config';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import { extractTree, type BoundaryClasses } from '../../plugins/plugsched/src/extract/extract-tree';

const UNIT = 'kernel/sched/build_utility.c';
const CPUACCT = 'kernel/sched/cpuacct.c';
const ORIGIN = { file: 'schedulers/v/scheduler.yaml', field: 'sidecars' };
const MOD_FILES = ['kernel/sched/core.c'];

let line = 1;
function fn(name: string, file: string, extra: Partial<CollectedFunction> = {}): CollectedFunction {
  const at = { line: line++, column: 1, offset: line * 100 };
  return { name, file, linkage: 'global', weak: false, inline: false, alwaysInline: false, section: null, init: false, fromMacro: false, name_loc: at, body: { start: at, end: at }, calls: [], addressTaken: [], varRefs: [], fieldAccesses: [], ...extra };
}
const vm = (name: string, extra: Partial<VmFunction> = {}): VmFunction => ({ name, unit: UNIT, global: true, weak: false, size: 40, sympos: 0, ...extra });
const units = (functions: CollectedFunction[]): CollectedUnit[] => [{ format: 1, unit: UNIT, functions, variables: [] }];
const facts = (functions: VmFunction[], extra: Partial<VmlinuxFacts> = {}): VmlinuxFacts => ({ functions, clones: {}, exports: [], objects: [], referrers: {}, ...extra });
const req = (name: string, file = CPUACCT): SidecarRequest => ({ name, file });

describe('resolving sidecars', () => {
  it('takes a function of a file outside the boundary with one out-of-line copy, with its sympos and its callees that need one', () => {
    const u = units([
      fn('cpuacct_charge', CPUACCT, { calls: ['task_ca', 'note'] }),
      fn('task_ca', CPUACCT, { linkage: 'static', inline: true }),
      fn('note', CPUACCT, { linkage: 'static' }),
      fn('account', 'kernel/sched/cputime.c', { linkage: 'static' }),
    ]);
    const f = facts([vm('cpuacct_charge'), vm('note', { global: false, sympos: 2 }), vm('note', { global: false, unit: 'kernel/fork.c', sympos: 1 }), vm('account', { global: false, sympos: 1 })]);
    const r = resolveSidecars(u, f, [req('cpuacct_charge'), req('account', 'kernel/sched/cputime.c')], MOD_FILES, ORIGIN);
    expect(r.errors).toEqual([]);
    expect(r.entries).toEqual([{ name: 'account', file: 'kernel/sched/cputime.c', sympos: 1 }, { name: 'cpuacct_charge', file: CPUACCT }]);
    // task_ca has no copy (inlined): the module keeps it; note is the kernel's, one of two of that name
    expect(r.callees).toEqual([{ name: 'note', file: CPUACCT, sympos: 2 }]);
  });

  const refused = (requests: SidecarRequest[], fns: CollectedFunction[], vmFns: VmFunction[], extra: Partial<VmlinuxFacts> = {}) => {
    const r = resolveSidecars(units(fns), facts(vmFns, extra), requests, MOD_FILES, ORIGIN);
    expect(r.entries).toEqual([]);
    expect(r.errors).toHaveLength(1);
    return r.errors[0];
  };

  it('refuses a name its file does not define, with near matches, naming the file, the field and the fix', () => {
    expect(refused([req('cpuacct_chrge')], [fn('cpuacct_charge', CPUACCT)], [vm('cpuacct_charge')])).toBe(
      'schedulers/v/scheduler.yaml: sidecars[0] (function cpuacct_chrge, file kernel/sched/cpuacct.c): kernel/sched/cpuacct.c defines no function cpuacct_chrge (did you mean cpuacct_charge?). Correct "function" to a function kernel/sched/cpuacct.c defines, or correct "file" to the file that defines cpuacct_chrge.',
    );
  });

  it('refuses a name defined several times in its file', () => {
    expect(refused([req('twice')], [fn('twice', CPUACCT), fn('twice', CPUACCT)], [vm('twice')])).toMatch(/kernel\/sched\/cpuacct\.c defines twice 2 times \(lines \d+, \d+\), and a sidecar must name one definition\. Redirect a caller of twice instead, or remove the entry from "sidecars" in schedulers\/v\/scheduler\.yaml\.$/);
  });

  it('refuses a function inlined everywhere: vmlinux has no copy to redirect', () => {
    expect(refused([req('task_ca')], [fn('task_ca', CPUACCT, { linkage: 'static', inline: true })], [])).toMatch(/vmlinux has no out-of-line copy of task_ca \(the compiler inlined it into every caller\), so there is no entry to redirect and a changed body would never run\. Make a caller of task_ca that has a copy in vmlinux the sidecar/);
    // a static's copy must be its own unit's
    expect(refused([req('helper')], [fn('helper', CPUACCT, { linkage: 'static' })], [vm('helper', { global: false, unit: 'kernel/fork.c' })])).toMatch(/no out-of-line copy of helper/);
    expect(refused([req('part')], [fn('part', CPUACCT)], [], { clones: { part: ['part.part.0'] } })).toMatch(/inlined it into every caller; only the clones part\.part\.0 exist/);
  });

  it('refuses several copies no position tells apart, and compiler clones', () => {
    expect(refused([req('dup')], [fn('dup', CPUACCT, { linkage: 'static' })], [vm('dup', { global: false, sympos: 1 }), vm('dup', { global: false, sympos: 2 })])).toMatch(/vmlinux has 2 copies of dup in kernel\/sched\/build_utility\.c/);
    expect(refused([req('cl')], [fn('cl', CPUACCT)], [vm('cl')], { clones: { cl: ['cl.cold', 'cl.isra.0'] } })).toMatch(/compiler clones of cl \(cl\.isra\.0\), and calls through a clone would run the kernel's old body/);
    // a .cold part alone is fine: the stack check takes it (superseded.h)
    expect(resolveSidecars(units([fn('hot', CPUACCT)]), facts([vm('hot')], { clones: { hot: ['hot.cold'] } }), [req('hot')], MOD_FILES, ORIGIN).errors).toEqual([]);
  });

  it('refuses a boundary file, a file outside kernel/sched or not compiled, init code, a macro-made function and a repeated entry', () => {
    expect(refused([req('pick', 'kernel/sched/core.c')], [fn('pick', 'kernel/sched/core.c')], [vm('pick')])).toMatch(/kernel\/sched\/core\.c is a boundary file: its functions are the module's already\. List pick under "interfaces" of the boundary config/);
    expect(refused([req('do_exit', 'kernel/exit.c')], [], [])).toMatch(/a sidecar must be a function of a \.c file under kernel\/sched\/ that the scheduler's units compile/);
    expect(refused([req('psi_x', 'kernel/sched/psi.c')], [fn('a', CPUACCT)], [])).toMatch(/kernel\/sched\/psi\.c is not compiled by the scheduler's units \(kernel\/sched\/build_utility\.c\) with this kernel's config/);
    expect(refused([req('boot')], [fn('boot', CPUACCT, { init: true, section: '.init.text' })], [vm('boot')])).toMatch(/boot is init code \(section \.init\.text\), gone after boot\. Remove the entry from "sidecars"/);
    expect(refused([req('m')], [fn('m', CPUACCT, { fromMacro: true })], [vm('m')])).toMatch(/m is made by a macro/);
    const twice = resolveSidecars(units([fn('c', CPUACCT)]), facts([vm('c')]), [req('c'), req('c')], MOD_FILES, ORIGIN);
    expect(twice.entries).toEqual([{ name: 'c', file: CPUACCT }]);
    expect(twice.errors).toEqual(['schedulers/v/scheduler.yaml: sidecars[1] (function c, file kernel/sched/cpuacct.c): is listed twice. Keep one of them in "sidecars".']);
  });

  it("refuses a variant's sidecar that the kernel's boundary has already", () => {
    expect(variantSidecarClashes([req('a'), req('b')], [{ name: 'b', file: CPUACCT }], ORIGIN, 'kernels/k/boundary.yaml')).toEqual([
      'schedulers/v/scheduler.yaml: sidecars[1] (function b, file kernel/sched/cpuacct.c) is a sidecar of the kernel\'s boundary already (kernels/k/boundary.yaml). Remove it from "sidecars" in schedulers/v/scheduler.yaml.',
    ]);
  });
});

describe('sidecars in the classes', () => {
  it('are their own class, superseded (tainted) and their callees named for the installer; merging is idempotent and sorted', () => {
    const base = { interface: [], tainted: [{ name: 'pick', file: 'kernel/sched/core.c', sympos: 0 }], undefined: [], sidecar: [{ name: 'z', file: CPUACCT }] };
    const r = { entries: [{ name: 'cpuacct_charge', file: CPUACCT }], callees: [{ name: 'note', file: CPUACCT, sympos: 2 }] };
    const c = withSidecars(base, r);
    expect(c.sidecar).toEqual([{ name: 'cpuacct_charge', file: CPUACCT }, { name: 'z', file: CPUACCT }]);
    expect(c.tainted).toEqual([{ name: 'cpuacct_charge', file: CPUACCT, sympos: 0 }, { name: 'pick', file: 'kernel/sched/core.c', sympos: 0 }]);
    expect(c.undefined).toEqual([{ name: 'note', file: CPUACCT, sympos: 2 }]);
    expect(withSidecars(c, r)).toEqual(c);
    expect(sidecarReasons(r.entries, { file: 'kernels/k/boundary.yaml', field: 'sidecars' })).toEqual({ 'cpuacct_charge (kernel/sched/cpuacct.c)': ["a sidecar listed in kernels/k/boundary.yaml (sidecars): redirected to the module, the rest of its file stays the kernel's"] });
  });
});

describe('extraction of a sidecar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecars-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const CPUACCT_C = 'static inline int helper(int x)\n{\n\treturn x + 1;\n}\n\nvoid charge(int x)\n{\n\thelper(x);\n}\n\nvoid other(int x)\n{\n\thelper(x);\n}\n';
  const CORE_C = 'void sw(void)\n{\n\tswitch_to(prev, next, prev);\n}\n';
  /** The collector's view of a definition in `text`: name and body offsets as GCC reports them. */
  const def = (text: string, name: string, linkage: 'static' | 'global'): CollectedFunction => {
    const nameAt = text.indexOf(`${name}(`);
    const body = text.indexOf('{', nameAt);
    const pos = (offset: number) => ({ line: text.slice(0, offset).split('\n').length, column: 1, offset });
    return { ...fn(name, CPUACCT, { linkage }), name_loc: pos(nameAt), body: { start: pos(body), end: pos(text.indexOf('}', body) + 1) } };
  };

  function extract(name: string, sidecar: boolean) {
    const sourceTree = join(dir, name, 'src');
    const runtimeDir = join(dir, name, 'runtime');
    mkdirSync(join(sourceTree, 'kernel', 'sched'), { recursive: true });
    mkdirSync(runtimeDir, { recursive: true });
    writeFileSync(join(runtimeDir, 'runtime.c'), '/* runtime */\n');
    writeFileSync(join(sourceTree, CPUACCT), CPUACCT_C);
    writeFileSync(join(sourceTree, 'kernel/sched/core.c'), CORE_C);
    const u = units([def(CPUACCT_C, 'helper', 'static'), def(CPUACCT_C, 'charge', 'global'), def(CPUACCT_C, 'other', 'global')]);
    const f = facts([vm('charge'), vm('other')]);
    const config: BoundaryConfig = { file: 'kernels/k/boundary.yaml', modFiles: MOD_FILES, outsideFiles: [CPUACCT], interfaces: [], excludedInterfaces: [], interfacePrefixes: [], kernelFunctions: [], sharedVars: [], privateVars: [], sidecars: [], units: [UNIT], moduleCompat: null };
    const resolved = resolveSidecars(u, f, sidecar ? [req('charge')] : [], MOD_FILES, ORIGIN);
    expect(resolved.errors).toEqual([]);
    const none: BoundaryClasses = { interface: [], callback: [], insider: [], outsider: [], outsider_inline: [], init: [], tainted: [], undefined: [] };
    const outDir = join(dir, name, 'out');
    const r = extractTree({ sourceTree, outDir, units: u, classes: withSidecars(none, resolved), config, inVmlinux: (n) => f.functions.some((x) => x.name === n), runtimeDir, springboardLayout: null });
    expect(r.problems).toEqual([]);
    const read = (rel: string) => readFileSync(join(outDir, rel), 'utf8');
    return { cpuacct: read(CPUACCT), files: read('kernel/sched/plugsched/redirect-files.h'), names: read('kernel/sched/plugsched/redirect-names.h'), superseded: read('kernel/sched/plugsched/superseded.h') };
  }

  it("redirects the sidecar like an interface; the rest of its file stays the kernel's", () => {
    const x = extract('with', true);
    expect(x.cpuacct).toBe(
      [
        "/* DON'T MODIFY FUNCTION helper, IT'S NOT PART OF THE SCHEDULER MODULE */",
        'static inline int helper(int x)\n{\n\treturn x + 1;\n}\n',
        "/* DON'T MODIFY SIGNATURE OF INTERFACE FUNCTION charge */",
        'void charge(int x);',
        'void __mod_charge(int x)\n{\n\thelper(x);\n}\n',
        'void other(int x);\n',
        '/* Generated by plugsched-nx extraction: this file\'s redirected functions. */',
        '#define PLUGSCHED_FILE_ID cpuacct',
        '#define PLUGSCHED_FILE_REDIRECTS \\',
        '\tPLUGSCHED_REDIRECT(__mod_charge, __orig_charge, "charge", 0)',
        '#include "plugsched/redirect-table.h"',
        '',
      ].join('\n'),
    );
    expect(x.files).toContain('PLUGSCHED_REDIRECT_FILE(cpuacct)\n');
    expect(x.names).toContain('#define charge __orig_charge\n');
    expect(x.superseded).toContain('PLUGSCHED_SUPERSEDED("charge", 0)\n');
  });

  it('without it the file is declarations only, and no glue names it', () => {
    const x = extract('without', false);
    expect(x.cpuacct).toContain('void charge(int x);\n');
    expect(x.cpuacct).not.toMatch(/__mod_|PLUGSCHED_FILE_ID/);
    expect(x.files).not.toContain('cpuacct');
    expect(x.names).not.toContain('charge');
    expect(x.superseded).not.toContain('charge');
  });
});

describe("a variant's sidecars in scheduler.yaml", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecars-yaml-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    mkdirSync(join(dir, 'schedulers', 'v'), { recursive: true });
    writeFileSync(join(dir, 'schedulers', 'v', 'scheduler.yaml'), yaml);
    return loadSchedulerConfig('schedulers/v/scheduler.yaml', dir);
  };

  it('are read in the order listed, and none is no sidecar', () => {
    expect(load('kernel: k\nversion: 1.0.0\nsidecars:\n  - { function: cpuacct_charge, file: kernel/sched/cpuacct.c }\n  - { function: account_user_time, file: kernel/sched/cputime.c }\n').sidecars).toEqual([
      { name: 'cpuacct_charge', file: 'kernel/sched/cpuacct.c' },
      { name: 'account_user_time', file: 'kernel/sched/cputime.c' },
    ]);
    expect(load('kernel: k\nversion: 1.0.0\n').sidecars).toEqual([]);
  });

  it('are validated by the schema: a missing file or an unknown key is refused naming scheduler.yaml', () => {
    expect(() => load('kernel: k\nversion: 1.0.0\nsidecars:\n  - { function: cpuacct_charge }\n')).toThrow(/schedulers\/v\/scheduler\.yaml.*sidecars.*file/s);
    expect(() => load('kernel: k\nversion: 1.0.0\nsidecars:\n  - { function: cpuacct_charge, file: kernel/sched/cpuacct.c, why: x }\n')).toThrow(/schedulers\/v\/scheduler\.yaml/);
  });
});
