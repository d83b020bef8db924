/**
 * The interfaces of a boundary, derived from what the kernel does instead of
 * listed by hand: a function of the boundary files is entered from outside
 * them when code outside the scheduler's units calls it or loads its address
 * (the debug vmlinux's references), when a static call's trampoline or key
 * targets it, when a function of the scheduler's units that is not in the
 * boundary files calls it or takes its address (the collector's facts: psi.c,
 * cputime.c, ... are compiled into the same units), or when it is exported to
 * modules (__ksymtab). References from init code and data do not count: they
 * are gone after boot. Data that holds a function's address (ops tables,
 * cpuhp states, sysctl tables) makes a callback, decided by the analysis
 * after this; a static call key is data too, but it is a call site's target,
 * so it counts here.
 * Pure: facts in, reasons out.
 */
import type { Referrer } from './vmlinux';

/** A boundary function that could be redirected: it has a callable copy in vmlinux, is not init code and not a weak default. */
export interface EntryCandidate {
  /** "name (file)". */
  key: string;
  name: string;
  global: boolean;
}

/** What enters a function, as the analysis knows it. */
export interface EntryFacts {
  /** vmlinux: name -> references from outside the scheduler's units. */
  referrers: Readonly<Record<string, readonly Referrer[]>>;
  /** Collector: key -> references from functions of the scheduler's units outside the boundary files, as "called by f (file)". */
  fromOutsideFiles: ReadonlyMap<string, readonly string[]>;
  /** Names exported to modules. */
  exports: ReadonlySet<string>;
}

/** A static call's trampoline (code in .static_call.text) or key (data) naming the function. */
const isStaticCall = (r: Referrer) => /^__SC[TK]__/.test(r.from) || r.section.startsWith('.static_call.text');

/** Takes a list of descriptions; gives the first three and a count of the rest. */
function some(list: readonly string[]): string {
  return `${list.slice(0, 3).join(', ')}${list.length > 3 ? ` and ${list.length - 3} more` : ''}`;
}

/**
 * Takes one candidate and the facts; gives the reasons it is entered from
 * outside the boundary files (one per kind of entry), or none.
 */
export function entriesOf(c: EntryCandidate, facts: EntryFacts): string[] {
  const live = (facts.referrers[c.name] ?? []).filter((r) => !r.init);
  const staticCalls = live.filter(isStaticCall);
  const code = live.filter((r) => r.kind === 'code' && !isStaticCall(r));
  const inUnits = facts.fromOutsideFiles.get(c.key) ?? [];
  const out: string[] = [];
  if (code.length > 0) out.push(`called or referenced by code outside the scheduler: ${some(code.map((r) => `${r.from} (${r.section})`))}`);
  if (inUnits.length > 0) out.push(`${some(inUnits)}, outside the boundary files`);
  if (staticCalls.length > 0) out.push(`a static call's target (${some(staticCalls.map((r) => r.from))})`);
  if (c.global && facts.exports.has(c.name)) out.push(`exported to modules (EXPORT_SYMBOL: __ksymtab_${c.name})`);
  return out;
}

/** Takes the candidates and the facts; gives key -> reasons for every candidate entered from outside, in candidate order. */
export function deriveInterfaces(candidates: readonly EntryCandidate[], facts: EntryFacts): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of candidates) {
    const why = entriesOf(c, facts);
    if (why.length > 0) out.set(c.key, why);
  }
  return out;
}
