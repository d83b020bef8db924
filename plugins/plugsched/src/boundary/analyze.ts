/**
 * The boundary algorithm: pure set algebra over the collector's facts (what
 * the scheduler units define and reference) and the debug vmlinux's facts
 * (what survived compilation, what the rest of the kernel references).
 * Data in, data out; every decision comes with its reasons.
 *
 * Classes of a scheduler function (a function defined in a boundary file):
 *   interface        entry point, redirected to the module: derived (entered from
 *                    outside the boundary files, derive-interfaces.ts), a syscall
 *                    (interfacePrefixes), called by a kernelFunctions function, or
 *                    added by an override in boundary.yaml
 *   callback         its address is stored where the kernel can call it: redirected
 *   insider          reachable only through interfaces and callbacks: the module's, free to change
 *   outsider         something outside the module calls it: the kernel's copy is used
 *                    (kernelFunctions, excludeInterfaces, and what those reach)
 *   outsider_inline  an outsider with no callable copy in vmlinux: the module keeps a frozen copy
 *   init             __init code, gone after boot: removed
 *   export           exported to modules and not an interface: kept outside
 *   weak_overridden  a weak definition another file overrides
 * Derived lists: tainted (vmlinux functions the module supersedes) and
 * undefined (kernel functions the module calls, resolved at install time).
 */
import type { BoundaryConfig } from '../config/boundary-config';
import type { CollectedFunction, CollectedUnit } from './collector-format';
import { deriveInterfaces } from './derive-interfaces';
import type { VmFunction, VmlinuxFacts } from './vmlinux';

export type FunctionClass = 'interface' | 'callback' | 'insider' | 'outsider' | 'outsider_inline' | 'init' | 'export' | 'weak_overridden';

/** A function of one class in boundary.json: written by the analysis, read by extraction (extract-tree.ts). */
export interface ClassEntry {
  name: string;
  file: string;
  sympos?: number;
}

export interface StructOwnership {
  /** Fields touched only by the module's code: their meaning may change (not their layout). */
  private: string[];
  /** Fields touched outside the module: shared with the kernel, layout and meaning fixed. */
  shared: string[];
  /** Functions outside the module that touch the shared fields. */
  users: string[];
}

/** Where an interface comes from. */
export type InterfaceOrigin = 'derived' | 'syscall' | 'kernel-function callee' | 'override';

/** The interfaces by origin, and the derived ones an override removed: for summary.md and boundary.md. */
export interface InterfaceReport {
  /** "name (file)" -> origin, for every function of class interface (sorted by key). */
  origins: Record<string, InterfaceOrigin>;
  /** Derived interfaces that stay the kernel's (an override, or a lock guard of the same name): the function, the reason and what enters it. */
  excluded: { key: string; reason: string; entries: string[] }[];
}

export interface BoundaryAnalysis {
  classes: Record<FunctionClass | 'tainted' | 'undefined', ClassEntry[]>;
  interfaces: InterfaceReport;
  /** "name (file)" -> why it is in its class (non-insiders), as a chain from the cause. */
  reasons: Record<string, string[]>;
  structs: Record<string, StructOwnership>;
  /** Fatal: the boundary cannot be used as configured. */
  errors: string[];
  warnings: string[];
}

export const fnKey = (name: string, file: string) => `${name} (${file})`;

interface Node {
  fn: CollectedFunction;
  key: string;
  inBoundary: boolean;
}

/** Edit distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

export function nearMatches(name: string, candidates: Iterable<string>, max = 3): string[] {
  return [...candidates]
    .map((c) => ({ c, d: editDistance(name, c) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 4)) || x.c.includes(name) || name.includes(x.c))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((x) => x.c);
}

/** Unique definitions per (name, file): a header's inline functions appear in every unit. */
export function definitions(units: CollectedUnit[]): Map<string, CollectedFunction> {
  const out = new Map<string, CollectedFunction>();
  for (const u of units) for (const f of u.functions) if (!out.has(fnKey(f.name, f.file))) out.set(fnKey(f.name, f.file), f);
  return out;
}

