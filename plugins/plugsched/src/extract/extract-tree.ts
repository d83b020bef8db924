/**
 * Extraction: the pristine module code base for one kernel. Reads the
 * collector's facts and the boundary classes, edits the original scheduler
 * sources by byte range and writes them, with the private headers they
 * include and the generated glue for the runtime, to an output tree that
 * mirrors the kernel's paths (out/kernel/sched/core.c, out/kernel/...).
 *
 * Side effects are limited to reading the source tree and writing outDir;
 * the decisions are made by pure functions (actionsFor*, planFileEdits).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { ClassEntry } from '../boundary/analyze';
import type { CollectedFunction, CollectedUnit, CollectedVariable } from '../boundary/collector-format';
import type { BoundaryConfig } from '../config/boundary-config';
import { applyEdits } from './edits';
import { planFileEdits, type FunctionAction, type VariableAction } from './plan';
import { REDIRECT_BODY_PREFIX, REDIRECT_ORIG_PREFIX } from './redirect-prefixes';

/** The classes of boundary.json that extraction acts on. */
export interface BoundaryClasses {
  tainted?: ClassEntry[];
  undefined?: ClassEntry[];
  interface: ClassEntry[];
  callback: ClassEntry[];
  insider: ClassEntry[];
  outsider: ClassEntry[];
  outsider_inline: ClassEntry[];
  init: ClassEntry[];
  export?: ClassEntry[];
  weak_overridden?: ClassEntry[];
  /** Functions outside the boundary files that are redirected too (boundary/sidecars.ts). */
  sidecar?: ClassEntry[];
}

export interface ExtractInput {
  /** The pristine kernel source tree (read only). */
  sourceTree: string;
  /** Where the module code base is written (must be empty or absent). */
  outDir: string;
  units: CollectedUnit[];
  classes: BoundaryClasses;
  config: BoundaryConfig;
  /** Does vmlinux have a callable (plain, not clone-only) symbol `name` defined in `file`? */
  inVmlinux: (name: string, file: string) => boolean;
  /** tools/runtime: copied to kernel/sched/plugsched/ and included at the end of core.c. */
  runtimeDir: string | null;
  /** The kernel's __schedule frame and switch point (springboard-layout.h), or null. */
  springboardLayout: string | null;
  /** vmlinux's compiler clones and .cold parts by base name (VmlinuxFacts.clones), for superseded.h. */
  clones?: Record<string, string[]>;
}

/**
 * The __schedule springboard: the module's context_switch() does not call
 * __switch_to_asm itself but jumps to the kernel's __schedule at its switch
 * point, with the frame laid out as the kernel's, so every task sleeps (and
 * resumes) in the kernel's __schedule. Replaces the one switch_to() of core.c.
 */
export function springboardEdit(coreText: string): { text: string; problem: string | null } {
  const calls = [...coreText.matchAll(/\bswitch_to\s*\(\s*prev\s*,\s*next\s*,\s*prev\s*\)\s*;/g)];
  if (calls.length !== 1) return { text: coreText, problem: `kernel/sched/core.c: expected exactly one "switch_to(prev, next, prev);" in context_switch() for the __schedule springboard, found ${calls.length}` };
  const at = calls[0].index as number;
  const text = `${coreText.slice(0, at)}PLUGSCHED_SWITCH_TO(prev, next, prev); /* plugsched: the springboard into the kernel's __schedule */${coreText.slice(at + calls[0][0].length)}`;
  return { text: `/* plugsched: the __schedule springboard (PLUGSCHED_SWITCH_TO) */\n#include "plugsched/springboard.h"\n${text}`, problem: null };
}

export interface ExtractResult {
  /** Files written, relative to outDir, sorted. */
  files: string[];
  problems: string[];
}

const SCHED_DIR = 'kernel/sched';
const key = (name: string, file: string) => `${name}@${file}`;

