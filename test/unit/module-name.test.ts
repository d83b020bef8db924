/** A build's module name, its Kbuild and its modinfo.c (module/build-module.ts): pure parts. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import { hashTree, modinfoSource, moduleName, renameKbuild } from '../../plugins/plugsched/src/module/build-module';

const KBUILD = '# Generated\nobj-m := scheduler.o\nscheduler-y := core.o fair.o\nccflags-y += -D__DISABLE_EXPORTS\n';

describe('module names', () => {
  it('is the variant and 8 hex digits of the hash, a kernel module name of at most 55 characters', () => {
    expect(moduleName('scheduler-x86', 'ab12cd34ef')).toBe('plugsched_scheduler_x86_ab12cd34');
    const long = moduleName('A-very-long-variant-name-that-goes-on-and-on-and-on-forever', '0123456789');
    expect(long.length).toBeLessThanOrEqual(55);
    expect(long).toMatch(/^plugsched_[a-z0-9_]+_01234567$/);
    expect(moduleName('--x--', 'ffffffff')).toBe('plugsched_x_ffffffff');
  });

  it('hashes a tree by paths and contents: the same tree the same hash, any change another', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugsched-hash-'));
    try {
      mkdirSync(join(dir, 'plugsched'));
      writeFileSync(join(dir, 'core.c'), 'int a;\n');
      writeFileSync(join(dir, 'plugsched', 'x.h'), '#define X 1\n');
      const first = hashTree(dir);
      expect(hashTree(dir)).toBe(first);
      writeFileSync(join(dir, 'core.c'), 'int b;\n');
      const changed = hashTree(dir);
      expect(changed).not.toBe(first);
      writeFileSync(join(dir, 'core.c'), 'int a;\n');
      expect(hashTree(dir)).toBe(first);
      writeFileSync(join(dir, 'plugsched', 'y.h'), '');
      expect(hashTree(dir)).not.toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renames the extraction\'s Kbuild to the module\'s name, adds modinfo.o with exports allowed, refuses a Kbuild it does not know', () => {
    const k = renameKbuild(KBUILD, 'plugsched_v_12345678');
    expect(k).toContain('obj-m := plugsched_v_12345678.o\nplugsched_v_12345678-y := core.o fair.o\n');
    expect(k).toContain('plugsched_v_12345678-y += plugsched/modinfo.o\n');
    expect(k).toContain('CFLAGS_REMOVE_plugsched/modinfo.o += -D__DISABLE_EXPORTS\n');
    expect(k).not.toMatch(/scheduler[.-]/);
    expect(() => renameKbuild('obj-m := other.o\n', 'x')).toThrow(/has no "obj-m := scheduler.o"/);
  });

  it('modinfo.c names the variant for the takeover check and exports the handover under the module\'s name, GPL-only', () => {
    const s = { name: 'hello-sched', version: '1.0.0', description: 'hi', patches: [] } as unknown as SchedulerConfig;
    const c = modinfoSource(s, 'debian-6.1-cloud-amd64', '6.1.0-56-cloud-amd64', 'plugsched_hello_sched_0badc0de');
    expect(c).toContain('const char plugsched_variant[] = "hello-sched";');
    expect(c).toContain('const void *const plugsched_handover_plugsched_hello_sched_0badc0de = plugsched_handover;');
    expect(c).toContain('EXPORT_SYMBOL_GPL(plugsched_handover_plugsched_hello_sched_0badc0de);');
    // without a name (the hash input) nothing is exported
    expect(modinfoSource(s, 'debian-6.1-cloud-amd64', '6.1.0-56-cloud-amd64')).not.toContain('EXPORT_SYMBOL');
  });
});
