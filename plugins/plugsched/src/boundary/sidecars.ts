/**
 * Sidecars: single functions outside the boundary files that the module
 * redirects too (boundary.yaml `sidecars`, or a variant's scheduler.yaml
 * `sidecars`). A sidecar is extracted from its file (a file the scheduler's
 * units compile, such as kernel/sched/cpuacct.c, which stays outside the
 * boundary), its body becomes the module's `__mod_<name>`, and the kernel's
 * copy gets an entry in the redirect table like every interface: the same
 * ftrace/kprobe checks, the stack check (it is superseded), the rollback. The
 * rest of its file stays the kernel's: its callees are the kernel's copies
 * (resolved at install), its file's variables are shared with the kernel.
 *
 * Pure: the collector's facts, the vmlinux facts and the requested sidecars
 * in; the resolved entries (with sympos), the kernel callees whose position
 * the installer needs, and the errors out.
 */
import { nearMatches } from './analyze';
import type { ClassEntry } from './analyze';
import type { CollectedFunction, CollectedUnit } from './collector-format';
import type { VmFunction, VmlinuxFacts } from './vmlinux';

export interface SidecarRequest {
  name: string;
  file: string;
}

/** Where the requests come from, for messages: the config file and its field. */
export interface SidecarOrigin {
  /** e.g. kernels/debian-6.1-cloud-amd64/boundary.yaml or schedulers/sidecar-x86/scheduler.yaml */
  file: string;
  field: string;
}

export interface SidecarResolution {
  /** The redirected sidecars, sorted by name then file; sympos when vmlinux has several of the name. */
  entries: ClassEntry[];
  /**
   * Functions of the sidecars' files that the sidecars call and whose kernel copy
   * shares its name with another symbol (sympos > 0): the installer must be told which.
   */
  callees: ClassEntry[];
  errors: string[];
}

const byNameThenFile = (a: ClassEntry, b: ClassEntry) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file);

/** The scheduler directory extraction writes: a sidecar's file must be there. */
const SCHED_DIR = 'kernel/sched/';

/** The unit that compiles each file, and each file's definitions (one per position). */
function index(units: CollectedUnit[]): { unitOf: Map<string, string>; defsIn: Map<string, CollectedFunction[]> } {
  const unitOf = new Map<string, string>();
  const defsIn = new Map<string, CollectedFunction[]>();
  const seen = new Set<string>();
  for (const u of units)
    for (const f of u.functions) {
      if (!unitOf.has(f.file)) unitOf.set(f.file, u.unit);
      const at = `${f.file}:${f.name_loc.offset}:${f.name}`;
      if (seen.has(at)) continue;
      seen.add(at);
      defsIn.set(f.file, [...(defsIn.get(f.file) ?? []), f]);
    }
  return { unitOf, defsIn };
}

/** The kernel's callable copies of `fn` (defined in a file of `unit`): the global symbol, or the unit's local ones. */
export function kernelCopies(fn: Pick<CollectedFunction, 'name' | 'linkage'>, unit: string, functions: VmFunction[]): VmFunction[] {
  const cands = functions.filter((c) => c.name === fn.name);
  return fn.linkage === 'global' ? cands.filter((c) => c.global) : cands.filter((c) => !c.global && c.unit === unit);
}

/**
 * Resolve requested sidecars against the facts. `modFiles` are the boundary
 * files (a function there is the module's already: an interface, not a sidecar).
 */