/** Callers and address-takers of each function name, from the collector (inside the units). */
export function referencesByName(units: CollectedUnit[]): Map<string, { from: string; how: 'calls' | 'takes the address of' }[]> {
  const out = new Map<string, { from: string; how: 'calls' | 'takes the address of' }[]>();
  const add = (to: string, from: string, how: 'calls' | 'takes the address of') => {
    const list = out.get(to) ?? [];
    if (!list.some((r) => r.from === from && r.how === how)) list.push({ from, how });
    out.set(to, list);
  };
  for (const f of definitions(units).values()) {
    if (f.init) continue; // init code is gone after boot: its calls do not count
    for (const c of f.calls) add(c, fnKey(f.name, f.file), 'calls');
    for (const c of f.addressTaken) add(c, fnKey(f.name, f.file), 'takes the address of');
  }
  return out;
}

/**
 * The names boundary.yaml lists (interfaces, excludeInterfaces,
 * kernelFunctions) that the boundary files do not define, with near matches,
 * and names listed in two of them: needs only the collected facts, so the
 * analyze step reports them before it reads vmlinux.
 */
export function boundaryNameErrors(units: CollectedUnit[], config: BoundaryConfig): string[] {
  const errors: string[] = [];
  const modFiles = new Set(config.modFiles);
  const modNames = new Set([...definitions(units).values()].filter((f) => modFiles.has(f.file)).map((f) => f.name));
  const lists: [string, string, { name: string }[]][] = [
    ['interface', 'interfaces', config.interfaces],
    ['excluded interface', 'excludeInterfaces', config.excludedInterfaces],
    ['kernel function', 'kernelFunctions', config.kernelFunctions],
  ];
  for (const [what, field, list] of lists)
    for (const { name } of list)
      if (!modNames.has(name)) {
        const near = nearMatches(name, modNames);
        errors.push(`${what} "${name}" is not a function defined in the boundary files${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; remove it from ${field} in ${config.file} or add the file that defines it`);
      }
  for (let i = 0; i < lists.length; i++)
    for (let j = i + 1; j < lists.length; j++)
      for (const { name } of lists[i][2]) if (modNames.has(name) && lists[j][2].some((x) => x.name === name)) errors.push(`"${name}" is listed both in ${lists[i][1]} and in ${lists[j][1]} in ${config.file}; keep one`);
  return errors;
}

/** The scheduler's functions, indexed, with the vmlinux copy of each boundary function. */
interface SchedulerGraph {
  /** Every unique definition (definitions()), in the collector's order. */
  nodes: Node[];
  /** The definitions in the boundary files, in the same order. */
  mod: Node[];
  byKey: Map<string, Node>;
  byName: Map<string, Node[]>;
  /** A .c file -> the first unit that compiles it. */
  unitOfFile: Map<string, string>;
  /** Boundary function key -> its callable copy in vmlinux, or null when vmlinux has none. */
  copies: Map<string, VmFunction | null>;
}

/** A caller or address-taker of a function, by key. */
interface Reference {
  from: string;
  how: string;
}

/**
 * Takes the collected units, the vmlinux facts and the boundary files;
 * gives the graph: the nodes (one per unique definition) indexed by key and by
 * name, the unit of each .c file, and the vmlinux copy of each boundary function.
 */
function schedulerGraph(units: CollectedUnit[], facts: VmlinuxFacts, modFiles: string[]): SchedulerGraph {
  const inBoundary = new Set(modFiles);
  const nodes: Node[] = [...definitions(units).values()].map((fn) => ({ fn, key: fnKey(fn.name, fn.file), inBoundary: inBoundary.has(fn.file) }));
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const byName = new Map<string, Node[]>();
  for (const n of nodes) byName.set(n.fn.name, [...(byName.get(n.fn.name) ?? []), n]);
  const mod = nodes.filter((n) => n.inBoundary);
  const unitOfFile = new Map<string, string>();
  for (const u of units) for (const f of u.functions) if (!unitOfFile.has(f.file) && f.file.endsWith('.c')) unitOfFile.set(f.file, u.unit);
  return { nodes, mod, byKey, byName, unitOfFile, copies: vmlinuxCopies(mod, unitOfFile, facts.functions) };
}

/**
 * Takes the boundary functions, the unit of each .c file and vmlinux's plain
 * function symbols; gives each boundary function's callable copy (key -> symbol,
 * or null): a global symbol of that name for a global function, a local symbol
 * of that name in the same unit (in any scheduler unit for a header's) for a
 * static one.
 */
