import { describe, expect, it } from 'vitest';
import { changedHalfEffect, codeOnly, functionDefinition } from '../../plugins/plugsched/src/module/half-effect';

const BASE = `static int other(void) { return 1; }
/* the tail of a switch */
static struct rq *finish_task_switch(struct task_struct *prev)
	__releases(rq->lock)
{
	struct rq *rq = this_rq();
	finish_lock_switch(rq);
	return rq;
}
asmlinkage void schedule_tail(struct task_struct *prev) { finish_task_switch(prev); }
`;

const files = (core: string) => (file: string) => (file === 'kernel/sched/core.c' ? core : null);

describe('functions a variant may not change (their module copy runs only sometimes)', () => {
  it('finds a definition, not a call or a declaration', () => {
    expect(functionDefinition(BASE, 'finish_task_switch')).toMatch(/^static struct rq \*finish_task_switch\(struct task_struct \*prev\)[\s\S]*return rq;\n}$/);
    expect(functionDefinition('static struct rq *finish_task_switch(struct task_struct *prev);\n', 'finish_task_switch')).toBeNull();
    expect(functionDefinition(BASE, 'task_switch')).toBeNull();
  });

  it('sees code changes, not comments or white space', () => {
    expect(codeOnly('a  /* x */ b // y\n c')).toBe('a b c');
    const commented = BASE.replace('finish_lock_switch(rq);', '/* unlock */\n\tfinish_lock_switch(rq);  ');
    expect(changedHalfEffect(files(BASE), files(commented))).toEqual([]);
    const changed = BASE.replace('finish_lock_switch(rq);', 'finish_lock_switch(rq);\n\trq->nr_switches++;');
    expect(changedHalfEffect(files(BASE), files(changed)).map((f) => f.name)).toEqual(['finish_task_switch']);
    // a change elsewhere in the file is fine
    expect(changedHalfEffect(files(BASE), files(BASE.replace('return 1;', 'return 2;')))).toEqual([]);
    // removing it counts as changing it
    expect(changedHalfEffect(files(BASE), files('static int other(void) { return 1; }\n')).map((f) => f.name)).toEqual(['finish_task_switch']);
  });
});
