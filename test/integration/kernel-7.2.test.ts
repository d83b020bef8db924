/**
 * The 7.2 line on amd64 (Debian sid's 7.2 cloud kernel, a suite other than
 * this bookworm machine's), end to end: packages through sid's private apt
 * state (sid splits the image: linux-binary-<release> holds the vmlinuz), the
 * boundary derived by analyze from the generator's default for the 7.2 layout
 * (sched_ext in kernel/sched/ext/), and the collector and the module compiled
 * by sid's gcc-16 in a build root of sid made with mmdebstrap, without gcc-16
 * on the host.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeRoot } from '../../plugins/plugsched/src/kernel/locations';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-7.2-cloud-amd64';
const VARIANT = 'scheduler-72-x86';
let ws: TempWorkspace;

beforeAll(() => {
  ws = tempWorkspace({ kernels: [KERNEL], schedulers: [VARIANT] });
}, 120_000);
afterAll(() => ws?.dispose());

describe('Debian 7.2 cloud-amd64 (sid)', () => {
  it('derives the 7.2 boundary, sched_ext included, and builds the module in the sid build root', () => {
    const r = ws.nx(['run', `${VARIANT}:build`, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    // the four unity units, sched_ext compiled into build_policy.c
    // the facts of each unit (collect also writes compile-inputs.txt, the compilers' runtime input)
    const collected = readdirSync(join(ws.dir, 'dist', 'kernels', KERNEL, 'collect')).filter((f) => f.endsWith('.json')).sort();
    expect(collected).toEqual(['kernel_sched_build_policy.c.json', 'kernel_sched_build_utility.c.json', 'kernel_sched_core.c.json', 'kernel_sched_fair.c.json']);
    const boundary = JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', KERNEL, 'boundary', 'boundary.json'), 'utf8'));
    const where = (name: string) => boundary.classes.interface.find((e: { name: string }) => e.name === name)?.file;
    expect(where('sched_setscheduler_nocheck')).toBe('kernel/sched/syscalls.c');
    expect(where('sched_tick')).toBe('kernel/sched/core.c');
    // sched_ext's own folder is part of the boundary: the watchdogs call into it from outside
    expect(where('scx_softlockup')).toBe('kernel/sched/ext/ext.c');
    const ko = join(ws.dir, 'dist', 'schedulers', VARIANT, 'scheduler.ko');
    // the sixth class travels with the module (its table replaces the kernel's, classes.c)
    expect(spawnSync('nm', [ko], { encoding: 'utf8' }).stdout).toMatch(/ shadow_ext_sched_class$/m);
    // gcc 16's frame without pushes: the springboard knows each register's slot
    const layout = readFileSync(join(ws.dir, 'dist', 'kernels', KERNEL, 'mod', 'kernel', 'sched', 'plugsched', 'springboard-layout.h'), 'utf8');
    expect(layout).toMatch(/#define PLUGSCHED_SCHEDULE_PUSHES ""/);
    expect(layout).toMatch(/#define PLUGSCHED_SCHEDULE_SAVES "r12@-0x\w+ r13@-0x\w+ r14@-0x\w+ r15@-0x\w+ rbx@-0x\w+"/);
    // compiled by the compiler the kernel names, as Debian built the kernel
    const comment = spawnSync('readelf', ['-p', '.comment', ko], { encoding: 'utf8' }).stdout;
    expect(comment).toMatch(/GCC: \(Debian 16\.2\.0-4\) 16\.2\.0/);
    expect(comment).not.toMatch(/GCC: \(Debian 12\./);
    expect(spawnSync('modinfo', ['-F', 'vermagic', ko], { encoding: 'utf8' }).stdout).toMatch(/^7\.2\.13\+deb14-cloud-amd64 SMP preempt mod_unload/);
  }, 1_800_000);

  it('took gcc-16 from a pinned sid build root in the store, not from the host', () => {
    expect(spawnSync('sh', ['-c', 'command -v gcc-16'], { encoding: 'utf8' }).status, 'gcc-16 must not be installed on the host').not.toBe(0);
    const roots = readdirSync(storeRoot()).filter((d) => d.startsWith('buildroot-') && existsSync(join(storeRoot(), d, 'pins.json')));
    const pins = roots.map((d) => JSON.parse(readFileSync(join(storeRoot(), d, 'pins.json'), 'utf8')) as { name: string; version: string; sha256: string }[]);
    const sid = pins.find((p) => p.some((x) => x.name === 'linux-kbuild-7.2.13+deb14'));
    expect(sid, `no build root with linux-kbuild-7.2.13+deb14 among ${roots.join(', ')}`).toBeDefined();
    const gcc = sid?.find((x) => x.name === 'gcc-16');
    expect(gcc?.version).toBe('16.2.0-4');
    expect(gcc?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sid?.find((x) => x.name === 'gcc-16-plugin-dev')?.version).toBe('16.2.0-4');
  });

  // every vm-test scenario, then the variant's own tests, in one boot; single-threaded TCG, as for 6.12
  // (plugins/plugsched/docs/vm-test.md)
  it(`${VARIANT} hot-installs into the real 7.2 kernel in QEMU, passes every vm-test scenario and rolls back byte for byte; refuses while a sched_ext BPF scheduler is attached`, () => {
    const r = ws.nx(['run', `${VARIANT}:vm-test`, '--tcg=single', '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const j = JSON.parse(readFileSync(join(ws.dir, 'dist', 'schedulers', VARIANT, 'vm-test.json'), 'utf8'));
    expect(j.pass).toBe(true);
    expect(j.scenarios.map((s: { name: string }) => s.name)).toEqual(['install', 'rollback', 'conflict', 'features', 'syscalls', 'sysctls', 'round-trip', 'cycles', 'hotplug', 'cpu-max', 'policies', 'mem-pressure', 'threads-10k', 'tracing', 'nmi', 'livepatch', 'parked', 'faults', 'fork-storm', 'hotplug-race', 'domains', 'stack-recheck', 'scheduler-72-x86-runs', 'sched-ext']);
    const checks = (scenario: string) => j.scenarios.find((s: { name: string }) => s.name === scenario).checks;
    // round-trip: the values come from the stock kernel; 7.2 bounds sched_util_clamp_max by
    // sched_util_clamp_min, so it moves once the others have, and nothing is left out
    const allChanged = checks('round-trip').find((c: { name: string }) => c.name === 'all-changed');
    expect(allChanged.evidence).toMatch(/sched_util_clamp_max: 1023, taken once the others had moved/);
    expect(allChanged.evidence).toMatch(/left out: *$/);
    // the variant's own test (schedulers/scheduler-72-x86/tests/20-sched-ext.sh, with tests/scxnull.c): refused while
    // attached, naming sched_ext; installed and rolled back once detached; the BPF scheduler attaches again after
    const check = (name: string) => checks('sched-ext').find((c: { name: string }) => c.name === name);
    expect(check('bpf-attaches').evidence).toMatch(/state: enabled, ops: scxnull/);
    expect(check('refusal-names-sched-ext').evidence).toMatch(/plugsched: install refused: a sched_ext BPF scheduler is attached/);
    expect(check('bpf-still-attached').pass).toBe(true);
    expect(check('install').pass).toBe(true);
    expect(check('bpf-attaches-after-rollback').evidence).toMatch(/state: enabled, ops: scxnull/);
    expect(j.switches.join('\n')).toMatch(/installed the module's scheduler: 2 cpus, 1\d{4} threads, \d+ tasks moved/);
    const log = readFileSync(join(ws.dir, 'dist', 'schedulers', VARIANT, 'vm-test.log'), 'utf8');
    expect(log).toMatch(/Linux version 7\.2\.13\+deb14-cloud-amd64 .*gcc-16 \(Debian 16\.2\.0-4\)/);
    expect(log).toMatch(/plugsched: (\d+) of \1 function entries restored byte for byte/);
  }, 1_800_000);
});