function vmlinuxCopies(mod: Node[], unitOfFile: Map<string, string>, functions: VmFunction[]): Map<string, VmFunction | null> {
  const vmFns = new Map<string, VmFunction[]>();
  for (const f of functions) vmFns.set(f.name, [...(vmFns.get(f.name) ?? []), f]);
  const copy = (n: Node): VmFunction | null => {
    const cands = vmFns.get(n.fn.name) ?? [];
    if (n.fn.linkage === 'global') return cands.find((c) => c.global) ?? null;
    const unit = unitOfFile.get(n.fn.file);
    const local = cands.filter((c) => !c.global && (unit === undefined ? c.unit !== null : c.unit === unit));
    return local.length === 1 ? local[0] : (local[0] ?? null);
  };
  return new Map(mod.map((n) => [n.key, copy(n)]));
}

/** The vmlinux copy of boundary function `n`, or null. */
const vmCopy = (g: SchedulerGraph, n: Node): VmFunction | null => g.copies.get(n.key) ?? null;

/** The classification so far: boundary function key -> class, and key -> reasons in the order found. */
interface Verdicts {
  cls: ReadonlyMap<string, FunctionClass>;
  reasons: Readonly<Record<string, readonly string[]>>;
}

const NO_VERDICTS: Verdicts = { cls: new Map(), reasons: {} };

/** A phase's own copy of the verdicts it extends: the phase returns it, the input stays as it was. */
class Draft {
  readonly cls: Map<string, FunctionClass>;
  readonly reasons: Record<string, string[]> = {};

  constructor(from: Verdicts) {
    this.cls = new Map(from.cls);
    for (const [key, why] of Object.entries(from.reasons)) this.reasons[key] = [...why];
  }

  because(key: string, why: string): void {
    (this.reasons[key] ??= []).push(why);
  }

  classify(key: string, c: FunctionClass, why: string): void {
    this.cls.set(key, c);
    this.because(key, why);
  }
}

/**
 * Takes the graph, the vmlinux facts and the callers; gives the boundary
 * functions entered from outside the boundary files (key -> reasons): those
 * of a .c file with a callable copy in vmlinux that are neither init code nor
 * weak defaults (derive-interfaces.ts).
 */
function derivedEntries(g: SchedulerGraph, facts: VmlinuxFacts, callersOf: Map<string, Reference[]>): Map<string, string[]> {
  const fromOutsideFiles = new Map<string, string[]>();
  for (const n of g.mod) {
    const outside = (callersOf.get(n.key) ?? []).filter((r) => g.byKey.get(r.from)?.inBoundary === false);
    if (outside.length > 0) fromOutsideFiles.set(n.key, [...new Set(outside.map((r) => `${r.how === 'calls' ? 'called by' : 'address taken by'} ${r.from}`))]);
  }
  // A header's function is compiled into every unit that includes it: the module cannot redirect one of those copies.
  const candidates = g.mod.filter((n) => !n.fn.init && !n.fn.weak && !n.fn.file.endsWith('.h') && vmCopy(g, n) !== null).map((n) => ({ key: n.key, name: n.fn.name, global: n.fn.linkage === 'global' }));
  return deriveInterfaces(candidates, { referrers: facts.referrers, fromOutsideFiles, exports: new Set(facts.exports) });
}

/** The marker of a reason an excludeInterfaces override gave: how the warnings find the overrides that took effect. */
const EXCLUDED = 'excluded from the interfaces (excludeInterfaces)';

/** The marker of a derived interface that cannot be redirected because a lock guard has its name. */
const GUARD_NAME = 'entered from outside, but not redirectable';

/**
 * Takes the graph, the config and the derived entries; gives the classes
 * boundary.yaml decides (init code, kernelFunctions as outsiders, interfaces
 * added or excluded by an override, syscall prefixes), and an error per
 * kernel function vmlinux has no copy of.
 */
