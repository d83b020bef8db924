import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BoundaryConfig } from '../../plugins/plugsched/src/config/boundary-config';
import { extractTree, kbuildFile, unitObjects, type BoundaryClasses } from '../../plugins/plugsched/src/extract/extract-tree';

const dir = mkdtempSync(join(tmpdir(), 'extract-tree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NO_CLASSES: BoundaryClasses = { interface: [], callback: [], insider: [], outsider: [], outsider_inline: [], init: [] };

function config(units: string[]): BoundaryConfig {
  return { file: 'kernels/k/boundary.yaml', modFiles: ['kernel/sched/core.c'], outsideFiles: [], interfaces: [], excludedInterfaces: [], interfacePrefixes: [], kernelFunctions: [], sharedVars: [], privateVars: [], sidecars: [], units, moduleCompat: null };
}

function extract(name: string, units: string[]) {
  const sourceTree = join(dir, name, 'src');
  mkdirSync(join(sourceTree, 'kernel', 'sched'), { recursive: true });
  for (const f of ['core.c', 'fair.c', 'rt.c']) writeFileSync(join(sourceTree, 'kernel', 'sched', f), `/* ${f} */\n`);
  const outDir = join(dir, name, 'out');
  const result = extractTree({ sourceTree, outDir, units: [], classes: NO_CLASSES, config: config(units), inVmlinux: () => false, runtimeDir: null, springboardLayout: null });
  return { result, kbuild: readFileSync(join(outDir, 'kernel', 'sched', 'Kbuild'), 'utf8') };
}

describe('the module Kbuild', () => {
  it('has one object per unit of boundary.yaml, relative to kernel/sched', () => {
    expect(unitObjects(['kernel/sched/core.c', 'kernel/sched/fair.c', 'kernel/sched/ext/x.c'])).toEqual({ inside: ['core.o', 'fair.o', 'ext/x.o'], outside: [] });
    expect(unitObjects(['kernel/sched/core.c', 'kernel/fork.c'])).toEqual({ inside: ['core.o'], outside: ['kernel/fork.c'] });
    expect(kbuildFile({ objects: ['core.o', 'rt.o'], linkerScript: false, compat: false, runtime: false })).toContain('\nscheduler-y := core.o rt.o\n');
  });

  it('is written from the configured units; a unit outside kernel/sched is a problem; no dead glue headers', () => {
    const { result, kbuild } = extract('units', ['kernel/sched/core.c', 'kernel/sched/fair.c', 'kernel/sched/rt.c']);
    expect(kbuild).toContain('\nscheduler-y := core.o fair.o rt.o\n');
    expect(result.problems).toEqual([]);
    expect(result.files.filter((f) => f.startsWith('kernel/sched/plugsched/'))).toEqual(['kernel/sched/plugsched/redirect-files.h', 'kernel/sched/plugsched/redirect-names.h', 'kernel/sched/plugsched/shared-variables.txt', 'kernel/sched/plugsched/sympos.h']);
    expect(extract('outside', ['kernel/sched/core.c', 'kernel/fork.c']).result.problems).toEqual([
      'kernels/k/boundary.yaml: units kernel/fork.c are not under kernel/sched/, where the module is built (its Kbuild); list only scheduler units there',
    ]);
  });
});
