/**
 * Facts about the rest of the kernel, read from the distro's debug vmlinux
 * instead of recompiling it: which scheduler functions survived compilation
 * (and under which clone names), their positions among same-named local
 * symbols (sympos, as kallsyms and livepatch count them), exports, and every
 * reference into the scheduler from code or data outside the scheduler's
 * translation units (the 6.1 x86-64 vmlinux links with --emit-relocs, so the
 * relocations are all there; 6.12's does not, and x86-references.ts reads
 * them from the bytes; arm64 links -pie, and arm64-references.ts reads them
 * by address).
 */
import { arm64CodeReferences, arm64DataReferences } from './arm64-references';
import { x86CodeReferences, x86DataReferences } from './x86-references';
import { EM_AARCH64, EM_X86_64, ElfFile, SHF_ALLOC, SHF_EXECINSTR, SHT_PROGBITS, SHT_RELA, STB_LOCAL, STT_FILE, STT_FUNC, STT_OBJECT, STT_SECTION, type ElfSection, type ElfSymbol } from './elf';

export interface VmFunction {
  name: string;
  /** Scheduler unit (e.g. kernel/sched/core.c) the symbol belongs to, or null for the rest of the kernel. */
  unit: string | null;
  global: boolean;
  weak: boolean;
  size: number;
  /** 1-based position among same-named symbols in address order; 0 when the name is unique. */
  sympos: number;
}

export interface Referrer {
  /** The function or object holding the reference ("do_exit", "cpuhp_hp_states"), or "<section>" when none. */
  from: string;
  section: string;
  kind: 'code' | 'data';
  /** The reference is in init-only code or data (gone after boot). */
  init: boolean;
}

export interface VmlinuxFacts {
  /** Plain (unmangled) function symbols whose names were asked about. */
  functions: VmFunction[];
  /** Base name -> its compiler clones (foo.isra.0, foo.constprop.0, foo.part.0, foo.cold). */
  clones: Record<string, string[]>;
  /** Asked-about names exported to modules (__ksymtab_<name>). */
  exports: string[];
  /** Asked-about variables present in vmlinux, with sympos. */
  objects: { name: string; unit: string | null; sympos: number }[];
  /** Asked-about name -> references from outside the scheduler units (sorted, unique). */
  referrers: Record<string, Referrer[]>;
}

export interface VmlinuxQuery {
  /** The scheduler translation units, e.g. kernel/sched/core.c. */
  units: string[];
  /** Static function names each unit defines (from the collector): identifies the unit's FILE block. */
  unitStatics: Record<string, string[]>;
  /** Global names each unit defines (from the collector). */
  unitGlobals: Record<string, string[]>;
  /** Function names to report on. */
  functionNames: string[];
  /** Variable names to report on. */
  variableNames: string[];
}

/**
 * Sections whose relocations are bookkeeping (unwind tables, patch sites), not references a function makes.
 * A static call's trampoline (.static_call.text) is not: its jump is how its callers enter the target.
 */
const BOOKKEEPING = /^(\.orc_unwind|__ex_table|\.altinstr|__jump_table|\.static_call_sites|\.static_call_tramp_key|\.retpoline_sites|\.return_sites|__mcount_loc|\.call_sites|\.ibt_endbr|\.smp_locks|\.parainstructions|__bug_table|\.discard|__patchable_function_entries|\.kcfi|\.notes|__ksymtab|__kcrctab|\.BTF|\.eh_frame|__tracepoints_ptrs|__param|\.apicdrivers|\.x86_cpu_dev|__dbe_table|\.pci_fixup|\.ftrace)/;

export const CLONE_SUFFIX = /\.(isra|constprop|part|cold|lto_priv|localalias)(\.\d+)*$|\.cold$/;

export function baseName(symbol: string): string {
  const i = symbol.indexOf('.');
  return i < 0 ? symbol : symbol.slice(0, i);
}