function declaredClasses(g: SchedulerGraph, config: BoundaryConfig, derived: Map<string, string[]>): { verdicts: Verdicts; errors: string[] } {
  const d = new Draft(NO_VERDICTS);
  const errors: string[] = [];
  const kernelKept = new Map(config.kernelFunctions.map((k) => [k.name, k.reason]));
  const added = new Map(config.interfaces.map((k) => [k.name, k.reason]));
  const excluded = new Map(config.excludedInterfaces.map((k) => [k.name, k.reason]));
  for (const n of g.mod) {
    const prefix = config.interfacePrefixes.find((p) => n.fn.name.startsWith(p));
    const kept = kernelKept.get(n.fn.name);
    const entries = derived.get(n.key);
    if (n.fn.init) d.classify(n.key, 'init', `runs only at boot (section ${n.fn.section})`);
    else if (kept !== undefined) {
      if (vmCopy(g, n) === null) errors.push(`${n.key} is in kernelFunctions in ${config.file} but vmlinux has no callable copy of it; remove it from kernelFunctions`);
      d.classify(n.key, 'outsider', `kept in the kernel (kernelFunctions): ${kept}`);
    } else if (added.has(n.fn.name)) d.classify(n.key, 'interface', `added as an interface in ${config.file}: ${added.get(n.fn.name)}`);
    else if (excluded.has(n.fn.name) && entries !== undefined) {
      d.classify(n.key, 'outsider', `${EXCLUDED} in ${config.file}: ${excluded.get(n.fn.name)}`);
      for (const why of entries) d.because(n.key, why);
    } else if (prefix !== undefined) d.classify(n.key, 'interface', `syscall entry (prefix ${prefix})`);
  }
  return { verdicts: d, errors };
}

/**
 * Takes the graph, the config and the verdicts so far; gives them with
 * the callees of kernel-kept functions classified: what kernel-kept functions
 * call stays the module's, so those callees become interfaces. A callee without
 * a callable copy in vmlinux is inlined into the kernel's code, so it is kept
 * too (outsider_inline, and its callees follow); a weak default is an outsider.
 */
function keptCallees(g: SchedulerGraph, config: BoundaryConfig, v: Verdicts): Verdicts {
  const d = new Draft(v);
  const kernelKept = new Set(config.kernelFunctions.map((k) => k.name));
  const keptQueue = g.mod.filter((n) => kernelKept.has(n.fn.name) && !n.fn.init);
  for (let k = 0; k < keptQueue.length; k++) {
    const caller = keptQueue[k];
    for (const name of caller.fn.calls) {
      for (const callee of (g.byName.get(name) ?? []).filter((c) => c.inBoundary && !c.fn.init)) {
        if (d.cls.has(callee.key)) continue;
        if (callee.fn.weak) {
          // A weak default the architecture may override: the kernel's symbol may not be this body.
          d.classify(callee.key, 'outsider', `a weak default called by ${caller.key}, which stays in the kernel (kernelFunctions)`);
        } else if (vmCopy(g, callee) !== null) {
          const excluded = config.excludedInterfaces.find((x) => x.name === callee.fn.name);
          if (excluded !== undefined) d.classify(callee.key, 'outsider', `${EXCLUDED} in ${config.file}: ${excluded.reason}; called by ${caller.key}, which stays in the kernel (kernelFunctions)`);
          else d.classify(callee.key, 'interface', `called by ${caller.key}, which stays in the kernel (kernelFunctions)`);
        } else {
          d.classify(callee.key, 'outsider_inline', `inlined into ${caller.key}, which stays in the kernel (kernelFunctions)`);
          keptQueue.push(callee);
        }
      }
    }
  }
  return d;
}

/**
 * Takes the graph and the verdicts so far; gives them with the weak
 * definitions that a strong one elsewhere overrides classified weak_overridden.
 */
function weakOverrides(g: SchedulerGraph, v: Verdicts): Verdicts {
  const d = new Draft(v);
  for (const n of g.mod)
    if (n.fn.weak && !d.cls.has(n.key) && (g.byName.get(n.fn.name) ?? []).some((o) => o !== n && !o.fn.weak))
      d.classify(n.key, 'weak_overridden', `a weak definition overridden by ${(g.byName.get(n.fn.name) ?? []).filter((o) => !o.fn.weak).map((o) => o.key).join(', ')}`);
  return d;
}

/**
 * Takes the graph, the derived entries and the verdicts so far; gives them
 * with every unclassified function entered from outside the boundary files
 * an interface, with what enters it.
 */
