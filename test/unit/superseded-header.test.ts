import { describe, expect, it } from 'vitest';
import { supersededHeader } from '../../plugins/plugsched/src/extract/extract-tree';

const body = (text: string) => text.split('\n').slice(1).filter(Boolean);

describe('superseded.h (the stack check covers every superseded kernel function)', () => {
  it('lists each superseded vmlinux copy at its sympos, and every clone or .cold part of a superseded name', () => {
    const tainted = [
      { name: 'set_cpus_allowed_ptr', file: 'kernel/sched/core.c' },
      { name: 'affine_move_task', file: 'kernel/sched/core.c' },
      { name: 'print_cpu', file: 'kernel/sched/debug.c', sympos: 2 },
    ];
    // an insider with clones only (no plain copy in vmlinux) is still covered through its clones
    const superseded = [...tainted, { name: 'finish_task_switch', file: 'kernel/sched/core.c' }];
    const clones = { affine_move_task: ['affine_move_task.cold'], finish_task_switch: ['finish_task_switch.isra.0'], unrelated: ['unrelated.cold'] };
    expect(body(supersededHeader(tainted, superseded, clones))).toEqual([
      'PLUGSCHED_SUPERSEDED("affine_move_task", 0)',
      'PLUGSCHED_SUPERSEDED_PART("affine_move_task.cold")',
      'PLUGSCHED_SUPERSEDED_PART("finish_task_switch.isra.0")',
      'PLUGSCHED_SUPERSEDED("print_cpu", 2)',
      'PLUGSCHED_SUPERSEDED("set_cpus_allowed_ptr", 0)',
    ]);
  });

  it('takes every copy of a header function, and of a name superseded at two positions: one line per name', () => {
    const tainted = [
      { name: 'cpu_of', file: 'kernel/sched/sched.h', sympos: 3 },
      { name: 'show', file: 'kernel/sched/a.c', sympos: 1 },
      { name: 'show', file: 'kernel/sched/b.c', sympos: 2 },
    ];
    expect(body(supersededHeader(tainted, tainted, {}))).toEqual(['PLUGSCHED_SUPERSEDED_PART("cpu_of")', 'PLUGSCHED_SUPERSEDED_PART("show")']);
  });

  it('is deterministic: the input order does not matter', () => {
    const a = [{ name: 'b', file: 'kernel/sched/core.c' }, { name: 'a', file: 'kernel/sched/core.c' }];
    expect(supersededHeader(a, a, { a: ['a.cold'] })).toBe(supersededHeader([...a].reverse(), [...a].reverse(), { a: ['a.cold'] }));
  });
});
