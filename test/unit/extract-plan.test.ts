import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../plugins/plugsched/src/extract/edits';
import { planFileEdits, type FunctionAction, type VariableAction } from '../../plugins/plugsched/src/extract/plan';
import { externDeclaration, tentativeToExtern } from '../../plugins/plugsched/src/extract/variables';
import { symposHeader } from '../../plugins/plugsched/src/extract/extract-tree';

const SRC = `#define CREATE_TRACE_POINTS
#include "sched.h"
DEFINE_PER_CPU_SHARED_ALIGNED(struct rq, runqueues);
static unsigned int __read_mostly period = 10;
int shared_knob = 3;
static int try_to_wake_up (struct task_struct *p, unsigned int state, int wake_flags);
const struct sched_class fair_sched_class;

static int helper(int x)
{
\treturn x + 1;
}

static inline int tiny(int x)
{
\treturn x * 2;
}

static int
try_to_wake_up(struct task_struct *p, unsigned int state, int wake_flags)
{
\treturn helper(state);
}

static void __init sched_boot(void)
{
\tperiod = 1;
}
early_initcall(sched_boot);

DEFINE_SCHED_CLASS(fair) = {
\t.enqueue_task = enqueue_task_fair,
};
`;

const fn = (name: string, linkage: 'static' | 'global' = 'static', fromMacro = false) => {
  const nameOffset = SRC.search(new RegExp(`\\b${name}\\(`));
  return { name, nameOffset, bodyStart: SRC.indexOf('{', nameOffset), linkage, fromMacro };
};
const v = (name: string, needle = name) => ({ name, nameOffset: SRC.indexOf(needle), fromMacro: false });

function extract(fns: [string, FunctionAction][], vars: [string, VariableAction, string?][]) {
  const plan = planFileEdits(SRC, 'kernel/sched/core.c', fns.map(([n, a]) => ({ site: fn(n), action: a })), vars.map(([n, a, needle]) => ({ site: v(n, needle), action: a })));
  return { out: applyEdits(SRC, plan.edits), problems: plan.problems };
}

describe('extraction edits', () => {
  it('turns an outsider body into a declaration and keeps insiders', () => {
    const { out, problems } = extract([['helper', 'declare'], ['tiny', 'keep']], []);
    expect(problems).toEqual([]);
    expect(out).toContain('static int helper(int x);\n');
    expect(out).not.toContain('return x + 1;');
    expect(out).toContain('static inline int tiny(int x)\n{\n\treturn x * 2;\n}');
  });

  it('freezes an outsider without a kernel copy and marks interfaces', () => {
    const { out } = extract([['tiny', 'freeze'], ['try_to_wake_up', 'interface']], []);
    expect(out).toContain("/* DON'T MODIFY FUNCTION tiny, IT'S NOT PART OF THE SCHEDULER MODULE */\nstatic inline int tiny(int x)\n{");
    // The body becomes the jump target __mod_try_to_wake_up; the name itself then means the kernel's copy
    // (redirect-names.h), declared right before, and the earlier static prototype no longer says static.
    expect(out).toContain("/* DON'T MODIFY SIGNATURE OF INTERFACE FUNCTION try_to_wake_up */\nint try_to_wake_up(struct task_struct *p, unsigned int state, int wake_flags);\n__used static int\n__mod_try_to_wake_up(");
    expect(out).toContain('/* was static */ int try_to_wake_up (struct task_struct *p, unsigned int state, int wake_flags);');
    expect(out).toContain('return helper(state);');
  });

  it('removes init code, its registration and the tracepoint definitions', () => {
    const { out } = extract([['sched_boot', 'delete']], []);
    expect(out).not.toContain('sched_boot');
    expect(out).not.toContain('CREATE_TRACE_POINTS');
    expect(out).toContain('#include "sched.h"');
  });

  it('shares variables with the kernel and shadows sched classes', () => {
    const { out, problems } = extract([], [['runqueues', 'extern'], ['period', 'extern', 'period ='], ['shared_knob', 'extern'], ['fair_sched_class', 'shadow', 'DEFINE_SCHED_CLASS']]);
    expect(problems).toEqual([]);
    expect(out).toContain('DECLARE_PER_CPU_SHARED_ALIGNED(struct rq, runqueues);');
    expect(out).toContain('extern unsigned int __read_mostly period;');
    expect(out).toContain('extern int shared_knob;');
    expect(out).toContain('const struct sched_class shadow_fair_sched_class __used __aligned(__alignof__(struct sched_class)) = {');
    // fair.c's tentative definition only declares the kernel's table once the real one is renamed
    expect(out).toContain('\nextern const struct sched_class fair_sched_class;\n');
  });

  it('reports what it cannot do instead of guessing', () => {
    const { problems } = extract([['no_such_fn', 'declare']], [['tiny', 'extern', 'tiny(']]);
    expect(problems.join(' ')).toMatch(/kernel\/sched\/core\.c: cannot find the definition of no_such_fn/);
    expect(problems.join(' ')).toMatch(/cannot find the definition of variable tiny/);
  });

  it('refuses overlapping edits', () => {
    expect(() => applyEdits('abcdef', [{ start: 0, end: 3, text: '', why: 'a' }, { start: 2, end: 4, text: '', why: 'b' }])).toThrow(/overlapping edits: "a"/);
  });
});