/** Which action each class asks of a function definition. Init wins over everything. */
export function functionActions(classes: BoundaryClasses): Map<string, FunctionAction> {
  const out = new Map<string, FunctionAction>();
  const put = (entries: ClassEntry[] | undefined, action: FunctionAction) => {
    for (const e of entries ?? []) if (!out.has(key(e.name, e.file))) out.set(key(e.name, e.file), action);
  };
  put(classes.init, 'delete');
  put(classes.interface, 'interface');
  put(classes.callback, 'callback');
  put(classes.insider, 'keep');
  put(classes.outsider_inline, 'freeze');
  put(classes.outsider, 'declare');
  put(classes.export, 'declare');
  put(classes.weak_overridden, 'declare');
  return out;
}

/** A function of an included file outside the boundary: the kernel's copy is used, or frozen when there is none. */
export function outsideFunctionAction(fn: CollectedFunction, inVmlinux: boolean): FunctionAction {
  if (fn.init) return 'delete';
  return inVmlinux ? 'declare' : 'freeze';
}

export function variableAction(v: CollectedVariable, config: BoundaryConfig, inVmlinux: boolean): VariableAction {
  if (v.section !== null && /^\.(init|exit)\./.test(v.section)) return 'delete';
  // DEFINE_SCHED_CLASS(x) (5.11+), or before it the table defined in its own section "__x_sched_class"
  if (/_sched_class$/.test(v.name) && (v.fromMacro || v.section === `__${v.name}`)) return 'shadow';
  if (config.privateVars.includes(v.name)) return 'keep';
  if (config.sharedVars.includes(v.name)) return 'extern';
  return inVmlinux ? 'extern' : 'keep';
}

/**
 * The variables the module uses the kernel's copy of, one name a line, for the module build's check
 * that none of them is defined in scheduler.ko (module/shared-variables.ts). A name the module also
 * keeps a copy of elsewhere (a static of the same name in another file) is left out: the symbol
 * table cannot tell the two apart.
 */
export function sharedVariablesList(shared: Set<string>, kept: Set<string>): string {
  const names = [...shared].filter((n) => !kept.has(n)).sort();
  return `# Generated by plugsched-nx extraction: variables shared with the kernel (must stay undefined in scheduler.ko).\n${names.map((n) => `${n}\n`).join('')}`;
}

/** Files a text includes with a quoted relative path, resolved against `fromFile`'s directory. */
export function quotedIncludes(text: string, fromFile: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm)) out.push(normalize(join(dirname(fromFile), m[1])));
  return out;
}

/** A redirected function as the runtime sees it: the body's symbol and the kernel's. */
export interface RedirectEntry extends ClassEntry {
  /** Made by a macro (SYSCALL_DEFINE): the body keeps its name, nothing in the module refers to it. */
  fromMacro: boolean;
}

const byNameThenFile = (a: ClassEntry, b: ClassEntry) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file);

/** The C identifier of a file's redirect table: kernel/sched/stop_task.c -> stop_task. */
export function fileId(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.c$/, '').replace(/[^A-Za-z0-9_]/g, '_');
}

/** One redirect table line: the module's body, the kernel's copy, the name and its sympos. */
export function redirectLine(e: RedirectEntry): string {
  const body = e.fromMacro ? e.name : `${REDIRECT_BODY_PREFIX}${e.name}`;
  return `PLUGSCHED_REDIRECT${e.fromMacro ? '_EXTERN' : ''}(${body}, ${REDIRECT_ORIG_PREFIX}${e.name}, "${e.name}", ${e.sympos ?? 0})`;
}

/** Generated glue: the files whose redirect tables the runtime walks. */
export function redirectFilesHeader(entries: RedirectEntry[]): string {
  const files = [...new Set(entries.map((e) => fileId(e.file)))].sort();
  return `/* Generated by plugsched-nx extraction: files that define redirected functions. */\n${files.map((f) => `PLUGSCHED_REDIRECT_FILE(${f})`).join('\n')}\n`;
}