function derivedInterfaces(g: SchedulerGraph, derived: Map<string, string[]>, v: Verdicts): Verdicts {
  const d = new Draft(v);
  for (const n of g.mod) {
    const entries = derived.get(n.key);
    if (d.cls.has(n.key) || entries === undefined) continue;
    if (g.byName.has(`class_${n.fn.name}_constructor`)) {
      // DEFINE_LOCK_GUARD_1(task_rq_lock, ...) in 6.5+: the module's redirect names (redirect-names.h)
      // would rename the guard's class along with the function, and guard(task_rq_lock) stops compiling.
      d.classify(n.key, 'outsider', `${GUARD_NAME}: class_${n.fn.name}_constructor is a cleanup guard of the same name (DEFINE_LOCK_GUARD), which redirecting the function would rename too; the kernel's copy is used`);
      for (const why of entries) d.because(n.key, why);
      continue;
    }
    d.classify(n.key, 'interface', `derived: ${entries[0]}`);
    for (const why of entries.slice(1)) d.because(n.key, why);
  }
  return d;
}

/**
 * Takes the graph and the units; gives function name -> who takes its address
 * in the scheduler's own code and data the kernel keeps (not init code, and not
 * the sched_class tables, which the module shadows instead), in unit order.
 */
function addressTakers(g: SchedulerGraph, units: CollectedUnit[]): Map<string, string[]> {
  const takers = new Map<string, string[]>();
  for (const n of g.nodes) if (!n.fn.init) for (const t of n.fn.addressTaken) takers.set(t, [...(takers.get(t) ?? []), `${n.key}`]);
  for (const u of units)
    for (const v of u.variables)
      if (v.defined && !((v.fromMacro || v.section === `__${v.name}`) && /_sched_class$/.test(v.name)) && !(v.section ?? '').startsWith('.init'))
        for (const t of v.addressTaken) takers.set(t, [...(takers.get(t) ?? []), `the initializer of ${v.name} (${v.file})`]);
  return takers;
}

/**
 * Takes the graph, the units, the vmlinux facts and the verdicts so
 * far; gives them with the callbacks classified: unclassified functions whose
 * address code or data the kernel keeps holds (addressTakers, and data outside
 * the scheduler). One without a callable copy to redirect is outsider_inline.
 */
function callbacks(g: SchedulerGraph, units: CollectedUnit[], facts: VmlinuxFacts, v: Verdicts): Verdicts {
  const d = new Draft(v);
  const inside = addressTakers(g, units);
  for (const n of g.mod) {
    if (d.cls.has(n.key)) continue;
    const outsideData = (facts.referrers[n.fn.name] ?? []).filter((r) => r.kind === 'data' && !r.init);
    const takers = [...(inside.get(n.fn.name) ?? []), ...outsideData.map((r) => `${r.from} (${r.section}, outside the scheduler)`)];
    if (takers.length === 0) continue;
    if (vmCopy(g, n) === null) d.classify(n.key, 'outsider_inline', `its address is taken by ${takers[0]}, but vmlinux has no callable copy to redirect: kept frozen`);
    else d.classify(n.key, 'callback', `its address is taken by ${takers.slice(0, 3).join(', ')}${takers.length > 3 ? ` and ${takers.length - 3} more` : ''}`);
  }
  return d;
}

/**
 * Takes the graph, the vmlinux facts and the verdicts so far; gives
 * them with the unclassified global functions exported to modules classified
 * export: they stay with the kernel (modules call the kernel's copy).
 */
function keptExports(g: SchedulerGraph, facts: VmlinuxFacts, v: Verdicts): Verdicts {
  const d = new Draft(v);
  const exports = new Set(facts.exports);
  for (const n of g.mod)
    if (!d.cls.has(n.key) && n.fn.linkage === 'global' && exports.has(n.fn.name)) d.classify(n.key, 'export', 'exported to modules (__ksymtab) and not an interface');
  return d;
}

/**
 * Takes the graph, a called name and the caller's key; gives the definitions
 * the call can reach: all of that name, narrowed when there are several to the
 * globals, the headers' and the statics in the caller's own unit.
 */
function resolveCallee(g: SchedulerGraph, name: string, fromKey: string): Node[] {
  const cands = g.byName.get(name) ?? [];
  if (cands.length <= 1) return cands;
  const fromFile = g.byKey.get(fromKey)?.fn.file;
  const unit = fromFile ? g.unitOfFile.get(fromFile) : undefined;
  const same = cands.filter((c) => c.fn.linkage === 'global' || g.unitOfFile.get(c.fn.file) === unit || c.fn.file.endsWith('.h'));
  return same.length > 0 ? same : cands;
}

