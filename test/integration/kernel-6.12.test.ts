/**
 * The 6.12 line on amd64 (Debian's 6.12 in bookworm), end to end: its own
 * boundary (the scheduler syscalls moved out of core.c into syscalls.c in
 * 6.10; sched_ext compiled out by Debian's config), a module built with
 * indirect branch tracking, and every vm-test scenario in the real 6.12
 * kernel booted in QEMU (single-threaded TCG).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-6.12-cloud-amd64';
const VARIANT = 'scheduler-612-x86';
let ws: TempWorkspace;

beforeAll(() => {
  ws = tempWorkspace({ kernels: [KERNEL], schedulers: [VARIANT] });
}, 120_000);
afterAll(() => ws?.dispose());

describe('Debian 6.12 cloud-amd64', () => {
  it('cuts the 6.12 scheduler along its own boundary', () => {
    const r = ws.nx(['run', `${VARIANT}:module`, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const boundary = JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', KERNEL, 'boundary', 'boundary.json'), 'utf8'));
    const where = (name: string) => boundary.classes.interface.find((e: { name: string }) => e.name === name)?.file;
    // moved out of core.c in 6.10, and still an entry point of the module
    expect(where('sched_setscheduler_nocheck')).toBe('kernel/sched/syscalls.c'); // exported; sched_setscheduler itself has no outside caller since the interfaces are derived
    expect(where('sched_tick')).toBe('kernel/sched/core.c');
    // CONFIG_SCHED_CLASS_EXT is off in Debian's 6.12 cloud config: no sixth class to carry
    expect(spawnSync('nm', [join(ws.dir, 'dist', 'schedulers', VARIANT, 'scheduler.ko')], { encoding: 'utf8' }).stdout).not.toMatch(/ ext_sched_class$/m);
  }, 1_200_000);

  it('carries which of two same-named kernel functions it means, for the installer', () => {
    const ko = join(ws.dir, 'dist', 'schedulers', VARIANT, 'scheduler.ko');
    const dump = join(ws.dir, 'sympos.section');
    expect(spawnSync('objcopy', ['--dump-section', `.plugsched.sympos=${dump}`, ko, join(ws.dir, 'scratch.ko')]).status).toBe(0);
    const section = readFileSync(dump, 'utf8');
    // kernel/cgroup/cgroup.c and kernel/sched/core.c both have a static cpu_local_stat_show
    expect(section).toMatch(/^cpu_local_stat_show 1$/m);
  });

  // single-threaded TCG: under multi-threaded TCG a stock 6.12 kernel (no module) oopses with
  // "Oops: int3" at jump-label sites when static keys flip under load (plugins/plugsched/docs/vm-test.md)
  it(`${VARIANT} hot-installs into the real 6.12 kernel and passes every vm-test scenario`, () => {
    const r = ws.nx(['run', `${VARIANT}:vm-test`, '--tcg=single', '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const j = JSON.parse(readFileSync(join(ws.dir, 'dist', 'schedulers', VARIANT, 'vm-test.json'), 'utf8'));
    expect(j.pass).toBe(true);
    expect(j.scenarios.map((s: { name: string }) => s.name)).toEqual(['install', 'rollback', 'conflict', 'features', 'syscalls', 'sysctls', 'round-trip', 'cycles', 'hotplug', 'cpu-max', 'policies', 'mem-pressure', 'threads-10k', 'tracing', 'nmi', 'livepatch', 'parked', 'faults', 'fork-storm', 'hotplug-race', 'domains', 'stack-recheck', 'eevdf']);
    // then its own test (schedulers/scheduler-612-x86/tests): the module answers 6.12's custom slices like the kernel's EEVDF
    expect(j.scenarios.find((s: { name: string }) => s.name === 'eevdf').checks.find((c: { name: string }) => c.name === 'module-slices').evidence).toBe('requested 2000000 got 2000000, requested 500000000 got 100000000');
    expect(j.switches.join('\n')).toMatch(/installed the module's scheduler: 2 cpus, 1\d{4} threads, \d+ tasks moved, stop machine \d+ us/);
    expect(readFileSync(join(ws.dir, 'dist', 'schedulers', VARIANT, 'vm-test.log'), 'utf8')).toMatch(/Linux version 6\.12\.117\+deb12-cloud-amd64/);
  }, 1_200_000);
});