function isInitSection(name: string): boolean {
  return /^\.(init|exit)\.|^\.ref\.text|^\.meminit|^\.cpuinit/.test(name);
}

/** Which FILE block is each unit's: the block of that base name sharing most static names with the collector's. */
export function unitFileBlocks(symbols: ElfSymbol[], units: string[], unitStatics: Record<string, string[]>): Map<number, string> {
  const blocks: { index: number; base: string; locals: Set<string> }[] = [];
  let cur: { index: number; base: string; locals: Set<string> } | null = null;
  for (const s of symbols) {
    if (s.type === STT_FILE) {
      cur = { index: s.index, base: s.name, locals: new Set() };
      blocks.push(cur);
    } else if (cur && s.bind === STB_LOCAL && s.type === STT_FUNC) cur.locals.add(baseName(s.name));
  }
  const out = new Map<number, string>();
  for (const unit of units) {
    const base = unit.split('/').pop() as string;
    const statics = new Set(unitStatics[unit] ?? []);
    let best: { index: number; score: number } | null = null;
    for (const b of blocks) {
      if (b.base !== base) continue;
      let score = 0;
      for (const n of b.locals) if (statics.has(n)) score++;
      if (score > 0 && (best === null || score > best.score)) best = { index: b.index, score };
    }
    if (best !== null) out.set(best.index, unit);
  }
  return out;
}

interface Located {
  start: number;
  end: number;
  name: string;
  unit: string | null;
}

/** The names a query asks about. */
interface Wanted {
  functions: Set<string>;
  variables: Set<string>;
  /**
   * Whether a symbol can be a scheduler function's: a global, or a local of a
   * scheduler unit. A static of the same name elsewhere (timer_list.c's
   * print_cpu, hung_task.c's watchdog) is another function: references to it
   * are not references into the scheduler.
   */
  ours: (s: ElfSymbol) => boolean;
}

/** The asked-about symbols by kind, in symbol table order (not sorted yet). */
interface NamedSymbols {
  functions: VmFunction[];
  objects: VmlinuxFacts['objects'];
  clones: Record<string, string[]>;
  exports: Set<string>;
}

/** One reference into an asked-about function: from address `at` of section `section`. */
interface Reference {
  name: string;
  section: ElfSection;
  at: number;
}

/** A kernel address as a number: relative to 0xffffffff00000000, so it stays exact in a double. */
const KERNEL_BASE = 0xffffffff00000000n;
const num = (a: bigint) => Number(a - KERNEL_BASE);

/** Takes a section (or none); gives whether references from it count: loaded, and not bookkeeping. */
function counted(s: ElfSection | undefined): s is ElfSection {
  return s !== undefined && (s.flags & SHF_ALLOC) !== 0n && !BOOKKEEPING.test(s.name);
}

/**
 * Takes the symbol table and the query; gives the unit of every symbol, indexed
 * by symbol index: the unit whose FILE block holds it for locals
 * (unitFileBlocks), the collector's word for globals, null for the rest of the
 * kernel.
 */
function symbolUnits(symbols: ElfSymbol[], q: VmlinuxQuery): (string | null)[] {
  const blocks = unitFileBlocks(symbols, q.units, q.unitStatics);
  const globalUnit = new Map<string, string>();
  for (const [unit, names] of Object.entries(q.unitGlobals)) for (const n of names) globalUnit.set(n, unit);
  const unitOf = new Array<string | null>(symbols.length).fill(null);
  let block: string | null = null;
  for (const s of symbols) {
    if (s.type === STT_FILE) block = blocks.get(s.index) ?? null;
    else if (s.bind === STB_LOCAL) unitOf[s.index] = block;
    else unitOf[s.index] = globalUnit.get(baseName(s.name)) ?? null;
  }
  return unitOf;
}

/**
 * Takes the symbol table and the wanted names; gives the sympos of every
 * function or object symbol with an asked-about name shared by several such
 * symbols: symbol index -> 1-based position in address order (kallsyms order).
 * Symbols with a unique name are absent: their sympos is 0.
 */
