/**
 * Debian's 6.1 cloud kernel for arm64, built on this amd64 machine: its packages
 * fetched through apt as a foreign architecture, the collector run in the
 * kernel's own build with the cross compiler, the boundary read from a vmlinux
 * that keeps no relocations (-pie: references decoded from the instructions and
 * .rela.dyn), extraction with the arm64 springboard, scheduler-arm64's module
 * and packages cross-built, and the module hot-installed into the real arm64
 * kernel in qemu-system-aarch64 (TCG, -M virt) and rolled back while a small
 * workload runs.
 *
 * Not yet here: the full vm-test scenario set on arm64 (its 1000-thread
 * workloads do not get through under arm64 TCG yet; see the README's table).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevel } from '../../plugins/plugsched/src/kernel/devel';
import { loadKernelConfig } from '../../plugins/plugsched/src/config/kernel-config';
import { buildInitramfs } from '../../plugins/plugsched/src/vm/initramfs';
import { guestBusybox, guestProgram } from '../../plugins/plugsched/src/vm/helpers';
import { judgeConsole } from '../../plugins/plugsched/src/vm/judge';
import { bootVm } from '../../plugins/plugsched/src/vm/qemu';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-6.1-cloud-arm64';
const VARIANT = 'scheduler-arm64';
let ws: TempWorkspace;
let work: string;

beforeAll(() => {
  ws = tempWorkspace({ kernels: [KERNEL], schedulers: [VARIANT] });
  work = mkdtempSync(join(tmpdir(), 'plugsched-arm64-'));
}, 120_000);
afterAll(() => {
  ws?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Debian 6.1 cloud-arm64 on an amd64 build machine', () => {
  it('cuts the arm64 scheduler along its boundary and extracts it with the arm64 springboard', () => {
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

  it("cross-builds the module and its aarch64 RPM and arm64 .deb; the module carries its entry routine and link addresses", () => {
    const r = ws.nx(['run', `${VARIANT}:build`, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const out = join(ws.dir, 'dist', 'schedulers', VARIANT);
    const ko = join(out, 'scheduler.ko');
    const syms = spawnSync('aarch64-linux-gnu-nm', [ko], { encoding: 'utf8' }).stdout;
    expect(syms).toMatch(/ t __plugsched_schedule_entry$/m);
    const sections = spawnSync('readelf', ['-SW', ko], { encoding: 'utf8' }).stdout;
    expect(sections).toMatch(/\.plugsched\.linkaddrs/);
    const pkgs = readdirSync(join(out, 'packages')).sort();
    expect(pkgs).toEqual([expect.stringMatching(/\.aarch64\.rpm$/), expect.stringMatching(/_arm64\.deb$/)]);
    const resolver = spawnSync('sh', ['-c', `rpm2cpio "$1" | cpio -i --to-stdout --quiet '*symbol-resolve' | head -c 20 | od -An -tx1 -j18 -N2`, 'sh', join(out, 'packages', pkgs[0])], { encoding: 'utf8' });
    expect(resolver.stdout.trim()).toBe('b7 00'); // e_machine EM_AARCH64: the installer's resolver runs on the guest
  }, 1_200_000);

  it('hot-installs into the real arm64 kernel in QEMU, keeps scheduling under a workload, and rolls back byte for byte', async () => {
    const kernel = loadKernelConfig(join(ws.dir, 'kernels', KERNEL, 'kernel.yaml'), ws.dir);
    const devel = await ensureDevel(kernel, () => undefined);
    const initramfs = join(work, 'arm64.cpio.gz');
    await buildInitramfs({
      outFile: initramfs,
      busybox: await guestBusybox('arm64'),
      files: [
        { src: await guestProgram(ws.dir, 'tools/installer/symbol-resolve.c', 'arm64'), dest: '/bin/symbol-resolve', mode: 0o755 },
        { src: join(ws.dir, 'tools', 'installer', 'plugsched-install'), dest: '/bin/plugsched-install', mode: 0o755 },
        { src: await guestProgram(ws.dir, 'spinners', 'arm64'), dest: '/bin/spinners', mode: 0o755 },
        { src: join(ws.dir, 'dist', 'schedulers', VARIANT, 'scheduler.ko'), dest: '/plugsched/scheduler.ko' },
      ],
      script: [
        'spinners 20 20 100 20 > /tmp/spin.log &',
        'sleep 2',
        'plugsched-install install /plugsched/scheduler.ko; echo "INSTALL-RC $?"',
        'sleep 5',
        'plugsched-install uninstall; echo "UNINSTALL-RC $?"',
        'wait',
        'tail -1 /tmp/spin.log',
        'dmesg | grep "plugsched:" | sed "s/^/PLUGSCHED-DMESG /"',
        '',
      ].join('\n'),
    });
    const run = await bootVm({ kernel: devel.vmlinuz, initramfs, cpus: 2, memMiB: 1024, timeoutSec: 600, logFile: join(work, 'arm64.log'), arch: 'arm64' });
    const c = run.console;
    expect(c, c.slice(-3000)).toMatch(/PLUGSCHED-BOOTED 6\.1\.0-56-cloud-arm64 cpus=2/);
    expect(c, c.slice(-3000)).toMatch(/INSTALL-RC 0/);
    expect(c).toMatch(/plugsched: (\d+) of \1 function entries jump to the module/);
    expect(c).toMatch(/plugsched: installed the module's scheduler: 2 cpus, \d+ threads/);
    expect(c).toMatch(/UNINSTALL-RC 0/);
    expect(c).toMatch(/plugsched: (\d+) of \1 function entries restored byte for byte/);
    expect(c).toMatch(/spinners: done \d+ stalled 0/);
    const verdict = judgeConsole(c);
    expect(verdict.trouble, JSON.stringify(verdict.trouble)).toEqual([]);
  }, 900_000);
});
