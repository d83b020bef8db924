/**
 * A minimal ELF64 little-endian reader: section headers, the symbol table and
 * RELA sections, read straight from the file (only the parts asked for), so a
 * 600 MB debug vmlinux is read in a second or two without readelf.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: bigint;
  size: number;
  /** STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2 */
  bind: number;
  /** STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_SECTION 3, STT_FILE 4 */
  type: number;
  shndx: number;
}

export interface ElfRela {
  offset: bigint;
  sym: number;
  type: number;
  addend: bigint;
}

export const SHT_SYMTAB = 2;
export const SHT_PROGBITS = 1;
export const SHT_RELA = 4;
export const SHF_EXECINSTR = 4n;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const SHF_ALLOC = 2n;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STB_LOCAL = 0;

export class ElfFile {
  private fd: number;
  readonly sections: ElfSection[] = [];
  readonly machine: number;
  readonly elfType: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const h = this.read(0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
    if (h[4] !== 2 || h[5] !== 1) throw new Error(`${path} is not a little-endian ELF64 file`);
    this.elfType = h.readUInt16LE(16);
    this.machine = h.readUInt16LE(18);
    const shoff = Number(h.readBigUInt64LE(40));
    const shentsize = h.readUInt16LE(58);
    const shnum = h.readUInt16LE(60);
    const shstrndx = h.readUInt16LE(62);
    const sh = this.read(shoff, shentsize * shnum);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      raw.push({
        nameOff: sh.readUInt32LE(o),
        type: sh.readUInt32LE(o + 4),
        flags: sh.readBigUInt64LE(o + 8),
        addr: sh.readBigUInt64LE(o + 16),
        offset: Number(sh.readBigUInt64LE(o + 24)),
        size: Number(sh.readBigUInt64LE(o + 32)),
        link: sh.readUInt32LE(o + 40),
        info: sh.readUInt32LE(o + 44),
        entsize: Number(sh.readBigUInt64LE(o + 56)),
      });
    }
    const strtab = this.read(raw[shstrndx].offset, raw[shstrndx].size);
    raw.forEach((s, index) => this.sections.push({ index, name: cstr(strtab, s.nameOff), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize }));
  }

  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n <= 0) throw new Error(`${this.path}: short read at ${offset + done}`);
      done += n;
    }
    return buf;
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  symbols(): ElfSymbol[] {
    const tab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!tab) throw new Error(`${this.path} has no symbol table (is it the debug vmlinux?)`);
    const strs = this.read(this.sections[tab.link].offset, this.sections[tab.link].size);
    const data = this.read(tab.offset, tab.size);
    const out: ElfSymbol[] = [];
    for (let i = 0, o = 0; o + 24 <= data.length; i++, o += 24) {
      const info = data[o + 4];
      out.push({ index: i, name: cstr(strs, data.readUInt32LE(o)), bind: info >> 4, type: info & 0xf, shndx: data.readUInt16LE(o + 6), value: data.readBigUInt64LE(o + 8), size: Number(data.readBigUInt64LE(o + 16)) });
    }
    return out;
  }

  relocations(section: ElfSection): ElfRela[] {
    const data = this.read(section.offset, section.size);
    const out: ElfRela[] = new Array(Math.floor(data.length / 24));
    for (let i = 0, o = 0; o + 24 <= data.length; i++, o += 24) {
      const info = data.readBigUInt64LE(o + 8);
      out[i] = { offset: data.readBigUInt64LE(o), sym: Number(info >> 32n), type: Number(info & 0xffffffffn), addend: data.readBigInt64LE(o + 16) };
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function cstr(buf: Buffer, off: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}
