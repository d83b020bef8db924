/**
 * Debian's 6.1 cloud kernel for arm64, built on this amd64 machine: its packages
 * fetched through apt as a foreign architecture, the collector run in the
 * kernel's own build with the cross compiler, the boundary read from a vmlinux
 * that keeps no relocations (-pie: references decoded from the instructions and
 * .rela.dyn), extraction with the arm64 springboard layout, and a variant's
 * module cross-compiled against the arm64 headers.
 *
 * The module build ends at the springboard check, which refuses it: Debian
 * built the kernel with gcc 12.2.0-14+deb12u1, whose CVE-2023-4039 fix moved
 * arm64's saved registers above the locals, and bookworm's cross compiler is
 * 12.2.0-14. The test holds that refusal and its reason (the README lists
 * arm64 as not supported yet).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-6.1-cloud-arm64';
let ws: TempWorkspace;

beforeAll(() => {
  ws = tempWorkspace({ kernels: [KERNEL] });
}, 120_000);
afterAll(() => ws?.dispose());

describe('Debian 6.1 cloud-arm64 on an amd64 build machine', () => {
  it('cuts the arm64 scheduler along its boundary and extracts it with the arm64 springboard layout', () => {
    const r = ws.nx(['run', `${KERNEL}:extract`, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const dist = join(ws.dir, 'dist', 'kernels', KERNEL);
    const facts = JSON.parse(readFileSync(join(dist, 'boundary', 'vmlinux-facts.json'), 'utf8'));
    const from = (name: string) => (facts.referrers[name] ?? []).map((x: { from: string; kind: string }) => `${x.from}:${x.kind}`);
    // a BL from outside the scheduler (kernel/time/timer.c) and pointers in the syscall table (.rela.dyn)
    expect(from('scheduler_tick')).toContain('update_process_times:code');
    expect(from('__arm64_sys_sched_setscheduler')).toContain('sys_call_table:data');
    const boundary = JSON.parse(readFileSync(join(dist, 'boundary', 'boundary.json'), 'utf8'));
    const interfaces = boundary.classes.interface.map((e: { name: string }) => e.name);
    expect(interfaces).toEqual(expect.arrayContaining(['__arm64_sys_sched_setscheduler', 'scheduler_tick', 'wake_up_process']));
    const layout = readFileSync(join(dist, 'mod', 'kernel', 'sched', 'plugsched', 'springboard-layout.h'), 'utf8');
    expect(layout).toContain('#define PLUGSCHED_FRAME_BELOW_FP 0x20');
    expect(layout).toMatch(/#define PLUGSCHED_SCHEDULE_SLOTS "x19@-80 .* x29@-96 x30@-88"/);
  }, 1_200_000);

  it("cross-compiles a variant's module, and the springboard check refuses it for the compiler's frame layout, saying why", () => {
    mkdirSync(join(ws.dir, 'schedulers', 'arm64-base'), { recursive: true });
    writeFileSync(join(ws.dir, 'schedulers', 'arm64-base', 'scheduler.yaml'), `kernel: ${KERNEL}\nversion: 0.1.0\n`);
    const r = ws.nx(['run', 'arm64-base:module', '--output-style=stream']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/module: make -C <devel tree> M=kernel\/sched modules \(arm64-base for 6\.1\.0-56-cloud-arm64\)/);
    expect(r.out).toMatch(/its __schedule frame differs from the kernel's/);
    expect(r.out).toMatch(/The kernel was built by "gcc-12 \(Debian 12\.2\.0-14\+deb12u1\) 12\.2\.0" and this module by "aarch64-linux-gnu-gcc-12 \(Debian 12\.2\.0-14\) 12\.2\.0"/);
  }, 1_200_000);
});
