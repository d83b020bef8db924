/**
 * tools/installer/symbol-resolve, compiled with the host gcc, on an ELF
 * relocatable object built here (gcc -c; a real scheduler.ko too when one has
 * been built in this workspace) and a fake kallsyms (--kallsyms FILE):
 * corrupt inputs are refused with one line naming the file and what is
 * wrong, exit 2 and leave the file unchanged; a fuzz loop of byte flips and
 * truncations never crashes it and never changes a file it refuses; link
 * addresses must agree with kallsyms (arm64's kallsyms has no symbol types).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const WORKSPACE = resolve(__dirname, '..', '..');
let dir: string;
let resolver: string;
let base: string;
let kallsyms: string;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The ELF64 fields the corruptions aim at. */
function layout(b: Buffer) {
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shnum = b.readUInt16LE(0x3c);
  const sh = (i: number) => {
    const o = shoff + i * 64;
    return { at: o, name: b.readUInt32LE(o), type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 24)), size: Number(b.readBigUInt64LE(o + 32)), link: b.readUInt32LE(o + 40) };
  };
  const sections = Array.from({ length: shnum }, (_, i) => sh(i));
  const symtabIndex = sections.findIndex((s) => s.type === 2);
  const symtab = sections[symtabIndex];
  return { shoff, shnum, shstrndx: b.readUInt16LE(0x3e), sections, symtabIndex, symtab, strtab: sections[symtab.link] };
}

function resolveFile(file: string, args: string[] = ['--kallsyms', kallsyms]) {
  return spawnSync(resolver, [...args, file], { encoding: 'utf8', timeout: 10_000 });
}

