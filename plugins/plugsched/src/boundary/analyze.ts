/**
 * The boundary algorithm: pure set algebra over the collector's facts (what
 * the scheduler units define and reference) and the debug vmlinux's facts
 * (what survived compilation, what the rest of the kernel references).
 * Data in, data out; every decision comes with its reasons.
 *
 * Classes of a scheduler function (a function defined in a boundary file):
 *   interface        entry point named in boundary.yaml: redirected to the module
 *   callback         its address is stored where the kernel can call it: redirected
 *   insider          reachable only through interfaces and callbacks: the module's, free to change
 *   outsider         something outside the module calls it: the kernel's copy is used
 *   outsider_inline  an outsider with no callable copy in vmlinux: the module keeps a frozen copy
 *   init             __init code, gone after boot: removed
 *   export           exported to modules and not an interface: kept outside
 *   weak_overridden  a weak definition another file overrides
 * Derived lists: tainted (vmlinux functions the module supersedes) and
 * undefined (kernel functions the module calls, resolved at install time).
 */
import type { BoundaryConfig } from '../config/boundary-config';
import type { CollectedFunction, CollectedUnit } from './collector-format';
import type { VmlinuxFacts } from './vmlinux';

export type FunctionClass = 'interface' | 'callback' | 'insider' | 'outsider' | 'outsider_inline' | 'init' | 'export' | 'weak_overridden';

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

