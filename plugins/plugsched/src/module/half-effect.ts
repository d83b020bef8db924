/**
 * Functions of the extracted scheduler whose module copy runs only part of
 * the time, so that a variant's change to them would take half effect. The
 * kernel's finish_task_switch() is inlined into the tail of the kernel's
 * __schedule, where every switched-out task resumes (the springboard:
 * docs/runtime.md), while the module's copy runs only when a new task first
 * runs (schedule_tail). A variant patch that changes one is refused at
 * apply-patches, naming the function and where the change can go instead.
 */
import { topLevelItems } from '../extract/c-items';

export interface HalfEffectFunction {
  file: string;
  name: string;
  /** Why the module's copy runs only sometimes, and where a change can go instead. */
  why: string;
}

export const HALF_EFFECT_FUNCTIONS: HalfEffectFunction[] = [
  {
    file: 'kernel/sched/core.c',
    name: 'finish_task_switch',
    why:
      "after every context switch the kernel's copy runs (it is inlined into the tail of the kernel's __schedule, where every task resumes: the springboard, docs/runtime.md), the module's copy only when a new task first runs (schedule_tail)",
  },
];

/** The text of the definition of function `name` in C source `text`, or null when it has none. Pure. */
export function functionDefinition(text: string, name: string): string | null {
  const declares = new RegExp(`(^|[^\\w])${name}\\s*\\(`);
  for (const it of topLevelItems(text)) {
    if (it.bodyStart === undefined) continue;
    if (declares.test(text.slice(it.start, it.bodyStart))) return text.slice(it.start, it.end);
  }
  return null;
}

/** C code without its comments and with its white space collapsed: what the compiler sees of it. Pure. */
export function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Which of `functions` the variant changed: their definitions in the
 * extracted base (read(base, file)) and in the patched tree differ in more
 * than comments and white space. Pure over the two readers.
 */
export function changedHalfEffect(
  readBase: (file: string) => string | null,
  readPatched: (file: string) => string | null,
  functions: HalfEffectFunction[] = HALF_EFFECT_FUNCTIONS,
): HalfEffectFunction[] {
  return functions.filter((f) => {
    const base = readBase(f.file);
    const patched = readPatched(f.file);
    if (base === null || patched === null) return false;
    const before = functionDefinition(base, f.name);
    const after = functionDefinition(patched, f.name);
    if (before === null) return false;
    return after === null || codeOnly(before) !== codeOnly(after);
  });
}