/** Run the resolver on a mutated copy of `from`: it must refuse, in one line naming the file and `what`, and change nothing. */
function expectRefused(name: string, mutate: (b: Buffer) => Buffer, what: RegExp, from = base) {
  const file = join(dir, `${name}.ko`);
  const bytes = mutate(Buffer.from(readFileSync(from)));
  writeFileSync(file, bytes);
  const r = resolveFile(file);
  expect(r.signal, name).toBeNull();
  expect(r.status, `${name}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, name).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^symbol-resolve: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  expect(lines[0]).toMatch(what);
  expect(lines[0]).toMatch(/it is unchanged$/);
  expect(sha(readFileSync(file)), `${name} changed`).toBe(sha(bytes));
  expect(readdirSync(dir).filter((f) => f.includes('.tmp.'))).toEqual([]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plugsched-resolve-corrupt-'));
  resolver = join(dir, 'symbol-resolve');
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', resolver, join(WORKSPACE, 'tools', 'installer', 'symbol-resolve.c')], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  expect(cc.stderr).toBe('');
  writeFileSync(join(dir, 'mod.c'), [
    'extern int runqueues;',
    'extern int foo_var;',
    'extern void __orig_print_cpu(void);',
    'extern void printk(const char *);',
    'int use(void) { __orig_print_cpu(); printk("x"); return runqueues + foo_var; }',
    '',
  ].join('\n'));
  base = join(dir, 'mod.o');
  const obj = spawnSync('gcc', ['-c', '-O2', '-o', base, join(dir, 'mod.c')], { encoding: 'utf8' });
  expect(obj.status, obj.stderr).toBe(0);
  kallsyms = join(dir, 'kallsyms');
  writeFileSync(kallsyms, [
    'ffffffff81200000 T _text',
    'ffffffff81300000 t print_cpu',
    'ffffffff81400000 D runqueues',
    'ffffffff81500000 D foo_var',
    'ffffffffc0000000 t some_module_fn\t[some_module]',
    '',
  ].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('symbol-resolve on a sound object', () => {
  it('resolves the kernel names and leaves exported ones (printk) to the loader', () => {
    const file = join(dir, 'sound.ko');
    copyFileSync(base, file);
    const r = resolveFile(file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resolved 3 symbol\(s\) \(0 by sympos, 0 by link address\)/);
    const syms = spawnSync('readelf', ['-sW', file], { encoding: 'utf8' }).stdout;
    expect(syms).toMatch(/ffffffff81400000 +0 NOTYPE +GLOBAL DEFAULT +ABS runqueues/);
    expect(syms).toMatch(/UND printk/);
  });
});

describe('symbol-resolve refuses a corrupt module in one line, exit 2, file unchanged', () => {
  const put64 = (b: Buffer, at: number, v: bigint) => (b.writeBigUInt64LE(v, at), b);
  const put32 = (b: Buffer, at: number, v: number) => (b.writeUInt32LE(v, at), b);
  const put16 = (b: Buffer, at: number, v: number) => (b.writeUInt16LE(v, at), b);

  it('truncated, garbage, not ELF', () => {
    expectRefused('empty', () => Buffer.alloc(0), /not an ELF file/);
    expectRefused('short-header', (b) => b.subarray(0, 40), /truncated: 40 bytes/);
    expectRefused('truncated-headers', (b) => b.subarray(0, b.length - 10), /section header table .* lies outside the file/);
    expectRefused('truncated-half', (b) => b.subarray(0, Math.floor(b.length / 2)), /lies outside the file/);
    expectRefused('garbage', () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)), /not an ELF file/);
    expectRefused('text', () => Buffer.from('#!/bin/sh\necho not a module\n'), /not an ELF file/);
  });

  it('wrong class, byte order, type, machine, version', () => {
    expectRefused('class32', (b) => ((b[4] = 1), b), /ELF class 1, not ELFCLASS64/);
    expectRefused('big-endian', (b) => ((b[5] = 2), b), /data encoding 2, not little-endian/);
    expectRefused('version', (b) => ((b[6] = 9), b), /ELF version 9/);
    expectRefused('exec', (b) => put16(b, 0x10, 2), /e_type 2, not ET_REL/);
    expectRefused('machine', (b) => put16(b, 0x12, 183), /e_machine 183, but this symbol-resolve is for x86-64/);
  });

  it('section header table: bad e_shoff (past the end, overflowing, misaligned), e_shentsize, e_shnum, e_shstrndx', () => {
    expectRefused('shoff-far', (b) => put64(b, 0x28, 0xffffffffff000000n), /e_shoff 0xffffffffff000000, \d+ entries\) lies outside the file/);
    expectRefused('shoff-overflow', (b) => put64(b, 0x28, 0xfffffffffffffff8n), /lies outside the file/);
    expectRefused('shoff-misaligned', (b) => put64(b, 0x28, b.readBigUInt64LE(0x28) + 1n), /misaligned/);
    expectRefused('shentsize', (b) => put16(b, 0x3a, 40), /e_shentsize 40, not 64/);
    expectRefused('shnum-zero', (b) => put16(b, 0x3c, 0), /e_shnum 0/);
    expectRefused('shnum-huge', (b) => put16(b, 0x3c, 0xfff0), /e_shnum 65520|lies outside the file/);
    expectRefused('shstrndx', (b) => put16(b, 0x3e, 999), /e_shstrndx 999 names no section/);
  });

  it('a section past the end, a section name index past its table, a name table without its NUL', () => {
    expectRefused('section-offset', (b) => put64(b, layout(b).sections[1].at + 24, 0x7fffffffn), /section 1 \(sh_offset 0x7fffffff, .*\) lies outside the file/);
    expectRefused('section-size', (b) => put64(b, layout(b).sections[1].at + 32, 0xffffffffffffff00n), /section 1 .* lies outside the file/);
    expectRefused('section-name', (b) => put32(b, layout(b).sections[1].at, 0x7fffffff), /section 1's name index 2147483647 is past the section name table/);
    expectRefused('shstrtab-unterminated', (b) => {
      const s = layout(b).sections[layout(b).shstrndx];
      b[s.offset + s.size - 1] = 0x41;
      return b;
    }, /the section name table \(section \d+\) is empty or does not end with a NUL byte/);
  });

  it('symbol table: bad sh_link, a link to a non-string section, bad entry size, a name index past the table, a bad section index', () => {
    expectRefused('symtab-link-far', (b) => put32(b, layout(b).symtab.at + 40, 9999), /sh_link 9999, which names no section/);
    expectRefused('symtab-link-text', (b) => put32(b, layout(b).symtab.at + 40, 1), /the symbol name table \(section 1\) has type 1, not SHT_STRTAB/);
    expectRefused('symtab-entsize', (b) => put64(b, layout(b).symtab.at + 56, 0n), /sh_entsize 0/);
    expectRefused('symtab-size', (b) => put64(b, layout(b).symtab.at + 32, BigInt(layout(b).symtab.size + 5)), /whole, aligned number of 24-byte entries|lies outside the file/);
    expectRefused('symtab-past-end', (b) => put64(b, layout(b).symtab.at + 24, BigInt(b.length - 24)), /lies outside the file/);
    expectRefused('st-name', (b) => put32(b, layout(b).symtab.offset + 24 * 2, 0x7fffffff), /symbol 2's name index 2147483647 is past the symbol name table/);
    expectRefused('st-shndx', (b) => put16(b, layout(b).symtab.offset + 24 * 2 + 6, 0x7000), /symbol 2 is in section 28672, but there are \d+/);
    expectRefused('strtab-unterminated', (b) => {
      const s = layout(b).strtab;
      b[s.offset + s.size - 1] = 0x41;
      return b;
    }, /the symbol name table .* does not end with a NUL byte/);
    expectRefused('no-symtab', (b) => put32(b, layout(b).symtab.at + 4, 1), /no symbol table/);
  });

  const real = ['scheduler-x86', 'hello-sched'].map((v) => join(WORKSPACE, 'dist', 'schedulers', v, 'scheduler.ko')).find((f) => existsSync(f));
  if (!real) console.log('skipped: "the same on a real scheduler.ko": no dist/schedulers/{scheduler-x86,hello-sched}/scheduler.ko in this workspace (build one with nx run hello-sched:module); the synthetic module above covers every check');
  it.skipIf(!real)('the same on a real scheduler.ko built in this workspace', () => {
    const ko = real as string;
    expectRefused('real-truncated', (b) => b.subarray(0, b.length - 100), /lies outside the file/, ko);
    expectRefused('real-shoff', (b) => put64(b, 0x28, 0xffffffffff000000n), /lies outside the file/, ko);
    expectRefused('real-link', (b) => put32(b, layout(b).symtab.at + 40, 9999), /sh_link 9999/, ko);
    expectRefused('real-st-name', (b) => put32(b, layout(b).symtab.offset + 24 * 5, 0x7fffffff), /symbol 5's name index/, ko);
  });
});

describe('symbol-resolve fuzzed (fixed seed)', () => {
  it('never dies of a signal and never changes a file it refuses, over 400 flipped or truncated copies', () => {
    let seed = 0x5eed1234;
    const rand = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const original = readFileSync(base);
    const l = layout(original);
    // where the parser looks: the ELF header, the section headers, the symbol table, the string tables
    const regions = [[0, 64], [l.shoff, l.shnum * 64], [l.symtab.offset, l.symtab.size], [l.strtab.offset, l.strtab.size], [0, original.length]];
    const outcomes = new Map<number, number>();
    const file = join(dir, 'fuzz.ko');
    for (let i = 0; i < 400; i++) {
      let b = Buffer.from(original);
      if (rand() < 0.15) b = b.subarray(0, Math.floor(rand() * b.length));
      else {
        for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
          const [start, len] = regions[Math.floor(rand() * regions.length)];
          const at = start + Math.floor(rand() * len);
          if (at < b.length) b[at] = rand() < 0.5 ? b[at] ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
        }
      }
      writeFileSync(file, b);
      const r = resolveFile(file);
      expect(r.signal, `iteration ${i}: killed by ${r.signal}`).toBeNull();
      expect([0, 2, 3], `iteration ${i}: exit ${r.status}: ${r.stderr}`).toContain(r.status);
      if (r.status !== 0) {
        expect(sha(readFileSync(file)), `iteration ${i} changed a refused file`).toBe(sha(b));
        if (r.status === 2) expect(r.stderr.trim().split('\n'), `iteration ${i}`).toHaveLength(1);
      }
      outcomes.set(r.status as number, (outcomes.get(r.status as number) ?? 0) + 1);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.tmp.'))).toEqual([]);
    expect(outcomes.get(2) ?? 0).toBeGreaterThan(100); // most corruptions are caught by the validation
  });
});

describe('symbol-resolve with link addresses (a kernel whose kallsyms has no variables or types)', () => {
  const withLinkaddrs = (name: string, table: string) => {
    const file = join(dir, `${name}.ko`);
    writeFileSync(join(dir, `${name}.linkaddrs`), table);
    const oc = spawnSync('objcopy', ['--add-section', `.plugsched.linkaddrs=${join(dir, `${name}.linkaddrs`)}`, base, file], { encoding: 'utf8' });
    expect(oc.status, oc.stderr).toBe(0);
    return file;
  };
  // arm64-like: kallsyms lists functions only and lacks _text; _stext gives the slide (0x200000 here)
  const functionsOnly = (extra: string) => {
    const f = join(dir, `kallsyms-fn-${sha(Buffer.from(extra)).slice(0, 8)}`);
    writeFileSync(f, `ffffffff81210000 T _stext\nffffffff81300000 t print_cpu\n${extra}`);
    return f;
  };
  const table = '_stext ffffffff81010000\n_text ffffffff81000000\nfoo_var ffffffff82000100\nrunqueues ffffffff82000000\n';

  it('refuses a name kallsyms lists at another address than link address + slide (a function named like the variable), unchanged', () => {
    const file = withLinkaddrs('clash', table);
    const before = sha(readFileSync(file));
    const r = resolveFile(file, ['--kallsyms', functionsOnly('ffffffff81500000 t foo_var\n')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/foo_var: kallsyms has it at 0xffffffff81500000, but the module's link address moved by the KASLR slide is 0xffffffff82200100: kallsyms lists another symbol of that name/);
    expect(r.stderr).toMatch(/1 symbol\(s\) could not be resolved safely \(see above\); .*clash\.ko is unchanged/);
    expect(sha(readFileSync(file))).toBe(before);
  });

  it('takes a name kallsyms lists at link address + slide, and one it lacks from the link address', () => {
    const file = withLinkaddrs('agree', table);
    const r = resolveFile(file, ['--kallsyms', functionsOnly('ffffffff82200100 t foo_var\n')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resolved 3 symbol\(s\) \(0 by sympos, 1 by link address\)/);
    const syms = spawnSync('readelf', ['-sW', file], { encoding: 'utf8' }).stdout;
    expect(syms).toMatch(/ffffffff82200100 .* ABS foo_var/);
    expect(syms).toMatch(/ffffffff82200000 .* ABS runqueues/);
  });

  it('refuses when _text and _stext give different slides, or no slide can be had', () => {
    const file = withLinkaddrs('slides', table);
    const both = join(dir, 'kallsyms-both');
    writeFileSync(both, 'ffffffff81200000 T _text\nffffffff81220000 T _stext\nffffffff81300000 t print_cpu\n');
    const r = resolveFile(file, ['--kallsyms', both]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/disagree on the KASLR slide \(0x200000 from _text, 0x210000 from _stext\)/);
    const none = join(dir, 'kallsyms-none');
    writeFileSync(none, 'ffffffff81300000 t print_cpu\n');
    const n = resolveFile(file, ['--kallsyms', none]);
    expect(n.status).toBe(4);
    expect(n.stderr).toMatch(/the KASLR slide is unknown/);
  });
});