function symbolPositions(symbols: ElfSymbol[], want: Wanted): Map<number, number> {
  const byName = new Map<string, ElfSymbol[]>();
  for (const s of symbols) if ((s.type === STT_FUNC || s.type === STT_OBJECT) && (want.functions.has(s.name) || want.variables.has(s.name))) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const positions = new Map<number, number>();
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    const inOrder = same.slice().sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    inOrder.forEach((s, i) => positions.set(s.index, i + 1));
  }
  return positions;
}

/**
 * Takes the symbol table, the unit of every symbol and the wanted names; gives
 * the asked-about plain functions and objects (with unit and sympos), the
 * clones of the asked-about functions and the asked-about names exported to
 * modules (__ksymtab_<name>).
 */
function namedSymbols(symbols: ElfSymbol[], unitOf: (string | null)[], want: Wanted): NamedSymbols {
  const positions = symbolPositions(symbols, want);
  const sympos = (s: ElfSymbol) => positions.get(s.index) ?? 0;
  const out: NamedSymbols = { functions: [], objects: [], clones: {}, exports: new Set() };
  for (const s of symbols) {
    if (s.type === STT_FUNC && want.functions.has(s.name)) out.functions.push({ name: s.name, unit: unitOf[s.index], global: s.bind !== STB_LOCAL, weak: s.bind === 2, size: s.size, sympos: sympos(s) });
    else if (s.type === STT_FUNC && s.name.includes('.') && want.functions.has(baseName(s.name))) (out.clones[baseName(s.name)] ??= []).push(s.name);
    else if (s.type === STT_OBJECT && want.variables.has(s.name)) out.objects.push({ name: s.name, unit: unitOf[s.index], sympos: sympos(s) });
    if (s.name.startsWith('__ksymtab_')) {
      const n = s.name.slice('__ksymtab_'.length);
      if (want.functions.has(n) || want.variables.has(n)) out.exports.add(n);
    }
  }
  return out;
}

/**
 * Takes the symbol table and the unit of every symbol; gives, per section
 * index, the extents of its function and object symbols sorted by start: for
 * naming the holder of a reference.
 */
function symbolExtents(symbols: ElfSymbol[], unitOf: (string | null)[]): Map<number, Located[]> {
  const located = new Map<number, Located[]>();
  for (const s of symbols) {
    if ((s.type !== STT_FUNC && s.type !== STT_OBJECT) || s.shndx === 0 || s.shndx >= 0xff00) continue;
    const list = located.get(s.shndx) ?? [];
    list.push({ start: num(s.value), end: num(s.value) + Math.max(s.size, 1), name: s.name, unit: unitOf[s.index] });
    located.set(s.shndx, list);
  }
  for (const list of located.values()) list.sort((a, b) => a.start - b.start);
  return located;
}