/**
 * Takes the graph and the units; gives function key -> its callers and
 * address-takers inside the units (referencesByName, resolved to definitions).
 */
function callersByKey(g: SchedulerGraph, units: CollectedUnit[]): Map<string, Reference[]> {
  const callersOf = new Map<string, Reference[]>();
  for (const [name, list] of referencesByName(units))
    for (const r of list) for (const callee of resolveCallee(g, name, r.from)) callersOf.set(callee.key, [...(callersOf.get(callee.key) ?? []), r]);
  return callersOf;
}

/**
 * Takes the graph, the vmlinux facts, the callers and the verdicts so
 * far; gives them with the insiders classified, by a fixpoint: start with every
 * unclassified boundary function, demote those code or data elsewhere in the
 * kernel references, then, until nothing changes, those a non-insider (outside
 * the boundary, an outsider) references. Demotions get their reason here.
 */
function insiders(g: SchedulerGraph, facts: VmlinuxFacts, callersOf: Map<string, Reference[]>, v: Verdicts): Verdicts {
  const d = new Draft(v);
  const insider = new Set(g.mod.filter((n) => !d.cls.has(n.key)).map((n) => n.key));
  const border = (key: string) => {
    const c = d.cls.get(key);
    return c === 'interface' || c === 'callback' || c === 'init';
  };
  // outside referrers (vmlinux) demote immediately
  for (const key of [...insider]) {
    const n = g.byKey.get(key) as Node;
    const outside = (facts.referrers[n.fn.name] ?? []).filter((r) => !r.init);
    if (outside.length > 0) {
      insider.delete(key);
      d.because(key, `${outside[0].kind === 'code' ? 'called' : 'referenced'} by ${outside[0].from} (${outside[0].section}, outside the scheduler)${outside.length > 1 ? ` and ${outside.length - 1} more` : ''}`);
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const key of [...insider]) {
      const bad = (callersOf.get(key) ?? []).find((r) => !insider.has(r.from) && !border(r.from) && r.from !== key);
      if (bad) {
        insider.delete(key);
        const fromNode = g.byKey.get(bad.from);
        const what = fromNode === undefined ? '' : fromNode.inBoundary ? ` (an outsider: ${d.reasons[bad.from]?.[0] ?? d.cls.get(bad.from) ?? 'demoted'})` : ' (outside the boundary files)';
        d.because(key, `${bad.how === 'calls' ? 'called' : 'address taken'} by ${bad.from}${what}`);
        changed = true;
      }
    }
  }
  for (const key of insider) d.cls.set(key, 'insider');
  return d;
}

/**
 * Takes the graph and the verdicts so far; gives them with every
 * boundary function still unclassified an outsider: the kernel's copy, or a
 * frozen copy in the module (outsider_inline) when vmlinux has no callable one.
 */
function remainingOutsiders(g: SchedulerGraph, v: Verdicts): Verdicts {
  const d = new Draft(v);
  for (const n of g.mod) {
    if (d.cls.has(n.key)) continue;
    if (vmCopy(g, n) !== null) d.cls.set(n.key, 'outsider');
    else d.classify(n.key, 'outsider_inline', 'no callable copy in vmlinux (inlined everywhere or only clones): the module keeps a frozen copy');
  }
  return d;
}

/** Takes the graph and the verdicts; gives the redirected boundary functions (interfaces and callbacks), in graph order. */
function redirectedNodes(g: SchedulerGraph, v: Verdicts): Node[] {
  return g.mod.filter((n) => v.cls.get(n.key) === 'interface' || v.cls.get(n.key) === 'callback');
}

/**
 * Takes the graph, the vmlinux facts, the callers, the final verdicts
 * and the config; gives the errors that make the classification unsafe to use:
 * a redirected function with compiler clones reachable from outside the module
 * or with no callable copy to patch, and same-named redirected functions that
 * vmlinux's sympos cannot tell apart.
 */