/**
 * Generated glue, forced into every module object: each redirected function's
 * name means the kernel's copy, so calls and stored pointers go through the
 * kernel's entry (which jumps to the module's __mod_ body while installed).
 */
export function redirectNamesHeader(entries: RedirectEntry[]): string {
  const names = [...new Set(entries.filter((e) => !e.fromMacro).map((e) => e.name))].sort();
  return [
    '/* Generated by plugsched-nx extraction: a redirected function\'s name means the kernel\'s copy. */',
    '#ifndef PLUGSCHED_REDIRECT_NAMES_H',
    '#define PLUGSCHED_REDIRECT_NAMES_H',
    ...names.map((n) => `#define ${n} ${REDIRECT_ORIG_PREFIX}${n}`),
    '#endif',
    '',
  ].join('\n');
}

/**
 * Generated glue for the installer: which of the same-named kernel symbols the
 * module means, for every name the kernel has several of (position in kallsyms
 * order, from 1). The runtime puts the lines in the module's
 * .plugsched.sympos section, where symbol-resolve reads them.
 */
export function symposHeader(entries: ClassEntry[]): string {
  const lines = [...new Set(entries.filter((e) => (e.sympos ?? 0) > 0).map((e) => `PLUGSCHED_SYMPOS(${e.name}, ${e.sympos})`))].sort();
  return `/* Generated by plugsched-nx extraction: kernel symbols the module names that the kernel has several of. */\n${lines.map((l) => `${l}\n`).join('')}`;
}

/**
 * Generated glue for the stack check (tools/runtime/stack-check.c): every
 * kernel function the module supersedes, that no task may be inside at
 * install. PLUGSCHED_SUPERSEDED(name, sympos) for each vmlinux copy the
 * module supersedes (`tainted`: interfaces, callbacks, insiders), at its
 * position among same-named symbols; PLUGSCHED_SUPERSEDED_PART(name) for
 * each compiler clone or .cold part of a superseded function's name, and for
 * a header's static function (one copy per unit, no position tells them
 * apart): the runtime takes every kernel symbol so named, which can only
 * make the check stricter. Sorted, one line each, so the header is
 * deterministic.
 */
