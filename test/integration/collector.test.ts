/**
 * The collector GCC plugin in the kernel's own kbuild of the real Linux 6.1
 * scheduler units, with Debian's cloud-amd64 .config.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCollector, runCollector, SCHED_UNITS_6_1, type CollectOptions } from '../../plugins/plugsched/src/boundary/collect';
import { toolchainFor } from '../../plugins/plugsched/src/toolchain/toolchain';
import type { CollectedFunction, CollectedUnit } from '../../plugins/plugsched/src/boundary/collector-format';
import { develTree, sourceTree, WORKSPACE } from '../support/kernel';

let units: CollectedUnit[];
const quiet = () => undefined;

beforeAll(async () => {
  const [src, devel] = await Promise.all([sourceTree(), develTree()]);
  const toolchain = await toolchainFor(devel.config, 'x86');
  const pluginSo = await buildCollector(WORKSPACE, toolchain, quiet);
  const opts: CollectOptions = { workspaceRoot: WORKSPACE, sourceTree: src.tree, sourceKey: src.manifest.store ?? 'dir', kernelConfig: devel.config, toolchain, pluginSo, units: SCHED_UNITS_6_1, log: quiet };
  units = await runCollector(opts);
}, 600_000);

function fn(name: string): CollectedFunction {
  const hits = units.flatMap((u) => u.functions).filter((f) => f.name === name);
  expect(hits.length, `function ${name}`).toBeGreaterThan(0);
  return hits[0];
}

describe('collector on Linux 6.1 (real compiler, real config)', () => {
  it('records one unit per scheduler translation unit', () => {
    expect(units.map((u) => u.unit)).toEqual(SCHED_UNITS_6_1);
    for (const u of units) expect(u.functions.length).toBeGreaterThan(100);
  });

  it('records the file that really holds a definition inside a unity build', () => {
    const f = units.find((u) => u.unit === 'kernel/sched/build_policy.c')?.functions.find((x) => x.name === 'enqueue_task_rt');
    expect(f?.file).toBe('kernel/sched/rt.c');
    expect(f?.linkage).toBe('static');
  });

  it('records linkage, direct calls and init sections', () => {
    const ttwu = fn('try_to_wake_up');
    expect(ttwu.file).toBe('kernel/sched/core.c');
    expect(ttwu.linkage).toBe('static');
    expect(ttwu.calls).toEqual(expect.arrayContaining(['select_task_rq', 'ttwu_queue']));
    expect(fn('wake_up_process').linkage).toBe('global');
    expect(fn('wake_up_process').calls).toContain('try_to_wake_up');
    const init = fn('sched_init');
    expect(init.init).toBe(true);
    expect(init.section).toBe('.init.text');
  });

  it('records functions whose address a sched_class initializer takes', () => {
    const fair = units.flatMap((u) => u.variables).find((v) => v.name === 'fair_sched_class' && v.defined);
    expect(fair?.fromMacro).toBe(true); // DEFINE_SCHED_CLASS(fair)
    expect(fair?.file).toBe('kernel/sched/fair.c');
    expect(fair?.addressTaken).toEqual(expect.arrayContaining(['enqueue_task_fair', '__pick_next_task_fair', 'task_tick_fair']));
  });

  it('gives byte ranges that cut the real body out of the real file', async () => {
    const { tree } = await sourceTree();
    for (const name of ['try_to_wake_up', 'update_curr', 'enqueue_task_rt']) {
      const f = fn(name);
      const text = readFileSync(join(tree, f.file), 'utf8');
      const body = text.slice(f.body.start.offset, f.body.end.offset);
      expect(body.startsWith('{'), name).toBe(true);
      expect(body.endsWith('}'), name).toBe(true);
      expect(text.slice(f.name_loc.offset, f.name_loc.offset + name.length)).toBe(name);
    }
  });

  it('marks macro-made definitions and points them at the invocation', async () => {
    const { tree } = await sourceTree();
    const sys = fn('__do_sys_sched_yield');
    expect(sys.fromMacro).toBe(true);
    const text = readFileSync(join(tree, sys.file), 'utf8');
    expect(text.slice(sys.name_loc.offset, sys.name_loc.offset + 'SYSCALL_DEFINE0'.length)).toBe('SYSCALL_DEFINE0');
  });

  it('records struct field accesses and variable references', () => {
    const uc = fn('update_curr');
    expect(uc.fieldAccesses).toContainEqual({ struct: 'sched_entity', field: 'vruntime' });
    expect(fn('scheduler_tick').varRefs.length).toBeGreaterThan(0);
  });
  // that a second run gives identical facts is tested on the collect target's outputs in
  // scheduler-module.test.ts (two workspaces at different paths each run the collector)
});
