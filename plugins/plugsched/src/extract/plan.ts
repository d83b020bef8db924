/**
 * What extraction does to one source file, as byte-range edits computed from
 * the collector's positions and the boundary classes. Pure: text and facts
 * in, edits and problems out.
 */
import { itemAt, topLevelItems, type CItem } from './c-items';
import type { Edit } from './edits';
import { REDIRECT_BODY_PREFIX } from './redirect-prefixes';
import { externDeclaration, tentativeToExtern } from './variables';

export type FunctionAction =
  /** insider or not otherwise touched: stays as written, editable */
  | 'keep'
  /** outsider with a copy in vmlinux: the body goes, the module calls the kernel's copy */
  | 'declare'
  /** outsider without a copy in vmlinux (inlined everywhere): the body stays, marked frozen */
  | 'freeze'
  /** redirected entry point: signature marked frozen */
  | 'interface'
  /** address-taken entry point: signature marked frozen */
  | 'callback'
  /** __init/__exit code: removed */
  | 'delete';

export type VariableAction = 'keep' | 'extern' | 'delete' | 'shadow';

export interface FunctionSite {
  name: string;
  /** Offset of the name (or of the macro invocation for macro-made definitions). */
  nameOffset: number;
  /** Offset of the body's "{" as the compiler saw it. */
  bodyStart: number;
  linkage: 'static' | 'global';
  fromMacro: boolean;
}

export interface VariableSite {
  name: string;
  nameOffset: number;
  fromMacro: boolean;
}

export interface FilePlan {
  edits: Edit[];
  /** The variables whose definition became an extern declaration: the kernel's copy is the one used, sorted. */
  sharedVariables: string[];
  /** Things extraction could not do, each a sentence naming the file and the symbol. */
  problems: string[];
}

export const FROZEN_FUNCTION = (name: string) => `/* DON'T MODIFY FUNCTION ${name}, IT'S NOT PART OF THE SCHEDULER MODULE */\n`;
export const FROZEN_SIGNATURE = (kind: 'INTERFACE' | 'CALLBACK', name: string) => `/* DON'T MODIFY SIGNATURE OF ${kind} FUNCTION ${name} */\n`;