export interface BoundaryAnalysis {
  classes: Record<FunctionClass | 'tainted' | 'undefined', ClassEntry[]>;
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
 * The names boundary.yaml lists (interfaces, kernelFunctions) that the boundary
 * files do not define, with near matches: needs only the collected facts, so the
 * analyze step reports them before it reads vmlinux.
 */
export function boundaryNameErrors(units: CollectedUnit[], config: BoundaryConfig): string[] {
  const errors: string[] = [];
  const modFiles = new Set(config.modFiles);
  const modNames = new Set([...definitions(units).values()].filter((f) => modFiles.has(f.file)).map((f) => f.name));
  for (const name of config.interfaces)
    if (!modNames.has(name)) {
      const near = nearMatches(name, modNames);
      errors.push(`interface "${name}" is not a function defined in the boundary files${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; remove it from ${config.file} or add the file that defines it`);
    }
  for (const { name } of config.kernelFunctions) {
    if (!modNames.has(name)) {
      const near = nearMatches(name, modNames);
      errors.push(`kernel function "${name}" is not a function defined in the boundary files${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; remove it from kernelFunctions in ${config.file}`);
    } else if (config.interfaces.includes(name)) errors.push(`"${name}" is listed both as an interface and in kernelFunctions in ${config.file}; keep one`);
  }
  return errors;
}

export function analyzeBoundary(units: CollectedUnit[], facts: VmlinuxFacts, config: BoundaryConfig): BoundaryAnalysis {
  const errors: string[] = [];
  const warnings: string[] = [];
  const reasons: Record<string, string[]> = {};
  const because = (key: string, why: string) => (reasons[key] ??= []).push(why);
  const modFiles = new Set(config.modFiles);

  const defs = definitions(units);
  const nodes: Node[] = [...defs.values()].map((fn) => ({ fn, key: fnKey(fn.name, fn.file), inBoundary: modFiles.has(fn.file) }));
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const byName = new Map<string, Node[]>();
  for (const n of nodes) byName.set(n.fn.name, [...(byName.get(n.fn.name) ?? []), n]);
  const mod = nodes.filter((n) => n.inBoundary);

  // vmlinux presence: a plain symbol of that name in the same unit (locals) or anywhere (globals).
  const unitOfFile = new Map<string, string>();
  for (const u of units) for (const f of u.functions) if (!unitOfFile.has(f.file) && f.file.endsWith('.c')) unitOfFile.set(f.file, u.unit);
  const vmFns = new Map<string, VmlinuxFacts['functions']>();
  for (const f of facts.functions) vmFns.set(f.name, [...(vmFns.get(f.name) ?? []), f]);
  const vmCopy = (n: Node) => {
    const cands = vmFns.get(n.fn.name) ?? [];
    if (n.fn.linkage === 'global') return cands.find((c) => c.global) ?? null;
    const unit = unitOfFile.get(n.fn.file);
    const local = cands.filter((c) => !c.global && (unit === undefined ? c.unit !== null : c.unit === unit));
    return local.length === 1 ? local[0] : (local[0] ?? null);
  };
  const exports = new Set(facts.exports);

  // Interfaces: listed names and syscall prefixes; unknown names are errors with near matches.
  errors.push(...boundaryNameErrors(units, config));
  const kernelKept = new Map(config.kernelFunctions.map((k) => [k.name, k.reason]));
  const cls = new Map<string, FunctionClass>();
  for (const n of mod) {
    const prefix = config.interfacePrefixes.find((p) => n.fn.name.startsWith(p));
    const kept = kernelKept.get(n.fn.name);
    if (n.fn.init) {
      cls.set(n.key, 'init');
      because(n.key, `runs only at boot (section ${n.fn.section})`);
    } else if (kept !== undefined) {
      if (vmCopy(n) === null) errors.push(`${n.key} is in kernelFunctions in ${config.file} but vmlinux has no callable copy of it; remove it from kernelFunctions`);
      cls.set(n.key, 'outsider');
      because(n.key, `kept in the kernel (kernelFunctions): ${kept}`);
    } else if (config.interfaces.includes(n.fn.name)) {
      cls.set(n.key, 'interface');
      because(n.key, `listed as an interface in ${config.file}`);
    } else if (prefix !== undefined) {
      cls.set(n.key, 'interface');
      because(n.key, `syscall entry (prefix ${prefix})`);
    }
  }

  // What kernel-kept functions call stays the module's: their callees become interfaces. A callee
  // without a callable copy in vmlinux is inlined into the kernel's code, so it is kept too.
  const keptQueue = mod.filter((n) => kernelKept.has(n.fn.name) && !n.fn.init);
  for (let k = 0; k < keptQueue.length; k++) {
    const caller = keptQueue[k];
    for (const name of caller.fn.calls) {
      for (const callee of (byName.get(name) ?? []).filter((c) => c.inBoundary && !c.fn.init)) {
        if (cls.has(callee.key)) continue;
        if (callee.fn.weak) {
          // A weak default the architecture may override: the kernel's symbol may not be this body.
          cls.set(callee.key, 'outsider');
          because(callee.key, `a weak default called by ${caller.key}, which stays in the kernel (kernelFunctions)`);
        } else if (vmCopy(callee) !== null) {
          cls.set(callee.key, 'interface');
          because(callee.key, `called by ${caller.key}, which stays in the kernel (kernelFunctions)`);
        } else {
          cls.set(callee.key, 'outsider_inline');
          because(callee.key, `inlined into ${caller.key}, which stays in the kernel (kernelFunctions)`);
          keptQueue.push(callee);
        }
      }
    }
  }

  // Weak definitions overridden by a strong one elsewhere.
  for (const n of mod)
    if (n.fn.weak && !cls.has(n.key) && (byName.get(n.fn.name) ?? []).some((o) => o !== n && !o.fn.weak)) {
      cls.set(n.key, 'weak_overridden');
      because(n.key, `a weak definition overridden by ${(byName.get(n.fn.name) ?? []).filter((o) => !o.fn.weak).map((o) => o.key).join(', ')}`);
    }

  // Callbacks: the address is taken by code or data the kernel keeps (the sched_class tables are shadowed instead).
  const addressTakers = new Map<string, string[]>();
  for (const n of nodes) if (!n.fn.init) for (const t of n.fn.addressTaken) addressTakers.set(t, [...(addressTakers.get(t) ?? []), `${n.key}`]);
  for (const u of units)
    for (const v of u.variables)
      if (v.defined && !(v.fromMacro && /_sched_class$/.test(v.name)) && !(v.section ?? '').startsWith('.init'))
        for (const t of v.addressTaken) addressTakers.set(t, [...(addressTakers.get(t) ?? []), `the initializer of ${v.name} (${v.file})`]);
  for (const n of mod) {
    if (cls.has(n.key)) continue;
    const outsideData = (facts.referrers[n.fn.name] ?? []).filter((r) => r.kind === 'data' && !r.init);
    const takers = [...(addressTakers.get(n.fn.name) ?? []), ...outsideData.map((r) => `${r.from} (${r.section}, outside the scheduler)`)];
    if (takers.length === 0) continue;
    if (vmCopy(n) === null) {
      cls.set(n.key, 'outsider_inline');
      because(n.key, `its address is taken by ${takers[0]}, but vmlinux has no callable copy to redirect: kept frozen`);
    } else {
      cls.set(n.key, 'callback');
      because(n.key, `its address is taken by ${takers.slice(0, 3).join(', ')}${takers.length > 3 ? ` and ${takers.length - 3} more` : ''}`);
    }
  }

  // Exports that are not interfaces stay with the kernel (modules call the kernel's copy).
  for (const n of mod)
    if (!cls.has(n.key) && n.fn.linkage === 'global' && exports.has(n.fn.name)) {
      cls.set(n.key, 'export');
      because(n.key, 'exported to modules (__ksymtab) and not an interface');
    }

  // Insiders: the fixpoint. Start with every unclassified boundary function; demote any that a
  // non-insider (outside the boundary, an outsider, or code elsewhere in the kernel) references.
  const insider = new Set(mod.filter((n) => !cls.has(n.key)).map((n) => n.key));
  const refs = referencesByName(units);
  const border = (key: string) => {
    const c = cls.get(key);
    return c === 'interface' || c === 'callback' || c === 'init';
  };
  const resolveCallee = (name: string, fromKey: string): Node[] => {
    const cands = byName.get(name) ?? [];
    if (cands.length <= 1) return cands;
    // a static callee in the caller's own unit
    const fromFile = byKey.get(fromKey)?.fn.file;
    const unit = fromFile ? unitOfFile.get(fromFile) : undefined;
    const same = cands.filter((c) => c.fn.linkage === 'global' || unitOfFile.get(c.fn.file) === unit || c.fn.file.endsWith('.h'));
    return same.length > 0 ? same : cands;
  };
  // outside referrers (vmlinux) demote immediately
  for (const key of [...insider]) {
    const n = byKey.get(key) as Node;
    const outside = (facts.referrers[n.fn.name] ?? []).filter((r) => !r.init);
    if (outside.length > 0) {
      insider.delete(key);
      because(key, `${outside[0].kind === 'code' ? 'called' : 'referenced'} by ${outside[0].from} (${outside[0].section}, outside the scheduler)${outside.length > 1 ? ` and ${outside.length - 1} more` : ''}`);
    }
  }
  const callersOf = new Map<string, { from: string; how: string }[]>();
  for (const [name, list] of refs)
    for (const r of list) for (const callee of resolveCallee(name, r.from)) callersOf.set(callee.key, [...(callersOf.get(callee.key) ?? []), r]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const key of [...insider]) {
      const bad = (callersOf.get(key) ?? []).find((r) => !insider.has(r.from) && !border(r.from) && r.from !== key);
      if (bad) {
        insider.delete(key);
        const fromNode = byKey.get(bad.from);
        const what = fromNode === undefined ? '' : fromNode.inBoundary ? ` (an outsider: ${reasons[bad.from]?.[0] ?? cls.get(bad.from) ?? 'demoted'})` : ' (outside the boundary files)';
        because(key, `${bad.how === 'calls' ? 'called' : 'address taken'} by ${bad.from}${what}`);
        changed = true;
      }
    }
  }
  for (const key of insider) cls.set(key, 'insider');
  for (const n of mod) {
    if (cls.has(n.key)) continue;
    if (vmCopy(n) !== null) cls.set(n.key, 'outsider');
    else {
      cls.set(n.key, 'outsider_inline');
      because(n.key, 'no callable copy in vmlinux (inlined everywhere or only clones): the module keeps a frozen copy');
    }
  }