function safetyErrors(g: SchedulerGraph, facts: VmlinuxFacts, callersOf: Map<string, Reference[]>, v: Verdicts, config: BoundaryConfig): string[] {
  const errors: string[] = [];
  const { cls } = v;
  const redirected = redirectedNodes(g, v);
  for (const n of redirected) {
    const clones = facts.clones[n.fn.name] ?? [];
    const live = clones.filter((c) => !/\.cold$/.test(c)).flatMap((c) => (facts.referrers[c] ?? []).filter((r) => !r.init).map((r) => `${c} from ${r.from}`));
    const outsideCallers = clones.some((c) => !/\.cold$/.test(c)) ? (callersOf.get(n.key) ?? []).filter((r) => { const c = cls.get(r.from); return c === 'outsider' || c === 'export' || !g.byKey.get(r.from)?.inBoundary; }) : [];
    if (live.length > 0 || outsideCallers.length > 0)
      errors.push(`${n.key} is redirected (${cls.get(n.key)}) but vmlinux also has compiler clones (${clones.join(', ')}) that stay reachable from outside the module (${[...live, ...outsideCallers.map((r) => `via ${r.from}`)].slice(0, 3).join('; ')}): calls through a clone would run the old code. Make the callers interfaces too, or do not redirect ${n.fn.name}`);
    if (vmCopy(g, n) === null) errors.push(`${n.key} is redirected (${cls.get(n.key)}) but vmlinux has no callable copy of it to patch; remove it from the interfaces in ${config.file}`);
  }
  const redirectedNames = new Map<string, Node[]>();
  for (const n of redirected) redirectedNames.set(n.fn.name, [...(redirectedNames.get(n.fn.name) ?? []), n]);
  for (const [name, list] of redirectedNames) {
    if (list.length < 2) continue;
    const pos = list.map((n) => vmCopy(g, n)?.sympos ?? 0);
    if (new Set(pos).size !== pos.length || pos.includes(0)) errors.push(`${name} names ${list.length} redirected functions (${list.map((n) => n.fn.file).join(', ')}) that vmlinux's symbols cannot tell apart (sympos ${pos.join(', ')}); only one of them can be redirected`);
  }
  return errors;
}

/**
 * Takes the graph, the final verdicts, the derived entries and the config;
 * gives the warnings: none redirected, and overrides that change nothing (an
 * added interface the analysis derives anyway, an exclusion of a function
 * nothing outside enters): after --boundaryFrom, or a kernel change, they are
 * stale and should go.
 */
function boundaryWarnings(g: SchedulerGraph, v: Verdicts, derived: Map<string, string[]>, config: BoundaryConfig): string[] {
  const warnings = redirectedNodes(g, v).length === 0 ? ['no function is redirected: check the boundary files and the interfaces overrides in the boundary config'] : [];
  for (const { name } of config.interfaces)
    for (const n of g.byName.get(name) ?? [])
      if (n.inBoundary && derived.has(n.key)) warnings.push(`${n.key} is added in interfaces in ${config.file}, but the analysis derives it anyway (${derived.get(n.key)?.[0]}): remove the override`);
  for (const { name } of config.excludedInterfaces)
    if (!(g.byName.get(name) ?? []).some((n) => n.inBoundary && (v.reasons[n.key]?.[0] ?? '').startsWith(EXCLUDED)))
      warnings.push(`${name} is in excludeInterfaces in ${config.file}, but nothing outside the boundary files enters it on this kernel: the override changes nothing; remove it`);
  return warnings;
}

/** Takes the graph, the final verdicts and the derived entries; gives the interfaces by origin and the derived ones an override excluded. */
function interfaceReport(g: SchedulerGraph, v: Verdicts, derived: Map<string, string[]>): InterfaceReport {
  const origins: Record<string, InterfaceOrigin> = {};
  const excluded: InterfaceReport['excluded'] = [];
  for (const n of [...g.mod].sort((a, b) => a.key.localeCompare(b.key))) {
    const why = v.reasons[n.key]?.[0] ?? '';
    if (v.cls.get(n.key) === 'interface')
      origins[n.key] = why.startsWith('derived: ') ? 'derived' : why.startsWith('syscall entry') ? 'syscall' : why.startsWith('added as an interface') ? 'override' : 'kernel-function callee';
    else if (why.startsWith(EXCLUDED)) excluded.push({ key: n.key, reason: why.slice(why.indexOf(': ') + 2), entries: derived.get(n.key) ?? [] });
    else if (why.startsWith(GUARD_NAME)) excluded.push({ key: n.key, reason: why, entries: derived.get(n.key) ?? [] });
  }
  return { origins, excluded };
}