describe('extern declarations', () => {
  it.each([
    ['static DEFINE_MUTEX(sched_domains_mutex);', 'sched_domains_mutex', 'extern struct mutex sched_domains_mutex;'],
    ['DEFINE_STATIC_KEY_FALSE(sched_smt_present);', 'sched_smt_present', 'DECLARE_STATIC_KEY_FALSE(sched_smt_present);'],
    ['DEFINE_PER_CPU(int, x) = 3;', 'x', 'DECLARE_PER_CPU(int, x);'],
    ['static int arr[4] = { 1, 2, 3, 4 };', 'arr', 'extern int arr[4];'],
    ['__read_mostly int scheduler_running;', 'scheduler_running', 'extern __read_mostly int scheduler_running;'],
  ])('%s', (item, name, expected) => {
    expect(externDeclaration(item, name)).toEqual({ ok: true, text: expected });
  });

  it('refuses forms it does not know', () => {
    expect(externDeclaration('static int a, b;', 'a')).toMatchObject({ ok: false, why: /several variables/ });
    expect(externDeclaration('DEFINE_FOO(bar);', 'bar')).toMatchObject({ ok: false, why: /DEFINE_FOO\(\)/ });
  });
});

describe('tentative definitions of a shared variable', () => {
  // debug.c and cpufreq_schedutil.c declare a variable ahead of its definition: once the definition is
  // extern, the forward one would define a zero-filled copy in the module (the static one wins in C)
  const TEXT = `static const struct seq_operations sched_debug_sops;

static int sched_debug_open(struct inode *inode, struct file *filp)
{
\treturn seq_open(filp, &sched_debug_sops);
}

struct cpufreq_governor schedutil_gov;

static const struct seq_operations sched_debug_sops = {
\t.start = sched_debug_start,
};

struct cpufreq_governor schedutil_gov = {
\t.name = "schedutil",
};
`;
  const at = (needle: string, name: string) => ({ site: { name, nameOffset: TEXT.indexOf(needle) + needle.indexOf(name), fromMacro: false }, action: 'extern' as const });

  it('become extern declarations with the definition', () => {
    const plan = planFileEdits(TEXT, 'kernel/sched/debug.c', [], [at('sched_debug_sops = {', 'sched_debug_sops'), at('schedutil_gov = {', 'schedutil_gov')]);
    expect(plan.problems).toEqual([]);
    const out = applyEdits(TEXT, plan.edits);
    expect(out).not.toMatch(/^static const struct seq_operations sched_debug_sops;$/m);
    expect(out.match(/^extern const struct seq_operations sched_debug_sops;$/gm)).toHaveLength(2);
    expect(out.match(/^extern struct cpufreq_governor schedutil_gov;$/gm)).toHaveLength(2);
    expect(out).toContain('return seq_open(filp, &sched_debug_sops);');
    // what the module build checks against scheduler.ko (shared-variables.txt)
    expect(plan.sharedVariables).toEqual(['sched_debug_sops', 'schedutil_gov']);
  });

  it('are told from other declarations', () => {
    expect(tentativeToExtern('static int counts[NR_CPUS];', 'counts')).toBe('extern int counts[NR_CPUS];');
    expect(tentativeToExtern('extern int x;', 'x')).toBeNull();
    expect(tentativeToExtern('int x = 1;', 'x')).toBeNull();
    expect(tentativeToExtern('int xy;', 'x')).toBeNull();
    expect(tentativeToExtern('int f(int x);', 'x')).toBeNull();
    expect(tentativeToExtern('static int a, x;', 'x')).toBeNull();
  });
});

describe('sympos table', () => {
  it('lists each name the kernel has several of once, with its position, sorted', () => {
    const h = symposHeader([
      { name: 'print_cpu', file: 'kernel/sched/debug.c', sympos: 1 },
      { name: 'cpu_local_stat_show', file: 'kernel/sched/core.c', sympos: 1 },
      { name: 'print_cpu', file: 'kernel/sched/debug.c', sympos: 1 },
      { name: 'try_to_wake_up', file: 'kernel/sched/core.c', sympos: 0 },
      { name: 'set_user_nice', file: 'kernel/sched/core.c' },
    ]);
    expect(h.split('\n').slice(1)).toEqual(['PLUGSCHED_SYMPOS(cpu_local_stat_show, 1)', 'PLUGSCHED_SYMPOS(print_cpu, 1)', '']);
    expect(symposHeader([]).split('\n').slice(1)).toEqual(['']);
  });
});