  // Safety checks.
  const redirected = mod.filter((n) => cls.get(n.key) === 'interface' || cls.get(n.key) === 'callback');
  for (const n of redirected) {
    const clones = facts.clones[n.fn.name] ?? [];
    const live = clones.filter((c) => !/\.cold$/.test(c)).flatMap((c) => (facts.referrers[c] ?? []).filter((r) => !r.init).map((r) => `${c} from ${r.from}`));
    const outsideCallers = clones.some((c) => !/\.cold$/.test(c)) ? (callersOf.get(n.key) ?? []).filter((r) => { const c = cls.get(r.from); return c === 'outsider' || c === 'export' || !byKey.get(r.from)?.inBoundary; }) : [];
    if (live.length > 0 || outsideCallers.length > 0)
      errors.push(`${n.key} is redirected (${cls.get(n.key)}) but vmlinux also has compiler clones (${clones.join(', ')}) that stay reachable from outside the module (${[...live, ...outsideCallers.map((r) => `via ${r.from}`)].slice(0, 3).join('; ')}): calls through a clone would run the old code. Make the callers interfaces too, or do not redirect ${n.fn.name}`);
    if (vmCopy(n) === null) errors.push(`${n.key} is redirected (${cls.get(n.key)}) but vmlinux has no callable copy of it to patch; remove it from the interfaces in ${config.file}`);
  }
  const redirectedNames = new Map<string, Node[]>();
  for (const n of redirected) redirectedNames.set(n.fn.name, [...(redirectedNames.get(n.fn.name) ?? []), n]);
  for (const [name, list] of redirectedNames) {
    if (list.length < 2) continue;
    const pos = list.map((n) => vmCopy(n)?.sympos ?? 0);
    if (new Set(pos).size !== pos.length || pos.includes(0)) errors.push(`${name} names ${list.length} redirected functions (${list.map((n) => n.fn.file).join(', ')}) that vmlinux's symbols cannot tell apart (sympos ${pos.join(', ')}); only one of them can be redirected`);
  }

