import { describe, expect, it } from 'vitest';
import { x86CodeReferences, x86DataReferences } from '../../plugins/plugsched/src/boundary/x86-references';

/** Offsets from 0xffffffff00000000, as vmlinux.ts passes them. */
const TEXT = 0x81000000;
const TARGET = 0x81000400;
const isTarget = (a: number) => a === TARGET;
const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v | 0);
  return [...b];
};

describe('x86-64 references read from the bytes', () => {
  it('finds call, jmp, jcc and lea rip targets, and mov/push of the address', () => {
    const code: number[] = [];
    const at = () => TEXT + code.length;
    const rel = (opcode: number[]) => {
      code.push(...opcode);
      code.push(...le32(TARGET - (at() + 4)));
    };
    rel([0xe8]); // call
    rel([0x90, 0xe9]); // nop; jmp
    rel([0x0f, 0x84]); // je
    rel([0x48, 0x8d, 0x3d]); // lea TARGET(%rip), %rdi
    code.push(0x48, 0xc7, 0xc7, ...le32(TARGET)); // mov $TARGET, %rdi
    code.push(0x48, 0xc7, 0x44, 0x24, 0x10, ...le32(TARGET)); // movq $TARGET, 0x10(%rsp)
    code.push(0x68, ...le32(TARGET)); // push $TARGET
    const refs = x86CodeReferences(Buffer.from(code), TEXT, isTarget);
    expect(refs.map((r) => r.target)).toEqual(Array(7).fill(TARGET));
    expect(refs[0].site).toBe(TEXT + 1);
  });

  it('ignores the same numbers behind other opcodes, and addresses that start no asked-about function', () => {
    const code = [0xb8, ...le32(TARGET), 0x48, 0x3d, ...le32(TARGET), 0xe8, ...le32(TARGET + 1 - (TEXT + 16 + 4))];
    expect(x86CodeReferences(Buffer.from(code), TEXT, isTarget)).toEqual([]);
  });

  it('finds 8-byte aligned kernel pointers in data', () => {
    const data = Buffer.alloc(32);
    data.writeUInt32LE(TARGET, 8);
    data.writeUInt32LE(0xffffffff, 12);
    data.writeUInt32LE(TARGET, 20); // not aligned
    data.writeUInt32LE(0xffffffff, 24);
    data.writeUInt32LE(TARGET, 16); // no high half
    expect(x86DataReferences(data, 0x82000000, isTarget)).toEqual([{ site: 0x82000008, target: TARGET }]);
  });
});
