/**
 * Facts about the rest of the kernel, read from the distro's debug vmlinux
 * instead of recompiling it: which scheduler functions survived compilation
 * (and under which clone names), their positions among same-named local
 * symbols (sympos, as kallsyms and livepatch count them), exports, and every
 * reference into the scheduler from code or data outside the scheduler's
 * translation units (x86-64 links with --emit-relocs, so the relocations are
 * all there; arm64 links -pie, and arm64-references.ts reads them by address).
 */
import { arm64CodeReferences, arm64DataReferences } from './arm64-references';
import { EM_AARCH64, ElfFile, SHF_ALLOC, SHF_EXECINSTR, SHT_PROGBITS, SHT_RELA, STB_LOCAL, STT_FILE, STT_FUNC, STT_OBJECT, STT_SECTION, type ElfSection, type ElfSymbol } from './elf';

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

/** Sections whose relocations are bookkeeping (unwind tables, patch sites), not references a function makes. */
const BOOKKEEPING = /^(\.orc_unwind|__ex_table|\.altinstr|__jump_table|\.static_call|\.retpoline_sites|\.return_sites|__mcount_loc|\.call_sites|\.ibt_endbr|\.smp_locks|\.parainstructions|__bug_table|\.discard|__patchable_function_entries|\.kcfi|\.notes|__ksymtab|__kcrctab|\.BTF|\.eh_frame|__tracepoints_ptrs|__param|\.apicdrivers|\.x86_cpu_dev|__dbe_table|\.pci_fixup|\.ftrace)/;

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