/**
 * Takes the graph and the final verdicts; gives the output lists: each
 * class, tainted (vmlinux copies the module supersedes) and undefined (kernel
 * copies the module calls), each sorted by name then file, with the sympos of
 * same-named vmlinux symbols.
 */
function classLists(g: SchedulerGraph, v: Verdicts): BoundaryAnalysis['classes'] {
  const entry = (n: Node): ClassEntry => {
    const c = vmCopy(g, n);
    return c !== null && c.sympos > 0 ? { name: n.fn.name, file: n.fn.file, sympos: c.sympos } : { name: n.fn.name, file: n.fn.file };
  };
  const classes: BoundaryAnalysis['classes'] = { interface: [], callback: [], insider: [], outsider: [], outsider_inline: [], init: [], export: [], weak_overridden: [], tainted: [], undefined: [] };
  for (const n of g.mod) classes[v.cls.get(n.key) as FunctionClass].push(entry(n));
  for (const n of g.mod) {
    const c = v.cls.get(n.key);
    const copy = vmCopy(g, n);
    if (copy !== null && (c === 'interface' || c === 'callback' || c === 'insider')) classes.tainted.push({ name: n.fn.name, file: n.fn.file, sympos: copy.sympos });
    if (copy !== null && (c === 'outsider' || c === 'export' || c === 'weak_overridden')) classes.undefined.push(entry(n));
  }
  for (const list of Object.values(classes)) list.sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
  return classes;
}

/**
 * Takes the graph and the final verdicts; gives the struct fields'
 * ownership, by struct name: a field is shared when code that stays in the
 * kernel touches it, private otherwise (all sorted).
 */
function structOwnership(g: SchedulerGraph, v: Verdicts): Record<string, StructOwnership> {
  const structs: Record<string, StructOwnership> = {};
  const outsideKernel = (n: Node) => !n.inBoundary || ['outsider', 'outsider_inline', 'export', 'weak_overridden', 'init'].includes(v.cls.get(n.key) as string);
  const touched = new Map<string, { all: Set<string>; shared: Set<string>; users: Set<string> }>();
  for (const n of g.nodes)
    for (const a of n.fn.fieldAccesses) {
      const t = touched.get(a.struct) ?? { all: new Set(), shared: new Set(), users: new Set() };
      t.all.add(a.field);
      if (outsideKernel(n)) {
        t.shared.add(a.field);
        t.users.add(n.key);
      }
      touched.set(a.struct, t);
    }
  for (const [name, t] of [...touched].sort((a, b) => a[0].localeCompare(b[0])))
    structs[name] = { private: [...t.all].filter((f) => !t.shared.has(f)).sort(), shared: [...t.shared].sort(), users: [...t.users].sort() };
  return structs;
}

/** Takes the graph and the final verdicts; gives the reasons of the boundary functions that are not insiders, sorted by key. */
function reportedReasons(g: SchedulerGraph, v: Verdicts): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of Object.keys(v.reasons).sort()) if (g.byKey.get(k)?.inBoundary && v.cls.get(k) !== 'insider') out[k] = [...v.reasons[k]];
  return out;
}

/**
 * The boundary: takes the collected units, the vmlinux facts and the config;
 * gives every boundary function's class with its reasons, the struct fields'
 * ownership, and the errors and warnings. The phases run in order, each
 * classifying only what the earlier ones left unclassified.
 */
export function analyzeBoundary(units: CollectedUnit[], facts: VmlinuxFacts, config: BoundaryConfig): BoundaryAnalysis {
  const g = schedulerGraph(units, facts, config.modFiles);
  const callersOf = callersByKey(g, units);
  const derived = derivedEntries(g, facts, callersOf);
  const declared = declaredClasses(g, config, derived);
  let v = keptCallees(g, config, declared.verdicts);
  v = weakOverrides(g, v);
  v = derivedInterfaces(g, derived, v);
  v = callbacks(g, units, facts, v);
  v = keptExports(g, facts, v);
  v = insiders(g, facts, callersOf, v);
  v = remainingOutsiders(g, v);
  return {
    classes: classLists(g, v),
    interfaces: interfaceReport(g, v, derived),
    reasons: reportedReasons(g, v),
    structs: structOwnership(g, v),
    errors: [...boundaryNameErrors(units, config), ...declared.errors, ...safetyErrors(g, facts, callersOf, v, config)],
    warnings: boundaryWarnings(g, v, derived, config),
  };
}
