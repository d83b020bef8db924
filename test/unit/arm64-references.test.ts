import { describe, expect, it } from 'vitest';
import { arm64CodeReferences, arm64DataReferences, R_AARCH64_RELATIVE } from '../../plugins/plugsched/src/boundary/arm64-references';

const BASE = 0xffff800008010000n;

/**
 * Words as aarch64-linux-gnu-as and ld (-Ttext=0xffff800008010000) encoded them for
 *   f: bl g; b f; adrp x1, h; mov x2, x3; add x1, x1, :lo12:h; adr x4, g; ret; nop
 *   g: ret; .space 8192; h: ret
 * with g at +0x20 and h at 0xffff800008012024.
 */
const WORDS = [0x94000008, 0x17ffffff, 0xd0000001, 0xaa0303e2, 0x91009021, 0x10000064, 0xd65f03c0, 0xd503201f, 0xd65f03c0];

function code(words: number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
  return b;
}

describe('arm64 references by address', () => {
  it('reads BL, B, ADR and an ADRP+ADD pair with an instruction between them', () => {
    const refs = arm64CodeReferences(code(WORDS), BASE).map((r) => [r.site - BASE, r.target]);
    expect(refs).toEqual([
      [0x0n, BASE + 0x20n],
      [0x4n, BASE],
      [0x10n, 0xffff800008012024n],
      [0x14n, BASE + 0x20n],
    ]);
  });

  it('does not pair an ADD with a register the ADRP did not write, or with a page overwritten since', () => {
    // adrp x1, h; add x2, x2, #0x24 (other register); mov... ; adr x1, g (x1 no longer a page); add x1, x1, #0x24
    const refs = arm64CodeReferences(code([0xd0000001, 0x91009042, 0x10000001 | (0x3 << 5), 0x91009021]), BASE);
    expect(refs.map((r) => r.site - BASE)).toEqual([0x8n]);
  });

  it('forgets an ADRP page after the pairing window', () => {
    const words = [0xd0000001, ...Array<number>(20).fill(0xd503201f), 0x91009021];
    expect(arm64CodeReferences(code(words), BASE)).toEqual([]);
  });

  it('takes R_AARCH64_RELATIVE entries of .rela.dyn as absolute pointers in data', () => {
    const refs = arm64DataReferences([
      { offset: 0xffff800009000000n, sym: 0, type: R_AARCH64_RELATIVE, addend: BigInt.asIntN(64, BASE + 0x20n) },
      { offset: 0xffff800009000008n, sym: 5, type: 257, addend: 0n },
    ]);
    expect(refs).toEqual([{ site: 0xffff800009000000n, target: BASE + 0x20n }]);
  });
});