/** File-scope macro invocations that only make sense in the kernel image (init-time registration). */
const INIT_ONLY_ITEM = /^(?:early_initcall|core_initcall|postcore_initcall|arch_initcall|subsys_initcall|fs_initcall|device_initcall|late_initcall|pure_initcall|__initcall|early_param|__setup|core_param|module_init|module_exit)\s*\(/;

/** BTF id lists and sets (BTF_KFUNCS_START(...) BTF_ID_FLAGS(...) ...): assembler data, never a C declaration. */
const BTF_ITEM = /^BTF_\w+\s*\(/;

/** A definition's header as a plain external declaration: no static, inline or comments. */
export function functionHeader(text: string, start: number, bodyStart: number): string {
  return text
    .slice(start, bodyStart)
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/\b(static|inline|__always_inline|__init|__exit)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Offsets of `static` in file-scope prototypes of `name` (declarations without a body). */
export function staticPrototypes(text: string, items: CItem[], name: string): number[] {
  const call = new RegExp(`\\b${name}\\s*\\(`);
  return items
    .filter((it) => it.kind === 'code' && it.bodyStart === undefined)
    .filter((it) => {
      const s = text.slice(it.start, it.end);
      return /^static\b/.test(s) && call.test(s) && !/[={]/.test(s);
    })
    .map((it) => it.start);
}

/** The end of a removed item, swallowing its line break so no blank line is left. */
function removalEnd(text: string, item: CItem): number {
  return text[item.end] === '\n' ? item.end + 1 : item.end;
}

function planFunction(text: string, items: CItem[], site: FunctionSite, action: FunctionAction, file: string, edits: Edit[], problems: string[]): void {
  if (action === 'keep') return;
  const item = itemAt(items, site.nameOffset);
  const why = `${action} ${site.name}`;
  if (site.fromMacro) {
    // A macro-made definition (SYSCALL_DEFINE, PREEMPT_MODEL_ACCESSOR, cpufreq_governor_init, SCHED_FEAT
    // in features.h) cannot be cut into a prototype: it stays whole, or goes whole when it is init code.
    // Markers are only placed on an invocation that is an item of its own.
    if (item === null) return;
    if (action === 'delete') edits.push({ start: item.start, end: removalEnd(text, item), text: '', why });
    else if (action === 'declare' || action === 'freeze') edits.push({ start: item.start, end: item.start, text: FROZEN_FUNCTION(site.name), why });
    else edits.push({ start: item.start, end: item.start, text: FROZEN_SIGNATURE(action === 'interface' ? 'INTERFACE' : 'CALLBACK', site.name), why });
    return;
  }
  if (item === null || item.bodyStart === undefined) {
    problems.push(`${file}: cannot find the definition of ${site.name} at offset ${site.nameOffset} (to ${action} it).`);
    return;
  }
  if (item.bodyStart !== site.bodyStart) {
    problems.push(`${file}: the body of ${site.name} starts at offset ${item.bodyStart} by the lexer but ${site.bodyStart} by the compiler.`);
    return;
  }
  switch (action) {
    case 'declare': {
      let from = item.bodyStart;
      while (from > item.start && /\s/.test(text[from - 1])) from--;
      edits.push({ start: from, end: item.end, text: ';', why });
      return;
    }
    case 'freeze':
      edits.push({ start: item.start, end: item.start, text: FROZEN_FUNCTION(site.name), why });
      return;
    case 'interface':
    case 'callback': {
      const marker = FROZEN_SIGNATURE(action === 'interface' ? 'INTERFACE' : 'CALLBACK', site.name);
      // The module's body becomes __mod_<name>, the target of the runtime's jump. Every other
      // mention of <name> in the module means the kernel's entry (plugsched/redirect-names.h
      // maps it to __orig_<name>), so pointers the module stores in kernel data stay valid
      // after it is unloaded. The declaration keeps later references compiling.
      const declaration = `${functionHeader(text, item.start, item.bodyStart)};\n`;
      // Static entry points must be emitted as they are (no inlining away, no IPA clones).
      const used = site.linkage === 'static' ? '__used ' : '';
      edits.push({ start: item.start, end: item.start, text: marker + declaration + used, why });
      edits.push({ start: site.nameOffset, end: site.nameOffset + site.name.length, text: `${REDIRECT_BODY_PREFIX}${site.name}`, why });
      if (site.linkage === 'static') for (const p of staticPrototypes(text, items, site.name)) edits.push({ start: p, end: p + 'static'.length, text: '/* was static */', why: `prototype of ${site.name}` });
      return;
    }
    case 'delete':
      edits.push({ start: item.start, end: removalEnd(text, item), text: '', why });
      return;
  }
}

/**
 * The item that defines variable `name`. GCC may report a later redeclaration
 * (EXPORT_SYMBOL(x) redeclares x): then the definition is searched by name.
 */
function definitionItem(text: string, items: CItem[], offset: number, name: string): CItem | null {
  const at = itemAt(items, offset);
  const isDecl = (it: CItem) => /^(extern\b|EXPORT_|DECLARE_)/.test(text.slice(it.start, it.start + 16));
  if (at !== null && !isDecl(at)) return at;
  const word = new RegExp(`\\b${name}\\b`);
  return items.find((it) => it.kind === 'code' && it.bodyStart === undefined && !isDecl(it) && word.test(text.slice(it.start, it.end))) ?? null;
}

function planVariable(text: string, items: CItem[], site: VariableSite, action: VariableAction, file: string, edits: Edit[], problems: string[], shared: string[]): void {
  if (action === 'keep') return;
  const item = definitionItem(text, items, site.nameOffset, site.name);
  // Metadata that a function-defining macro makes along the way (SYSCALL_DEFINE's trace events) goes with the function.
  if (item !== null && item.bodyStart !== undefined && site.fromMacro) return;
  if (item === null || item.bodyStart !== undefined) {
    problems.push(`${file}: cannot find the definition of variable ${site.name} at offset ${site.nameOffset}.`);
    return;
  }
  const why = `${action} ${site.name}`;
  const itemText = text.slice(item.start, item.end);
  if (action === 'delete') {
    edits.push({ start: item.start, end: removalEnd(text, item), text: '', why });
  } else if (action === 'extern') {
    // BTF id lists and sets (BTF_KFUNCS_START, 7.2's sched_ext kfuncs) are assembler data the kernel
    // registered at boot; the module's copy is never registered: it keeps it, unshared.
    if (BTF_ITEM.test(itemText)) return;
    const r = externDeclaration(itemText, site.name);
    if (r.ok) {
      edits.push({ start: item.start, end: item.end, text: r.text, why });
      shared.push(site.name);
      // its forward declarations (tentative definitions) must not define a copy either
      for (const it of items) {
        if (it === item || it.kind !== 'code' || it.bodyStart !== undefined || BTF_ITEM.test(text.slice(it.start, it.end))) continue;
        const decl = tentativeToExtern(text.slice(it.start, it.end), site.name);
        if (decl !== null) edits.push({ start: it.start, end: it.end, text: decl, why: `declare ${site.name}` });
      }
    }
    // Made by a macro we cannot invert (NOKPROBE_SYMBOL, ATTRIBUTE_GROUPS): the module keeps its own copy.
    else if (site.fromMacro) return;
    else problems.push(`${file}: cannot share variable ${site.name} with the kernel: ${r.why}. Add it to privateVariables in boundary.yaml, or rewrite the definition.`);
  } else {
    // DEFINE_SCHED_CLASS(fair) = {...}: the module's table becomes shadow_fair_sched_class, which
    // the runtime copies over the kernel's fair_sched_class (whose address the kernel compares).
    // before 5.11: const struct sched_class fair_sched_class __section("__fair_sched_class") = {...}
    const m = /^DEFINE_SCHED_CLASS\s*\(\s*(\w+)\s*\)/.exec(itemText) ?? /^const\s+struct\s+sched_class\s+(\w+)_sched_class\s+__section\s*\(\s*"__\w+"\s*\)/.exec(itemText);
    if (m === null) {
      problems.push(`${file}: ${site.name} is not a DEFINE_SCHED_CLASS() definition (or, before 5.11, one in its own __section), so it cannot be shadowed.`);
      return;
    }
    edits.push({ start: item.start, end: item.start + m[0].length, text: `const struct sched_class shadow_${m[1]}_sched_class __used __aligned(__alignof__(struct sched_class))`, why });
    // A tentative definition ("const struct sched_class fair_sched_class;", fair.c) would become a
    // second, empty table once the real one is renamed: it must only declare the kernel's.
    const tentative = new RegExp(`^const\\s+struct\\s+sched_class\\s+${site.name}\\s*;`);
    for (const it of items) if (it !== item && it.kind === 'code' && tentative.test(text.slice(it.start, it.end))) edits.push({ start: it.start, end: it.start, text: 'extern ', why: `declare ${site.name}` });
  }
}

/** Plan every edit of one file. */
export function planFileEdits(
  text: string,
  file: string,
  functions: { site: FunctionSite; action: FunctionAction }[],
  variables: { site: VariableSite; action: VariableAction }[],
): FilePlan {
  const items = topLevelItems(text);
  const edits: Edit[] = [];
  const problems: string[] = [];
  // A header's definitions reach the plan once per translation unit that includes it: once is enough.
  const once = <T extends { site: { name: string; nameOffset: number } }>(xs: T[]) => [...new Map(xs.map((x) => [`${x.site.name}@${x.site.nameOffset}`, x])).values()];
  for (const f of once(functions)) planFunction(text, items, f.site, f.action, file, edits, problems);
  const shared: string[] = [];
  for (const v of once(variables)) planVariable(text, items, v.site, v.action, file, edits, problems, shared);
  for (const item of items) {
    const head = text.slice(item.start, Math.min(item.end, item.start + 64));
    if (item.kind === 'code' && INIT_ONLY_ITEM.test(head)) edits.push({ start: item.start, end: removalEnd(text, item), text: '', why: 'init-time registration' });
    // The module reuses the kernel's tracepoints instead of defining its own.
    if (item.kind === 'preproc' && /^#\s*define\s+CREATE_TRACE_POINTS\b/.test(head)) edits.push({ start: item.start, end: removalEnd(text, item), text: '', why: 'tracepoints stay in the kernel' });
  }
  return { edits: withoutClashes(edits, file, problems), sharedVariables: [...new Set(shared)].sort(), problems };
}

/**
 * One macro invocation can define several symbols (__setup() makes two
 * variables): identical edits of one item collapse into one; edits that
 * disagree about an item are reported, and the first one wins.
 */
function withoutClashes(edits: Edit[], file: string, problems: string[]): Edit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Edit[] = [];
  for (const e of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.start === e.start && prev.end === e.end && prev.text === e.text) continue;
    if (prev && e.start < prev.end) {
      problems.push(`${file}: "${e.why}" and "${prev.why}" edit the same definition differently; kept "${prev.why}".`);
      continue;
    }
    out.push(e);
  }
  return out;
}