  // Output lists.
  const entry = (n: Node): ClassEntry => {
    const v = vmCopy(n);
    return v !== null && v.sympos > 0 ? { name: n.fn.name, file: n.fn.file, sympos: v.sympos } : { name: n.fn.name, file: n.fn.file };
  };
  const classes: BoundaryAnalysis['classes'] = { interface: [], callback: [], insider: [], outsider: [], outsider_inline: [], init: [], export: [], weak_overridden: [], tainted: [], undefined: [] };
  for (const n of mod) classes[cls.get(n.key) as FunctionClass].push(entry(n));
  for (const n of mod) {
    const c = cls.get(n.key);
    const v = vmCopy(n);
    if (v !== null && (c === 'interface' || c === 'callback' || c === 'insider')) classes.tainted.push({ name: n.fn.name, file: n.fn.file, sympos: v.sympos });
    if (v !== null && (c === 'outsider' || c === 'export' || c === 'weak_overridden')) classes.undefined.push(entry(n));
  }
  for (const list of Object.values(classes)) list.sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
  if (redirected.length === 0) warnings.push('no function is redirected: check the interfaces in the boundary config');

  // Struct fields: shared when code that stays in the kernel touches them.
  const structs: Record<string, StructOwnership> = {};
  const outsideKernel = (n: Node) => !n.inBoundary || ['outsider', 'outsider_inline', 'export', 'weak_overridden', 'init'].includes(cls.get(n.key) as string);
  const touched = new Map<string, { all: Set<string>; shared: Set<string>; users: Set<string> }>();
  for (const n of nodes)
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

  const sortedReasons: Record<string, string[]> = {};
  for (const k of Object.keys(reasons).sort()) if (byKey.get(k)?.inBoundary && cls.get(k) !== 'insider') sortedReasons[k] = reasons[k];
  return { classes, reasons: sortedReasons, structs, errors, warnings };
}