export function readVmlinuxFacts(path: string, q: VmlinuxQuery): VmlinuxFacts {
  const elf = new ElfFile(path);
  try {
    const symbols = elf.symbols();
    const blocks = unitFileBlocks(symbols, q.units, q.unitStatics);
    const globalUnit = new Map<string, string>();
    for (const [unit, names] of Object.entries(q.unitGlobals)) for (const n of names) globalUnit.set(n, unit);

    // The unit of every symbol: FILE block for locals, the collector's word for globals.
    const unitOf = new Array<string | null>(symbols.length).fill(null);
    let block: string | null = null;
    for (const s of symbols) {
      if (s.type === STT_FILE) block = blocks.get(s.index) ?? null;
      else if (s.bind === STB_LOCAL) unitOf[s.index] = block;
      else unitOf[s.index] = globalUnit.get(baseName(s.name)) ?? null;
    }

    const base = 0xffffffff00000000n;
    const num = (a: bigint) => Number(a - base);
    const wantFn = new Set(q.functionNames);
    const wantVar = new Set(q.variableNames);

    // sympos: position among same-named symbols in address order (kallsyms order).
    const byName = new Map<string, ElfSymbol[]>();
    for (const s of symbols) if ((s.type === STT_FUNC || s.type === STT_OBJECT) && (wantFn.has(s.name) || wantVar.has(s.name))) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const sympos = (s: ElfSymbol) => {
      const same = (byName.get(s.name) ?? []).slice().sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      return same.length > 1 ? same.findIndex((x) => x.index === s.index) + 1 : 0;
    };

    const functions: VmFunction[] = [];
    const objects: VmlinuxFacts['objects'] = [];
    const clones: Record<string, string[]> = {};
    const exports = new Set<string>();
    for (const s of symbols) {
      if (s.type === STT_FUNC && wantFn.has(s.name)) functions.push({ name: s.name, unit: unitOf[s.index], global: s.bind !== STB_LOCAL, weak: s.bind === 2, size: s.size, sympos: sympos(s) });
      else if (s.type === STT_FUNC && s.name.includes('.') && wantFn.has(baseName(s.name))) (clones[baseName(s.name)] ??= []).push(s.name);
      else if (s.type === STT_OBJECT && wantVar.has(s.name)) objects.push({ name: s.name, unit: unitOf[s.index], sympos: sympos(s) });
      if (s.name.startsWith('__ksymtab_')) {
        const n = s.name.slice('__ksymtab_'.length);
        if (wantFn.has(n) || wantVar.has(n)) exports.add(n);
      }
    }

    // Address -> containing symbol, per section, for naming the holder of a reference.
    const located = new Map<number, Located[]>();
    for (const s of symbols) {
      if ((s.type !== STT_FUNC && s.type !== STT_OBJECT) || s.shndx === 0 || s.shndx >= 0xff00) continue;
      const list = located.get(s.shndx) ?? [];
      list.push({ start: num(s.value), end: num(s.value) + Math.max(s.size, 1), name: s.name, unit: unitOf[s.index] });
      located.set(s.shndx, list);
    }
    for (const list of located.values()) list.sort((a, b) => a.start - b.start);
    const containing = (shndx: number, addr: number): Located | null => {
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
    };
    // Function starts, for relocations against a section symbol plus an offset.
    const funcAt = new Map<number, string>();
    for (const s of symbols) if (s.type === STT_FUNC && wantFn.has(baseName(s.name)) && s.shndx > 0 && s.shndx < 0xff00) funcAt.set(num(s.value), s.name);

    const targetOfSym: (string | null)[] = symbols.map((s) => ((s.type === STT_FUNC || s.type === 0) && wantFn.has(baseName(s.name)) ? s.name : null));
    const referrers: Record<string, Referrer[]> = {};
    const seen = new Set<string>();
    /** One reference to `name` at address `at` of section `target` (unless inside the scheduler units: the collector has those). */
    const refer = (name: string, target: ElfSection, at: number) => {
      const holder = containing(target.index, at);
      if (holder !== null && holder.unit !== null) return;
      const from = holder?.name ?? `<${target.name}>`;
      const key = `${name}\0${from}\0${target.name}`;
      if (seen.has(key)) return;
      seen.add(key);
      const kind: Referrer['kind'] = (target.flags & SHF_EXECINSTR) !== 0n ? 'code' : 'data';
      (referrers[name] ??= []).push({ from, section: target.name, kind, init: isInitSection(target.name) });
    };
    const counted = (s: ElfSection | undefined): s is ElfSection => s !== undefined && (s.flags & SHF_ALLOC) !== 0n && !BOOKKEEPING.test(s.name);
    const relaSections = elf.sections.filter((s) => s.type === SHT_RELA && counted(elf.sections[s.info]));
    if (relaSections.length > 0) {
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
          refer(name, target, elf.elfType === 2 && r.offset >= target.addr ? num(r.offset) : secAddr + Number(r.offset));
        }
      }
    } else if (elf.machine === EM_AARCH64) {
      // linked -pie without --emit-relocs: code references from the instructions, data references from .rela.dyn
      const sectionAt = (addr: bigint) => elf.sections.find((s) => (s.flags & SHF_ALLOC) !== 0n && s.size > 0 && addr >= s.addr && addr < s.addr + BigInt(s.size));
      for (const sec of elf.sections) {
        if ((sec.flags & SHF_EXECINSTR) === 0n || sec.type !== SHT_PROGBITS || !counted(sec)) continue;
        for (const ref of arm64CodeReferences(elf.read(sec.offset, sec.size), sec.addr)) {
          const name = funcAt.get(num(ref.target));
          if (name !== undefined) refer(name, sec, num(ref.site));
        }
      }
      const dyn = elf.section('.rela.dyn');
      if (dyn !== undefined) {
        for (const ref of arm64DataReferences(elf.relocations(dyn))) {
          const name = funcAt.get(num(ref.target));
          if (name === undefined) continue;
          const sec = sectionAt(ref.site);
          if (counted(sec)) refer(name, sec, num(ref.site));
        }
      }
    } else {
      throw new Error(`${path} has no relocation sections and is not an arm64 kernel: references into the scheduler cannot be read (was it linked without --emit-relocs?)`);
    }
    for (const list of Object.values(referrers)) list.sort((a, b) => a.from.localeCompare(b.from) || a.section.localeCompare(b.section));
    for (const list of Object.values(clones)) list.sort();
    functions.sort((a, b) => a.name.localeCompare(b.name) || a.sympos - b.sympos);
    objects.sort((a, b) => a.name.localeCompare(b.name) || a.sympos - b.sympos);
    return { functions, clones, exports: [...exports].sort(), objects, referrers };
  } finally {
    elf.close();
  }
}
