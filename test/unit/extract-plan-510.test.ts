import { describe, expect, it } from 'vitest';
import { planFileEdits } from '../../plugins/plugsched/src/extract/plan';
import { applyEdits } from '../../plugins/plugsched/src/extract/edits';
import { variableAction } from '../../plugins/plugsched/src/extract/extract-tree';

// Linux 5.10's fair.c defines its class table before DEFINE_SCHED_CLASS existed (5.11), in its own section.
const SRC = `const struct sched_class fair_sched_class;

static void enqueue_task_fair(void)
{
}

const struct sched_class fair_sched_class
\t__section("__fair_sched_class") = {
\t.enqueue_task = enqueue_task_fair,
};
`;

describe('sched class tables before 5.11', () => {
  it('shadows a table defined in its own __section like a DEFINE_SCHED_CLASS one', () => {
    const site = { name: 'fair_sched_class', nameOffset: SRC.indexOf('fair_sched_class\n'), fromMacro: false };
    const plan = planFileEdits(SRC, 'kernel/sched/fair.c', [], [{ site, action: 'shadow' }]);
    expect(plan.problems).toEqual([]);
    const out = applyEdits(SRC, plan.edits);
    expect(out).toContain('const struct sched_class shadow_fair_sched_class __used __aligned(__alignof__(struct sched_class)) = {');
    expect(out).not.toContain('__section("__fair_sched_class")');
    expect(out.startsWith('extern const struct sched_class fair_sched_class;\n')).toBe(true);
  });

  it('chooses shadow for such a table and for no other variable in a section', () => {
    const config = { privateVars: [], sharedVars: [] } as unknown as Parameters<typeof variableAction>[1];
    const v = (name: string, section: string | null) => ({ name, section, fromMacro: false }) as unknown as Parameters<typeof variableAction>[0];
    expect(variableAction(v('fair_sched_class', '__fair_sched_class'), config, true)).toBe('shadow');
    expect(variableAction(v('fair_sched_class', null), config, true)).toBe('extern');
    expect(variableAction(v('some_table', '__some_table'), config, true)).toBe('extern');
  });
});
