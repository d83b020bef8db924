/**
 * The 5.10 line on amd64 (Debian bullseye's 5.10, a suite other than this
 * bookworm machine's), end to end: packages through the suite's private apt
 * state, the pre-unity boundary (every scheduler file its own translation
 * unit), and the collector and the module compiled by bullseye's gcc-10 in a
 * build root of that suite made with mmdebstrap, without gcc-10 on the host;
 * then every vm-test scenario in the real 5.10 kernel booted in QEMU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeRoot } from '../../plugins/plugsched/src/kernel/locations';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-5.10-cloud-amd64';
const VARIANT = 'scheduler-510-x86';
let ws: TempWorkspace;

beforeAll(() => {
  ws = tempWorkspace({ kernels: [KERNEL], schedulers: [VARIANT] });
}, 120_000);
afterAll(() => ws?.dispose());

describe('Debian 5.10 cloud-amd64 (bullseye)', () => {
  it('cuts the pre-unity 5.10 scheduler and builds its module in the bullseye build root', () => {
    const r = ws.nx(['run', `${VARIANT}:build`, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    // every scheduler file is its own unit: one collector file each, no build_policy.c
    // the facts of each unit (collect also writes compile-inputs.txt, the compilers' runtime input)
    const collected = readdirSync(join(ws.dir, 'dist', 'kernels', KERNEL, 'collect')).filter((f) => f.endsWith('.json')).sort();
    expect(collected).toContain('kernel_sched_rt.c.json');
    expect(collected).toContain('kernel_sched_topology.c.json');
    expect(collected).toHaveLength(12);
    const boundary = JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', KERNEL, 'boundary', 'boundary.json'), 'utf8'));
    const where = (name: string) => boundary.classes.interface.find((e: { name: string }) => e.name === name)?.file;
    expect(where('sched_setscheduler_nocheck')).toBe('kernel/sched/core.c'); // exported; sched_setscheduler itself has no outside caller since the interfaces are derived
    expect(where('scheduler_tick')).toBe('kernel/sched/core.c');
    // compiled by the compiler the kernel names, as Debian built the kernel
    const ko = join(ws.dir, 'dist', 'schedulers', VARIANT, 'scheduler.ko');
    const comment = spawnSync('readelf', ['-p', '.comment', ko], { encoding: 'utf8' }).stdout;
    expect(comment).toMatch(/GCC: \(Debian 10\.2\.1-6\) 10\.2\.1 20210110/);
    expect(comment).not.toMatch(/GCC: \(Debian 12\./);
    expect(spawnSync('modinfo', ['-F', 'vermagic', ko], { encoding: 'utf8' }).stdout).toMatch(/^5\.10\.0-32-cloud-amd64 SMP mod_unload modversions/);
  }, 1_800_000);

  it('took gcc-10 from a pinned build root in the store, not from the host', () => {
    expect(spawnSync('sh', ['-c', 'command -v gcc-10'], { encoding: 'utf8' }).status, 'gcc-10 must not be installed on the host').not.toBe(0);
    const roots = readdirSync(storeRoot()).filter((d) => d.startsWith('buildroot-') && existsSync(join(storeRoot(), d, 'pins.json')));
    const pins = roots.map((d) => JSON.parse(readFileSync(join(storeRoot(), d, 'pins.json'), 'utf8')) as { name: string; version: string; sha256: string }[]);
    const bullseye = pins.find((p) => p.some((x) => x.name === 'linux-kbuild-5.10'));
    expect(bullseye, `no build root with linux-kbuild-5.10 among ${roots.join(', ')}`).toBeDefined();
    const gcc = bullseye?.find((x) => x.name === 'gcc-10');
    expect(gcc?.version).toBe('10.2.1-6');
    expect(gcc?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(bullseye?.find((x) => x.name === 'gcc-10-plugin-dev')?.version).toBe('10.2.1-6');
  });

  // one boot runs every scenario (live-update's install and rollback first) and then the variant's own test
  it(`${VARIANT} hot-installs into the real 5.10 kernel in QEMU, rolls back byte for byte and passes every vm-test scenario`, () => {
    const r = ws.nx(['run', `${VARIANT}:vm-test`, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const j = JSON.parse(readFileSync(join(ws.dir, 'dist', 'schedulers', VARIANT, 'vm-test.json'), 'utf8'));
    expect(j.pass).toBe(true);
    expect(j.scenarios.map((s: { name: string }) => s.name)).toEqual(['install', 'rollback', 'conflict', 'features', 'syscalls', 'sysctls', 'round-trip', 'cycles', 'hotplug', 'cpu-max', 'policies', 'mem-pressure', 'threads-10k', 'tracing', 'nmi', 'livepatch', 'parked', 'faults', 'fork-storm', 'hotplug-race', 'domains', 'stack-recheck', 'scheduler-510-x86-runs']);
    const switches = j.switches.join('\n');
    expect(switches).toMatch(/installed the module's scheduler: 2 cpus, 1\d{3} threads, \d+ tasks moved/);
    expect(switches).toMatch(/installed the module's scheduler: 2 cpus, 1\d{4} threads, \d+ tasks moved/);
    // the RT throttle is measured on the CPU the deadline task is not on (tools/vm/scenarios/47-policies.sh)
    const policies = j.scenarios.find((s: { name: string }) => s.name === 'policies').checks;
    expect(policies.find((c: { name: string }) => c.name === 'rt-throttled-before').evidence).toMatch(/^CPU [01]: SCHED_FIFO \d+%, the CFS tasks [1-9]\d*% \(the deadline task on CPU [01]\)$/);
    const log = readFileSync(join(ws.dir, 'dist', 'schedulers', VARIANT, 'vm-test.log'), 'utf8');
    expect(log).toMatch(/Linux version 5\.10\.0-32-cloud-amd64 .*gcc-10 \(Debian 10\.2\.1-6\)/);
    expect(log).toMatch(/plugsched: (\d+) of \1 function entries restored byte for byte/);
  }, 1_800_000);
});