export function resolveSidecars(units: CollectedUnit[], facts: VmlinuxFacts, requests: SidecarRequest[], modFiles: string[], origin: SidecarOrigin): SidecarResolution {
  const { unitOf, defsIn } = index(units);
  const inBoundary = new Set(modFiles);
  const entries: ClassEntry[] = [];
  const callees = new Map<string, ClassEntry>();
  const errors: string[] = [];
  const seen = new Set<string>();
  requests.forEach((r, i) => {
    const where = `${origin.file}: ${origin.field}[${i}] (function ${r.name}, file ${r.file})`;
    const fail = (why: string, fix: string) => errors.push(`${where}: ${why}. ${fix}.`);
    const removeIt = `remove the entry from "${origin.field}" in ${origin.file}`;
    if (seen.has(`${r.name}@${r.file}`)) return fail('is listed twice', `Keep one of them in "${origin.field}"`);
    seen.add(`${r.name}@${r.file}`);
    if (inBoundary.has(r.file))
      return fail(`${r.file} is a boundary file: its functions are the module's already`, `List ${r.name} under "interfaces" of the boundary config if the kernel must enter the module through it, and ${removeIt}`);
    if (!r.file.startsWith(SCHED_DIR) || !r.file.endsWith('.c'))
      return fail(`a sidecar must be a function of a .c file under ${SCHED_DIR} that the scheduler's units compile (the module is built there)`, `Pick a function of such a file (kernel/sched/cpuacct.c, kernel/sched/cputime.c, ...), or ${removeIt}`);
    const unit = unitOf.get(r.file);
    const defs = defsIn.get(r.file) ?? [];
    if (unit === undefined)
      return fail(`${r.file} is not compiled by the scheduler's units (${[...new Set(unitOf.values())].sort().join(', ')}) with this kernel's config, so the collector knows nothing of it`, `Correct "file" (the path in the kernel tree that defines ${r.name}), or ${removeIt}`);
    const mine = defs.filter((f) => f.name === r.name);
    if (mine.length === 0) {
      const near = nearMatches(r.name, new Set(defs.map((f) => f.name)));
      return fail(`${r.file} defines no function ${r.name}${near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : ''}`, `Correct "function" to a function ${r.file} defines, or correct "file" to the file that defines ${r.name}`);
    }
    if (mine.length > 1)
      return fail(`${r.file} defines ${r.name} ${mine.length} times (lines ${mine.map((f) => f.name_loc.line).join(', ')}), and a sidecar must name one definition`, `Redirect a caller of ${r.name} instead, or ${removeIt}`);
    const fn = mine[0];
    if (fn.init) return fail(`${r.name} is init code (section ${fn.section}), gone after boot`, removeIt[0].toUpperCase() + removeIt.slice(1));
    if (fn.fromMacro) return fail(`${r.name} is made by a macro, whose body extraction cannot rename`, `Redirect the function its body calls instead, or ${removeIt}`);
    const copies = kernelCopies(fn, unit, facts.functions);
    if (copies.length === 0)
      return fail(`vmlinux has no out-of-line copy of ${r.name} (the compiler inlined it into every caller${(facts.clones[r.name] ?? []).length > 0 ? `; only the clones ${(facts.clones[r.name] ?? []).join(', ')} exist` : ''}), so there is no entry to redirect and a changed body would never run`, `Make a caller of ${r.name} that has a copy in vmlinux the sidecar (and change ${r.name} there), or ${removeIt}`);
    if (copies.length > 1)
      return fail(`vmlinux has ${copies.length} copies of ${r.name} in ${unit} that no symbol position tells apart`, `Redirect a caller of ${r.name} instead, or ${removeIt}`);
    const clones = (facts.clones[r.name] ?? []).filter((c) => !/\.cold$/.test(c));
    if (clones.length > 0)
      return fail(`vmlinux also has compiler clones of ${r.name} (${clones.join(', ')}), and calls through a clone would run the kernel's old body`, `Redirect the callers of the clones instead, or ${removeIt}`);
    const copy = copies[0];
    entries.push(copy.sympos > 0 ? { name: r.name, file: r.file, sympos: copy.sympos } : { name: r.name, file: r.file });
    // its callees in its own file stay the kernel's: name the position of those whose name is not unique
    for (const name of fn.calls)
      for (const callee of defs.filter((f) => f.name === name && !f.init)) {
        const c = kernelCopies(callee, unit, facts.functions);
        if (c.length === 1 && c[0].sympos > 0) callees.set(`${name}@${r.file}`, { name, file: r.file, sympos: c[0].sympos });
      }
  });
  return { entries: entries.sort(byNameThenFile), callees: [...callees.values()].sort(byNameThenFile), errors };
}

/** The classes extraction reads (boundary.json), as far as sidecars touch them. */
export interface SidecarClasses {
  sidecar?: ClassEntry[];
  tainted?: ClassEntry[];
  undefined?: ClassEntry[];
}

function merged(a: ClassEntry[] | undefined, b: ClassEntry[]): ClassEntry[] {
  const out = new Map<string, ClassEntry>();
  for (const e of [...(a ?? []), ...b]) out.set(`${e.name}@${e.file}`, e);
  return [...out.values()].sort(byNameThenFile);
}

/**
 * The classes with the resolved sidecars added: `sidecar` (redirected, their
 * own class), `tainted` (the kernel copies the module supersedes, for the
 * stack check) and `undefined` (the callees the installer needs a position for).
 */
export function withSidecars<C extends SidecarClasses>(classes: C, r: Pick<SidecarResolution, 'entries' | 'callees'>): C & { sidecar: ClassEntry[] } {
  return {
    ...classes,
    sidecar: merged(classes.sidecar, r.entries),
    tainted: merged(classes.tainted, r.entries.map((e) => ({ name: e.name, file: e.file, sympos: e.sympos ?? 0 }))),
    undefined: merged(classes.undefined, r.callees),
  };
}

/** The reason of each sidecar in boundary.json, as for every redirected function. */
export function sidecarReasons(entries: ClassEntry[], origin: SidecarOrigin): Record<string, string[]> {
  return Object.fromEntries(entries.map((e) => [`${e.name} (${e.file})`, [`a sidecar listed in ${origin.file} (${origin.field}): redirected to the module, the rest of its file stays the kernel's`]]));
}

/**
 * A variant's sidecars that the kernel's boundary already redirects: one
 * error each, naming both files (the variant's entry is redundant).
 */
export function variantSidecarClashes(requests: SidecarRequest[], kernelSidecars: ClassEntry[], origin: SidecarOrigin, boundaryFile: string): string[] {
  const have = new Set(kernelSidecars.map((e) => `${e.name}@${e.file}`));
  return requests
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => have.has(`${r.name}@${r.file}`))
    .map(({ r, i }) => `${origin.file}: ${origin.field}[${i}] (function ${r.name}, file ${r.file}) is a sidecar of the kernel's boundary already (${boundaryFile}). Remove it from "${origin.field}" in ${origin.file}.`);
}