export function supersededHeader(tainted: ClassEntry[], superseded: ClassEntry[], clones: Record<string, string[]>): string {
  // name -> its positions, or 'all'; one line per name (the runtime looks names up)
  const wanted = new Map<string, Set<number> | 'all'>();
  const add = (name: string, pos: number | 'all') => {
    const cur = wanted.get(name);
    if (pos === 'all' || cur === 'all') wanted.set(name, 'all');
    else wanted.set(name, new Set([...(cur ?? []), pos]));
  };
  for (const e of tainted) add(e.name, e.file.endsWith('.h') ? 'all' : (e.sympos ?? 0));
  for (const name of new Set(superseded.map((e) => e.name))) for (const c of clones[name] ?? []) add(c, 'all');
  const names = [...wanted.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const line = (name: string) => {
    const pos = wanted.get(name) as Set<number> | 'all';
    // two superseded copies of one name (different files): every copy of it, which includes both
    return pos === 'all' || pos.size > 1 ? `PLUGSCHED_SUPERSEDED_PART("${name}")` : `PLUGSCHED_SUPERSEDED("${name}", ${[...pos][0]})`;
  };
  return `/* Generated by plugsched-nx extraction: the kernel functions the module supersedes, for the stack check. */\n${names.map((n) => `${line(n)}\n`).join('')}`;
}

/**
 * The block appended to a file that defines redirected functions. Its include is relative to the
 * file: one in a folder of kernel/sched (7.2's ext/ext.c) finds plugsched/ one level up.
 */
export function fileRedirectBlock(file: string, entries: RedirectEntry[]): string {
  if (entries.length === 0) return '';
  const lines = [...entries].sort(byNameThenFile).map((e) => `\t${redirectLine(e)}`).join(' \\\n');
  const up = '../'.repeat(Math.max(0, file.split('/').length - 3));
  return `\n/* Generated by plugsched-nx extraction: this file's redirected functions. */\n#define PLUGSCHED_FILE_ID ${fileId(file)}\n#define PLUGSCHED_FILE_REDIRECTS \\\n${lines}\n#include "${up}plugsched/redirect-table.h"\n`;
}

export function extractTree(input: ExtractInput): ExtractResult {
  const { sourceTree, outDir, units, classes, config } = input;
  const actions = functionActions(classes);
  const hasRuntime = input.runtimeDir !== null && existsSync(input.runtimeDir);
  const modFiles = new Set(config.modFiles);
  const problems: string[] = [];
  const written = new Set<string>();

  // Definitions per file, from every unit (a header's show up once per unit; the planner dedupes).
  const fnsByFile = new Map<string, CollectedFunction[]>();
  const varsByFile = new Map<string, CollectedVariable[]>();
  for (const u of units) {
    for (const f of u.functions) if (f.file.startsWith(`${SCHED_DIR}/`)) fnsByFile.set(f.file, [...(fnsByFile.get(f.file) ?? []), f]);
    for (const v of u.variables) if (v.defined && v.file.startsWith(`${SCHED_DIR}/`)) varsByFile.set(v.file, [...(varsByFile.get(v.file) ?? []), v]);
  }

  // Variables the module must take from the kernel (extern) and names it keeps a copy of.
  const sharedVars = new Set<string>();
  const keptVars = new Set<string>();

  const macroMade = new Set<string>();
  for (const fns of fnsByFile.values()) for (const f of fns) if (f.fromMacro) macroMade.add(key(f.name, f.file));
  // a sidecar is redirected like an interface; the rest of its file stays the kernel's
  const sidecars = new Set((classes.sidecar ?? []).map((e) => key(e.name, e.file)));
  const redirects: RedirectEntry[] = [...classes.interface, ...classes.callback, ...(classes.sidecar ?? [])].map((e) => ({ ...e, fromMacro: macroMade.has(key(e.name, e.file)) })).sort(byNameThenFile);
  const redirectedIn = new Map<string, RedirectEntry[]>();
  for (const e of redirects) redirectedIn.set(e.file, [...(redirectedIn.get(e.file) ?? []), e]);
  for (let i = 1; i < redirects.length; i++)
    if (redirects[i].name === redirects[i - 1].name && !redirects[i].fromMacro)
      problems.push(`${redirects[i].name} is redirected in both ${redirects[i - 1].file} and ${redirects[i].file}: the module can name only one kernel copy of it; keep one of them out of the interfaces`);

  const emit = (rel: string, text: string, encoding: BufferEncoding = 'utf8') => {
    const dest = join(outDir, rel);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, text, encoding);
    written.add(rel);
  };

  // 1. Every file of kernel/sched, edited where the boundary says so.
  // and those of its folders (7.2 keeps sched_ext in kernel/sched/ext/); none before 7.2
  const schedFiles = (readdirSync(join(sourceTree, SCHED_DIR), { recursive: true }) as string[]).filter((f) => /\.[ch]$/.test(f) && !f.startsWith('plugsched/')).sort();
  for (const name of schedFiles) {
    const rel = `${SCHED_DIR}/${name}`;
    // one character per byte: the compiler's offsets are byte offsets (7.2's ext/ext.c has UTF-8 in comments)
    const text = readFileSync(join(sourceTree, rel), 'latin1');
    const inBoundary = modFiles.has(rel);
    const fns = (fnsByFile.get(rel) ?? []).map((f) => {
      let action = inBoundary ? (actions.get(key(f.name, f.file)) ?? (f.init ? 'delete' : 'keep')) : sidecars.has(key(f.name, f.file)) ? 'interface' : outsideFunctionAction(f, input.inVmlinux(f.name, f.file));
      // A header's static function has one kernel copy per unit that no symbol name tells apart: keep ours, frozen.
      if (action === 'declare' && rel.endsWith('.h') && f.linkage === 'static') action = 'freeze';
      return { site: { name: f.name, nameOffset: f.name_loc.offset, bodyStart: f.body.start.offset, linkage: f.linkage, fromMacro: f.fromMacro }, action };
    });
    const vars = (varsByFile.get(rel) ?? []).map((v) => ({
      site: { name: v.name, nameOffset: v.name_loc.offset, fromMacro: v.fromMacro },
      action: variableAction(v, config, input.inVmlinux(v.name, v.file)),
    }));
    const plan = planFileEdits(text, rel, fns, vars);
    // shared: those whose definition became an extern declaration (a macro-made one stays the module's)
    const externed = new Set(plan.sharedVariables);
    for (const v of vars) {
      if (externed.has(v.site.name)) sharedVars.add(v.site.name);
      else if (v.action !== 'delete') keptVars.add(v.site.name);
    }
    problems.push(...plan.problems);
    let out = applyEdits(text, plan.edits);
    // The module reuses the kernel's syscall trace events instead of registering a second set.
    if (units.some((u) => u.unit === rel)) out = `/* plugsched: syscall trace events stay the kernel's */\n#undef CONFIG_FTRACE_SYSCALLS\n${out}`;
    if (hasRuntime && (inBoundary || redirectedIn.has(rel))) out += fileRedirectBlock(rel, redirectedIn.get(rel) ?? []);
    if (hasRuntime && rel === `${SCHED_DIR}/core.c`) {
      const sb = springboardEdit(out);
      if (sb.problem !== null) problems.push(sb.problem);
      out = `${sb.text}\n/* The live-update runtime works inside core.c's translation unit. */\n#include "plugsched/runtime.c"\n`;
    }
    emit(rel, out, 'latin1');
  }

  // 2. Private headers the scheduler includes by relative path (../workqueue_internal.h, ...), recursively.
  const queue = [...written].flatMap((rel) => quotedIncludes(readFileSync(join(outDir, rel), 'utf8'), rel));
  while (queue.length > 0) {
    const rel = queue.shift() as string;
    if (written.has(rel) || rel.startsWith('..') || rel.startsWith(`${SCHED_DIR}/plugsched/`)) continue;
    const src = join(sourceTree, rel);
    if (!existsSync(src)) continue; // generated headers of the build (e.g. under include/generated) come from the devel tree
    const text = readFileSync(src, 'utf8');
    emit(rel, text);
    queue.push(...quotedIncludes(text, rel));
  }

  // 3. Glue for the runtime.
  emit(`${SCHED_DIR}/plugsched/redirect-files.h`, redirectFilesHeader(redirects));
  emit(`${SCHED_DIR}/plugsched/redirect-names.h`, redirectNamesHeader(redirects));
  // The kernel's own feature list, for the runtime to carry the kernel's settings over by name.
  if (hasRuntime && existsSync(join(sourceTree, SCHED_DIR, 'features.h'))) emit(`${SCHED_DIR}/plugsched/kernel-features.h`, readFileSync(join(sourceTree, SCHED_DIR, 'features.h'), 'utf8'));
  if (input.springboardLayout !== null) emit(`${SCHED_DIR}/plugsched/springboard-layout.h`, input.springboardLayout);
  if (hasRuntime) emit(`${SCHED_DIR}/plugsched/superseded.h`, supersededHeader(classes.tainted ?? [], [...classes.interface, ...classes.callback, ...classes.insider, ...(classes.sidecar ?? [])], input.clones ?? {}));
  emit(`${SCHED_DIR}/plugsched/shared-variables.txt`, sharedVariablesList(sharedVars, keptVars));
  emit(`${SCHED_DIR}/plugsched/sympos.h`, symposHeader([...redirects, ...(classes.tainted ?? []), ...(classes.undefined ?? [])]));
  if (hasRuntime && input.runtimeDir !== null) {
    for (const f of readdirSync(input.runtimeDir).filter((x) => /\.(c|h|lds|S)$/.test(x)).sort()) {
      cpSync(join(input.runtimeDir, f), join(outDir, SCHED_DIR, 'plugsched', f));
      written.add(`${SCHED_DIR}/plugsched/${f}`);
    }
  }
  if (config.moduleCompat !== null) emit(`${SCHED_DIR}/plugsched/compat.h`, readFileSync(config.moduleCompat, 'utf8'));
  const objects = unitObjects(config.units);
  if (objects.outside.length > 0)
    problems.push(`${config.file}: units ${objects.outside.join(', ')} are not under ${SCHED_DIR}/, where the module is built (its Kbuild); list only scheduler units there`);
  emit(`${SCHED_DIR}/Kbuild`, kbuildFile({ objects: objects.inside, linkerScript: hasRuntime && existsSync(join(input.runtimeDir as string, 'scheduler.lds')), compat: config.moduleCompat !== null, runtime: hasRuntime }));

  return { files: [...written].sort(), problems };
}

