/**
 * References by address in an x86-64 vmlinux linked without --emit-relocs
 * (Debian's 6.12 debug vmlinux keeps only its runtime-const relocations).
 * Without relocations a reference is read from the bytes: in code, the
 * rel32 of CALL/JMP/Jcc and of a RIP-relative LEA, and the sign-extended
 * imm32 of a MOV or PUSH (-mcmodel=kernel puts every kernel address in the
 * top 2 GiB, so "mov $func, %rdi" is how code takes a function's address);
 * in data, 8-byte aligned pointers. A byte window counts only where the bytes
 * before it are the opcode (and ModRM) of such an instruction and its value
 * is the exact start of an asked-about function, so a chance match needs
 * both; analyze then treats the hit as an entry from outside (at worst one
 * more redirected function, never one less). Pure functions: bytes and
 * numbers in, addresses out. Addresses are offsets from 0xffffffff00000000
 * (exact in a double), as in vmlinux.ts.
 */

/** A reference found by address: where it is, and the address it names (offsets from 0xffffffff00000000). */
export interface X86Reference {
  site: number;
  target: number;
}

/** The sign-extended imm32 of a kernel address, as an offset from 0xffffffff00000000 (negative values are not kernel addresses). */
const abs32 = (u: number) => (u >= 0x80000000 ? u : -1);

/** Takes the code bytes and the position of a 4-byte field; gives whether the bytes before make it a rel32 ending the instruction (CALL, JMP, Jcc, LEA rip). */
function isRel32(c: Buffer, i: number): boolean {
  const b1 = c[i - 1];
  if (b1 === 0xe8 || b1 === 0xe9) return true; // call / jmp rel32
  if (i >= 2 && c[i - 2] === 0x0f && (b1 & 0xf0) === 0x80) return true; // jcc rel32
  return i >= 2 && c[i - 2] === 0x8d && (b1 & 0xc7) === 0x05; // lea disp32(%rip), %reg
}

/** Takes the code bytes and the position of a 4-byte field; gives whether the bytes before make it the imm32 of MOV r/m64 (C7 /0) or PUSH imm32. */
function isImm32(c: Buffer, i: number): boolean {
  if (c[i - 1] === 0x68) return true; // push imm32
  if (i >= 2 && c[i - 2] === 0xc7 && (c[i - 1] & 0xf8) === 0xc0) return true; // mov $imm32, %reg
  if (i >= 3 && c[i - 3] === 0xc7 && (c[i - 2] & 0xc0) === 0x40 && (c[i - 2] & 7) !== 4) return true; // mov $imm32, disp8(%reg)
  if (i >= 4 && c[i - 4] === 0xc7 && (c[i - 3] & 0xc7) === 0x44) return true; // mov $imm32, disp8(%reg,sib)
  if (i >= 6 && c[i - 6] === 0xc7 && ((c[i - 5] & 0xc0) === 0x80 || (c[i - 5] & 0xc7) === 0x05)) return true; // disp32(%reg) or disp32(%rip)
  return i >= 7 && c[i - 7] === 0xc7 && (c[i - 6] & 0xc7) === 0x84; // disp32(%reg,sib)
}

/**
 * Every reference an x86-64 code section makes to an address `isTarget`
 * accepts: rel32 of CALL/JMP/Jcc/LEA and imm32 of MOV/PUSH. `base` is the
 * section's address (offset from 0xffffffff00000000).
 */
export function x86CodeReferences(code: Buffer, base: number, isTarget: (addr: number) => boolean): X86Reference[] {
  const out: X86Reference[] = [];
  for (let i = 1; i + 4 <= code.length; i++) {
    const rel = base + i + 4 + code.readInt32LE(i);
    if (isTarget(rel) && isRel32(code, i)) {
      out.push({ site: base + i, target: rel });
      continue;
    }
    const imm = abs32(code.readUInt32LE(i));
    if (imm >= 0 && isTarget(imm) && isImm32(code, i)) out.push({ site: base + i, target: imm });
  }
  return out;
}

/** Every 8-byte aligned pointer in a data section to an address `isTarget` accepts. `base` is the section's address (offset from 0xffffffff00000000). */
export function x86DataReferences(data: Buffer, base: number, isTarget: (addr: number) => boolean): X86Reference[] {
  const out: X86Reference[] = [];
  const skew = (8 - (base % 8)) % 8;
  for (let o = skew; o + 8 <= data.length; o += 8) {
    if (data.readUInt32LE(o + 4) !== 0xffffffff) continue;
    const target = data.readUInt32LE(o);
    if (isTarget(target)) out.push({ site: base + o, target });
  }
  return out;
}