/** Takes the extents, a section index and an address; gives the symbol holding that address (the last one starting at or before it), or null. */
function containing(located: Map<number, Located[]>, shndx: number, addr: number): Located | null {
  const list = located.get(shndx);
  if (!list) return null;
  let lo = 0;
  let hi = list.length - 1;
  let hit: Located | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].start <= addr) {
      hit = list[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return hit !== null && addr < hit.end ? hit : null;
}

/**
 * Takes the symbol table and the wanted names; gives address -> the symbol of
 * an asked-about function or one of its clones starting there: for references
 * by address (a section symbol plus an offset, or arm64's decoded targets).
 */
function functionStarts(symbols: ElfSymbol[], want: Wanted): Map<number, string> {
  const funcAt = new Map<number, string>();
  for (const s of symbols) if (s.type === STT_FUNC && want.functions.has(baseName(s.name)) && want.ours(s) && s.shndx > 0 && s.shndx < 0xff00) funcAt.set(num(s.value), s.name);
  return funcAt;
}

/**
 * Takes the ELF file, its symbol table, the wanted names and the relocation
 * sections that count; gives the references they record (x86-64 links with
 * --emit-relocs), in section then relocation order: against a function's
 * symbol, or against a section symbol plus an offset that lands on one.
 */
function* relocationReferences(elf: ElfFile, symbols: ElfSymbol[], want: Wanted, relaSections: ElfSection[]): Generator<Reference> {
  const funcAt = functionStarts(symbols, want);
  const targetOfSym: (string | null)[] = symbols.map((s) => ((s.type === STT_FUNC || s.type === 0) && want.functions.has(baseName(s.name)) && want.ours(s) ? s.name : null));
  for (const rs of relaSections) {
    const target: ElfSection = elf.sections[rs.info];
    const secAddr = num(target.addr);
    for (const r of elf.relocations(rs)) {
      let name = targetOfSym[r.sym] ?? null;
      if (name === null && symbols[r.sym]?.type === STT_SECTION) {
        const sec = elf.sections[symbols[r.sym].shndx];
        const pcrel = r.type === 2 || r.type === 4 ? 4n : 0n; // R_X86_64_PC32 / PLT32 addends point 4 bytes back
        if (sec) name = funcAt.get(num(sec.addr + r.addend + pcrel)) ?? null;
      }
      if (name === null) continue;
      yield { name, section: target, at: elf.elfType === 2 && r.offset >= target.addr ? num(r.offset) : secAddr + Number(r.offset) };
    }
  }
}

/**
 * Takes the ELF file of an arm64 kernel linked -pie without --emit-relocs, its
 * symbol table and the wanted names; gives the references read by address:
 * from code, decoded from the instructions of each counted code section; from
 * data, the absolute pointers of .rela.dyn (arm64-references.ts).
 */
function* arm64References(elf: ElfFile, symbols: ElfSymbol[], want: Wanted): Generator<Reference> {
  const funcAt = functionStarts(symbols, want);
  const sectionAt = (addr: bigint) => elf.sections.find((s) => (s.flags & SHF_ALLOC) !== 0n && s.size > 0 && addr >= s.addr && addr < s.addr + BigInt(s.size));
  for (const sec of elf.sections) {
    if ((sec.flags & SHF_EXECINSTR) === 0n || sec.type !== SHT_PROGBITS || !counted(sec)) continue;
    for (const ref of arm64CodeReferences(elf.read(sec.offset, sec.size), sec.addr)) {
      const name = funcAt.get(num(ref.target));
      if (name !== undefined) yield { name, section: sec, at: num(ref.site) };
    }
  }
  const dyn = elf.section('.rela.dyn');
  if (dyn !== undefined) {
    for (const ref of arm64DataReferences(elf.relocations(dyn))) {
      const name = funcAt.get(num(ref.target));
      if (name === undefined) continue;
      const sec = sectionAt(ref.site);
      if (counted(sec)) yield { name, section: sec, at: num(ref.site) };
    }
  }
}

/**
 * Takes the ELF file of an x86-64 kernel linked without --emit-relocs, its
 * symbol table and the wanted names; gives the references read from the
 * bytes (x86-references.ts): from each counted code section's instructions,
 * and from each counted data section's aligned pointers.
 */
function* x86References(elf: ElfFile, symbols: ElfSymbol[], want: Wanted): Generator<Reference> {
  const funcAt = functionStarts(symbols, want);
  const isTarget = (a: number) => funcAt.has(a);
  for (const sec of elf.sections) {
    if (sec.type !== SHT_PROGBITS || !counted(sec) || sec.size === 0) continue;
    const bytes = elf.read(sec.offset, sec.size);
    const refs = (sec.flags & SHF_EXECINSTR) !== 0n ? x86CodeReferences(bytes, num(sec.addr), isTarget) : x86DataReferences(bytes, num(sec.addr), isTarget);
    for (const ref of refs) yield { name: funcAt.get(ref.target) as string, section: sec, at: ref.site };
  }
}

/**
 * Takes the ELF file, its symbol table and the wanted names; gives every
 * reference into an asked-about function the image holds: from its counted
 * relocation sections when it was linked with --emit-relocs (.rela.text is
 * there), else by address in an x86-64 or arm64 kernel. Throws for any other
 * image without relocations.
 */
function imageReferences(elf: ElfFile, symbols: ElfSymbol[], want: Wanted): Iterable<Reference> {
  const relaSections = elf.sections.filter((s) => s.type === SHT_RELA && counted(elf.sections[s.info]));
  if (elf.section('.rela.text') !== undefined) return relocationReferences(elf, symbols, want, relaSections);
  if (elf.machine === EM_X86_64) return x86References(elf, symbols, want);
  if (elf.machine === EM_AARCH64) return arm64References(elf, symbols, want);
  throw new Error(`${elf.path} has no .rela.text and is neither an x86-64 nor an arm64 kernel: references into the scheduler cannot be read (was it linked without --emit-relocs?)`);
}

/**
 * Takes references and the symbol extents; gives the referrers of each name:
 * the holder of each reference (or "<section>"), its kind and whether it is
 * init-only, dropping references from inside the scheduler units (the collector
 * has those) and repeats; names and lists in first-seen order.
 */
function referrersOf(refs: Iterable<Reference>, located: Map<number, Located[]>): Record<string, Referrer[]> {
  const referrers: Record<string, Referrer[]> = {};
  const seen = new Set<string>();
  for (const { name, section, at } of refs) {
    const holder = containing(located, section.index, at);
    if (holder !== null && holder.unit !== null) continue;
    const from = holder?.name ?? `<${section.name}>`;
    const key = `${name}\0${from}\0${section.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kind: Referrer['kind'] = (section.flags & SHF_EXECINSTR) !== 0n ? 'code' : 'data';
    (referrers[name] ??= []).push({ from, section: section.name, kind, init: isInitSection(section.name) });
  }
  return referrers;
}

/** Takes the named symbols and the referrers; gives the facts with every list sorted (names keep their first-seen order). */
function sortedFacts(named: NamedSymbols, referrers: Record<string, Referrer[]>): VmlinuxFacts {
  const sortValues = <T>(record: Record<string, T[]>, by?: (a: T, b: T) => number): Record<string, T[]> => Object.fromEntries(Object.entries(record).map(([k, list]) => [k, list.slice().sort(by)]));
  const byNameThenPos = (a: { name: string; sympos: number }, b: { name: string; sympos: number }) => a.name.localeCompare(b.name) || a.sympos - b.sympos;
  return {
    functions: named.functions.slice().sort(byNameThenPos),
    clones: sortValues(named.clones),
    exports: [...named.exports].sort(),
    objects: named.objects.slice().sort(byNameThenPos),
    referrers: sortValues(referrers, (a, b) => a.from.localeCompare(b.from) || a.section.localeCompare(b.section)),
  };
}

/**
 * The facts a query asks about, read from the debug vmlinux at `path`: its
 * symbols (units, sympos, clones, exports), then the references into the
 * asked-about functions from outside the scheduler units.
 */
export function readVmlinuxFacts(path: string, q: VmlinuxQuery): VmlinuxFacts {
  const elf = new ElfFile(path);
  try {
    const symbols = elf.symbols();
    const unitOf = symbolUnits(symbols, q);
    const want: Wanted = { functions: new Set(q.functionNames), variables: new Set(q.variableNames), ours: (s) => s.bind !== STB_LOCAL || unitOf[s.index] !== null };
    const named = namedSymbols(symbols, unitOf, want);
    const referrers = referrersOf(imageReferences(elf, symbols, want), symbolExtents(symbols, unitOf));
    return sortedFacts(named, referrers);
  } finally {
    elf.close();
  }
}
