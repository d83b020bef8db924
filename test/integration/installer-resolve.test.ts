/**
 * tools/installer/symbol-resolve on a real module built against the Debian
 * 6.1 devel tree: non-exported symbols resolved from a kallsyms list (with a
 * KASLR shift), duplicates told apart by sympos (the module's own table or a
 * file), refusals that change nothing (damaged copies too); then inside the
 * real kernel booted in QEMU, from /proc/kallsyms.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevelTree } from '../../plugins/plugsched/src/kernel/devel';
import { buildInitramfs } from '../../plugins/plugsched/src/vm/initramfs';
import { judgeConsole } from '../../plugins/plugsched/src/vm/judge';
import { bootVm } from '../../plugins/plugsched/src/vm/qemu';
import { develTree, WORKSPACE } from '../support/kernel';

const SHIFT = 0x2e00000n;
let dir: string;
let devel: DevelTree;
let resolver: string;
let ko: string;

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const hex = (n: bigint) => n.toString(16).padStart(16, '0');

function systemMap(): { name: string; addr: bigint; line: string }[] {
  return readFileSync(devel.systemMap, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [a, , name] = line.split(' ');
    return { name, addr: BigInt(`0x${a}`), line };
  });
}

function resolve(args: string[], module: string) {
  return spawnSync(resolver, [...args, module], { encoding: 'utf8' });
}

function symbolOf(module: string, name: string): { value: bigint; ndx: string } {
  const out = spawnSync('readelf', ['-sW', module], { encoding: 'utf8' }).stdout;
  const line = out.split('\n').find((l) => l.trim().endsWith(` ${name}`)) as string;
  const f = line.trim().split(/\s+/);
  return { value: BigInt(`0x${f[1]}`), ndx: f[6] };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plugsched-resolve-'));
  devel = await develTree();
  resolver = join(dir, 'symbol-resolve');
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-static', '-o', resolver, join(WORKSPACE, 'tools', 'installer', 'symbol-resolve.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(cc.stderr);
  const m = join(dir, 'mod');
  mkdirSync(m);
  writeFileSync(join(m, 'peek.c'), [
    '#include <linux/module.h>',
    '/* neither is exported: both come from kallsyms at install time */',
    'extern unsigned int sysctl_sched_rt_runtime;',
    'extern void __orig_print_cpu(void);',
    'static int __init peek_init(void)',
    '{',
    '\tpr_info("peek: rt_runtime=%u print_cpu=%px\\n", sysctl_sched_rt_runtime, __orig_print_cpu);',
    '\treturn 0;',
    '}',
    'static void __exit peek_exit(void) { }',
    'module_init(peek_init);',
    'module_exit(peek_exit);',
    'MODULE_LICENSE("GPL");',
    '',
  ].join('\n'));
  writeFileSync(join(m, 'Kbuild'), 'obj-m := peek.o\n');
  const make = spawnSync('make', ['-C', devel.buildDir, `M=${m}`, 'KBUILD_MODPOST_WARN=1', 'modules'], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(make.stderr);
  ko = join(m, 'peek.ko');
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('install-time symbol resolution', () => {
  let kallsyms: string;
  let printCpu: bigint[];
  let rtRuntime: bigint;

  beforeAll(() => {
    const map = systemMap();
    kallsyms = join(dir, 'kallsyms');
    writeFileSync(kallsyms, `${map.map((s) => `${hex(s.addr + SHIFT)} ${s.line.split(' ')[1]} ${s.name}`).join('\n')}\nffffffffc0000000 t some_module_fn\t[some_module]\nffffffffc0000010 t print_cpu\t[other]\n`);
    printCpu = map.filter((s) => s.name === 'print_cpu').map((s) => s.addr + SHIFT).sort((a, b) => (a < b ? -1 : 1));
    rtRuntime = (map.find((s) => s.name === 'sysctl_sched_rt_runtime')?.addr ?? 0n) + SHIFT;
    expect(printCpu.length).toBe(2);
  });

  it('refuses a duplicated local name without sympos and leaves the module unchanged', () => {
    const copy = join(dir, 'ambiguous.ko');
    writeFileSync(copy, readFileSync(ko));
    const before = sha(copy);
    const r = resolve(['--kallsyms', kallsyms], copy);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/print_cpu is ambiguous: the kernel has 2 symbols of that name; give its position in the sympos table \("print_cpu N"\)/);
    expect(sha(copy)).toBe(before);
  });

  it('resolves non-exported symbols to absolute addresses, choosing duplicates by sympos', () => {
    const copy = join(dir, 'resolved.ko');
    writeFileSync(copy, readFileSync(ko));
    writeFileSync(join(dir, 'sympos'), 'print_cpu 2\n');
    const r = resolve(['--kallsyms', kallsyms, '--sympos', join(dir, 'sympos')], copy);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resolved \d+ symbol\(s\) \(1 by sympos, 0 by link address\)/);
    expect(symbolOf(copy, 'sysctl_sched_rt_runtime')).toEqual({ value: rtRuntime, ndx: 'ABS' });
    expect(symbolOf(copy, '__orig_print_cpu')).toEqual({ value: printCpu[1], ndx: 'ABS' });
  });

  it("takes positions from the module's own .plugsched.sympos section (written at extraction); a --sympos file wins", () => {
    const copy = join(dir, 'carries-sympos.ko');
    writeFileSync(join(dir, 'section'), 'print_cpu 2\n');
    const oc = spawnSync('objcopy', ['--add-section', `.plugsched.sympos=${join(dir, 'section')}`, ko, copy], { encoding: 'utf8' });
    expect(oc.status, oc.stderr).toBe(0);
    const r = resolve(['--kallsyms', kallsyms], copy);
    expect(r.status, r.stderr).toBe(0);
    expect(symbolOf(copy, '__orig_print_cpu')).toEqual({ value: printCpu[1], ndx: 'ABS' });

    const overridden = join(dir, 'carries-sympos-overridden.ko');
    spawnSync('objcopy', ['--add-section', `.plugsched.sympos=${join(dir, 'section')}`, ko, overridden]);
    writeFileSync(join(dir, 'sympos1'), 'print_cpu 1\n');
    expect(resolve(['--kallsyms', kallsyms, '--sympos', join(dir, 'sympos1')], overridden).status).toBe(0);
    expect(symbolOf(overridden, '__orig_print_cpu')).toEqual({ value: printCpu[0], ndx: 'ABS' });
  });

  it("finds variables of a kernel whose kallsyms lists functions only in the module's link-address table, moved by the KASLR slide of _text", () => {
    const map = systemMap();
    const functionsOnly = join(dir, 'kallsyms-functions');
    writeFileSync(functionsOnly, `${map.filter((s) => /^[tTwW]$/.test(s.line.split(' ')[1])).map((s) => `${hex(s.addr + SHIFT)} ${s.line.split(' ')[1]} ${s.name}`).join('\n')}\n`);
    const link = (name: string) => map.find((s) => s.name === name)?.addr ?? 0n;
    writeFileSync(join(dir, 'linkaddrs'), `_text ${hex(link('_text'))}\nsysctl_sched_rt_runtime ${hex(link('sysctl_sched_rt_runtime'))}\n`);
    writeFileSync(join(dir, 'section'), 'print_cpu 2\n');
    const copy = join(dir, 'linkaddrs.ko');
    const oc = spawnSync('objcopy', ['--add-section', `.plugsched.linkaddrs=${join(dir, 'linkaddrs')}`, '--add-section', `.plugsched.sympos=${join(dir, 'section')}`, ko, copy], { encoding: 'utf8' });
    expect(oc.status, oc.stderr).toBe(0);
    const r = resolve(['--kallsyms', functionsOnly], copy);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(1 by sympos, 1 by link address\)/);
    expect(symbolOf(copy, 'sysctl_sched_rt_runtime')).toEqual({ value: rtRuntime, ndx: 'ABS' });
    expect(symbolOf(copy, '__orig_print_cpu')).toEqual({ value: printCpu[1], ndx: 'ABS' });
  });

  it('refuses a sympos beyond the symbols there are, and explains --help', () => {
    const copy = join(dir, 'badpos.ko');
    writeFileSync(copy, readFileSync(ko));
    writeFileSync(join(dir, 'sympos3'), 'print_cpu 3\n');
    const r = resolve(['--kallsyms', kallsyms, '--sympos', join(dir, 'sympos3')], copy);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/print_cpu: sympos 3 but the kernel has only 2 symbols of that name/);
    expect(spawnSync(resolver, ['--help'], { encoding: 'utf8' }).stdout).toMatch(/^usage: symbol-resolve/);
    expect(resolve(['--kallsyms', kallsyms], join(dir, 'no-such.ko')).status).toBe(2);
  });

  it('refuses a damaged copy of the real module in one line naming it and what is wrong, and leaves it unchanged (the fuzzing is in test/unit/symbol-resolve-corrupt.test.ts)', () => {
    const bytes = readFileSync(ko);
    const shoff = Number(bytes.readBigUInt64LE(0x28));
    const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
      ['truncated', (b) => b.subarray(0, shoff + 64), /section header table .* lies outside the file/],
      ['bad-shoff', (b) => (b.writeBigUInt64LE(0x7fffffff0n, 0x28), b), /lies outside the file/],
      ['aarch64', (b) => (b.writeUInt16LE(183, 0x12), b), /e_machine 183, but this symbol-resolve is for x86-64/],
    ];
    for (const [name, mutate, what] of cases) {
      const copy = join(dir, `damaged-${name}.ko`);
      const damaged = mutate(Buffer.from(bytes));
      writeFileSync(copy, damaged);
      const r = resolve(['--kallsyms', kallsyms], copy);
      expect(r.status, name).toBe(2);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr).toContain(`symbol-resolve: ${copy}: `);
      expect(r.stderr).toMatch(what);
      expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(createHash('sha256').update(damaged).digest('hex'));
    }
  });

  it('lets the real kernel load the module, with the values the kernel really has', async () => {
    const initramfs = join(dir, 'resolve.cpio.gz');
    writeFileSync(join(dir, 'sympos'), 'print_cpu 2\n');
    await buildInitramfs({
      outFile: initramfs,
      files: [
        { src: join(WORKSPACE, 'tools', 'vm', 'lib.sh'), dest: '/plugsched/lib.sh' },
        { src: resolver, dest: '/bin/symbol-resolve', mode: 0o755 },
        { src: ko, dest: '/plugsched/peek.ko' },
        { src: join(dir, 'sympos'), dest: '/plugsched/sympos' },
      ],
      script: `. /plugsched/lib.sh
scenario_begin resolve
cp /plugsched/peek.ko /tmp/peek.ko
check resolve "$(symbol-resolve --sympos /plugsched/sympos /tmp/peek.ko 2>&1)" symbol-resolve --sympos /plugsched/sympos /tmp/peek.ko
check insmod "insmod peek.ko" insmod /tmp/peek.ko
check value "$(dmesg | grep 'peek:')" sh -c 'dmesg | grep -q "peek: rt_runtime=950000 "'
want=$(grep ' print_cpu$' /proc/kallsyms | sed -n 2p | cut -d' ' -f1)
check sympos "kallsyms print_cpu #2 is $want" sh -c "dmesg | grep -q \\"print_cpu=$want\\""
check rmmod "rmmod peek" rmmod peek
scenario_end
`,
    });
    const run = await bootVm({ kernel: devel.vmlinuz, initramfs, cpus: 2, memMiB: 1024, timeoutSec: 240, logFile: join(dir, 'resolve.log') });
    const v = judgeConsole(run.console);
    expect(v.reasons, run.console.slice(-3000)).toEqual([]);
  }, 300_000);
});