/** The module objects of the scheduler's units, relative to kernel/sched (core.c -> core.o), and the units outside it. */
export function unitObjects(units: string[]): { inside: string[]; outside: string[] } {
  const inside = units.filter((u) => u.startsWith(`${SCHED_DIR}/`));
  return { inside: inside.map((u) => `${u.slice(SCHED_DIR.length + 1).replace(/\.c$/, '')}.o`), outside: units.filter((u) => !inside.includes(u)) };
}

export interface KbuildOptions {
  /** The module's objects, relative to kernel/sched: one per scheduler unit. */
  objects: string[];
  /** Link with the runtime's plugsched/scheduler.lds. */
  linkerScript: boolean;
  /** Force plugsched/compat.h (boundary.yaml moduleCompat) into every object. */
  compat: boolean;
  /** The live-update runtime is in: force plugsched/redirect-names.h into every object. */
  runtime: boolean;
}

/** kbuild for scheduler.ko: one object per scheduler unit of boundary.yaml, exports disabled (the kernel keeps its own). */
export function kbuildFile(o: KbuildOptions): string {
  return [
    '# Generated by plugsched-nx extraction: builds scheduler.ko from the extracted scheduler.',
    'obj-m := scheduler.o',
    `scheduler-y := ${o.objects.join(' ')}`,
    '',
    '# The kernel keeps exporting its own symbols; the module must not export them again.',
    'ccflags-y += -D__DISABLE_EXPORTS -DPLUGSCHED_MODULE',
    '# Outsider bodies are gone: their static declarations stay, used or not.',
    'ccflags-y += -Wno-unused-function',
    "ccflags-y += $(call cc-disable-warning, unused-but-set-variable)",
    // before every header, so that their declarations are renamed too
    ...(o.runtime ? ["# A redirected function's name means the kernel's copy; the module's body is __mod_<name>.", 'ccflags-y += -include $(src)/plugsched/redirect-names.h'] : []),
    ...(o.compat ? ['# Kernel internals hidden from modules that the scheduler uses (see boundary.yaml moduleCompat).', 'ccflags-y += -include $(src)/plugsched/compat.h'] : []),
    'KCOV_INSTRUMENT := n',
    'KCSAN_SANITIZE := n',
    "# core.o keeps the frame pointer the __schedule springboard relies on (as the kernel's own build does).",
    'CFLAGS_core.o := -fno-omit-frame-pointer',
    ...(o.linkerScript ? ['ldflags-y += -T $(src)/plugsched/scheduler.lds'] : []),
    '',
  ].join('\n');
}
