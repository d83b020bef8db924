/**
 * References by address in an arm64 vmlinux.
 *
 * The x86-64 debug vmlinux keeps every relocation (--emit-relocs), so a
 * reference into the scheduler is a relocation. Debian's arm64 vmlinux is
 * linked -pie instead: only .rela.dyn survives, with one R_AARCH64_RELATIVE
 * entry per absolute pointer in data. References from code are therefore
 * read from the instructions themselves: BL and B name their target, ADR and
 * ADRP+ADD build an address in a register (a function pointer taken in
 * code). Pure functions: bytes and numbers in, addresses out.
 */
import type { ElfRela } from './elf';

/** A reference found by address: where it is, and the address it names. */
export interface AddressReference {
  site: bigint;
  target: bigint;
}

export const R_AARCH64_RELATIVE = 1027;

/** How many instructions an ADRP's page stays paired with a later ADD of the same register. */
const ADRP_WINDOW = 16;

function signExtend(value: number, bits: number): bigint {
  const v = BigInt(value);
  const sign = 1n << BigInt(bits - 1);
  return (v ^ sign) - sign;
}

/**
 * Every address an arm64 code section names: BL/B targets, ADR results and
 * ADRP+ADD pairs (64-bit ADD immediate whose source register holds the page
 * of an ADRP within the last ADRP_WINDOW instructions). `base` is the
 * section's address.
 */
export function arm64CodeReferences(code: Buffer, base: bigint): AddressReference[] {
  const out: AddressReference[] = [];
  const page = new Array<bigint | null>(32).fill(null);
  const pageAge = new Array<number>(32).fill(0);
  for (let o = 0; o + 4 <= code.length; o += 4) {
    const insn = code.readUInt32LE(o);
    const pc = base + BigInt(o);
    if ((insn & 0x7c000000) === 0x14000000) {
      // B (0x14..) and BL (0x94..): imm26 words from pc
      out.push({ site: pc, target: pc + signExtend(insn & 0x03ffffff, 26) * 4n });
    } else if ((insn & 0x1f000000) === 0x10000000) {
      // ADR (op 0) / ADRP (op 1): immhi:immlo, in bytes or in 4 KiB pages
      const imm = signExtend((((insn >>> 5) & 0x7ffff) << 2) | ((insn >>> 29) & 3), 21);
      const rd = insn & 0x1f;
      if (insn & 0x80000000) {
        page[rd] = (pc & ~0xfffn) + (imm << 12n);
        pageAge[rd] = o;
      } else {
        out.push({ site: pc, target: pc + imm });
        page[rd] = null;
      }
    } else if (((insn & 0xffc00000) >>> 0) === 0x91000000) {
      // ADD Xd, Xn, #imm12 (64-bit, no shift)
      const rn = (insn >>> 5) & 0x1f;
      const rd = insn & 0x1f;
      const p = page[rn];
      if (p !== null && o - pageAge[rn] <= ADRP_WINDOW * 4) out.push({ site: pc, target: p + BigInt((insn >>> 10) & 0xfff) });
      if (rd !== rn) page[rd] = null;
    }
  }
  return out;
}

/** The absolute pointers a -pie kernel relocates at boot: one per R_AARCH64_RELATIVE entry of .rela.dyn. */
export function arm64DataReferences(relaDyn: ElfRela[]): AddressReference[] {
  const out: AddressReference[] = [];
  for (const r of relaDyn) if (r.type === R_AARCH64_RELATIVE && r.sym === 0) out.push({ site: r.offset, target: BigInt.asUintN(64, r.addend) });
  return out;
}
