import { describe, expect, it } from 'vitest';
import { itemAt, topLevelItems } from '../../plugins/plugsched/src/extract/c-items';

const SRC = `// SPDX
#include "sched.h"
#define TWICE(x) \\
\t((x) * 2)

/* a comment with { braces } and ; */
static int counter = 1;
DEFINE_PER_CPU(struct rq, runqueues);
const_debug unsigned int feats =
#include "features.h"
\t0;

static void __init boot_only(void)
{
\tif (counter) { counter = '}'; }
\tputs("};{");
}

SYSCALL_DEFINE1(nice, int, increment)
{
\treturn increment;
}

struct pair { int a; int b; };
static const struct pair p = { .a = 1, .b = 2 };
DEFINE_SCHED_CLASS(fair) = {
\t.enqueue_task = enqueue_task_fair,
};
early_initcall(boot_only);
`;

describe('top-level C items', () => {
  const items = topLevelItems(SRC);
  const texts = items.map((i) => SRC.slice(i.start, i.end));

  it('splits a file into preprocessor lines, declarations and definitions', () => {
    expect(texts).toEqual([
      '#include "sched.h"',
      '#define TWICE(x) \\\n\t((x) * 2)',
      'static int counter = 1;',
      'DEFINE_PER_CPU(struct rq, runqueues);',
      'const_debug unsigned int feats =\n#include "features.h"\n\t0;',
      `static void __init boot_only(void)\n{\n\tif (counter) { counter = '}'; }\n\tputs("};{");\n}`,
      'SYSCALL_DEFINE1(nice, int, increment)\n{\n\treturn increment;\n}',
      'struct pair { int a; int b; };',
      'static const struct pair p = { .a = 1, .b = 2 };',
      'DEFINE_SCHED_CLASS(fair) = {\n\t.enqueue_task = enqueue_task_fair,\n};',
      'early_initcall(boot_only);',
    ]);
  });

  it('marks function bodies, not initializers or type members', () => {
    const withBody = items.filter((i) => i.bodyStart !== undefined).map((i) => SRC.slice(i.start, i.start + 20));
    expect(withBody).toEqual(['static void __init b', 'SYSCALL_DEFINE1(nice']);
    const fn = items.find((i) => SRC.slice(i.start).startsWith('static void __init'));
    expect(SRC[fn?.bodyStart ?? -1]).toBe('{');
  });

  it('finds the item around an offset', () => {
    const at = SRC.indexOf('boot_only(void)');
    expect(SRC.slice(itemAt(items, at)?.start ?? 0).startsWith('static void __init boot_only')).toBe(true);
    expect(itemAt(items, SRC.indexOf('a comment'))).toBeNull();
  });
});
