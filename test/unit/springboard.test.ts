import { describe, expect, it } from 'vitest';
import { springboardEdit } from '../../plugins/plugsched/src/extract/extract-tree';
import { checkModuleSchedule, parseKernelSchedule, readLayoutHeader, springboardLayoutHeader } from '../../plugins/plugsched/src/extract/springboard';

// The shape of Debian 6.1's __schedule (objdump -d --no-show-raw-insn), shortened.
const KERNEL = `
ffffffff81a10af0 <__schedule>:
ffffffff81a10af0:\tpush   %rbp
ffffffff81a10af1:\tmov    %rsp,%rbp
ffffffff81a10af4:\tpush   %r15
ffffffff81a10af6:\tpush   %r14
ffffffff81a10af8:\tpush   %r13
ffffffff81a10afa:\tpush   %r12
ffffffff81a10afc:\tmov    $0x31980,%r12
ffffffff81a10b03:\tpush   %rbx
ffffffff81a10b07:\tsub    $0x20,%rsp
ffffffff81a10b0b:\tmov    %edi,-0x44(%rbp)
ffffffff81a10b0e:\tmov    %gs:0x28,%rax
ffffffff81a10b17:\tmov    %rax,-0x30(%rbp)
ffffffff81a10e32:\tmov    %r13,%rdi
ffffffff81a10e35:\tmov    %r12,%rsi
ffffffff81a10e38:\tcall   ffffffff81003270 <__switch_to_asm>
ffffffff81a10e3d:\tmov    %rax,%rdi
ffffffff81a10e40:\tcall   ffffffff810cf1a0 <finish_task_switch.isra.0>
ffffffff81a10e45:\tmov    -0x30(%rbp),%rax
ffffffff81a10e49:\tsub    %gs:0x28,%rax
ffffffff81a10e52:\tjne    ffffffff81a114d2 <__schedule+0x9e2>
ffffffff81a10e58:\tadd    $0x20,%rsp
ffffffff81a10e5c:\tpop    %rbx
ffffffff81a10e5d:\tpop    %r12
ffffffff81a10e5f:\tpop    %r13
ffffffff81a10e61:\tpop    %r14
ffffffff81a10e63:\tpop    %r15
ffffffff81a10e65:\tpop    %rbp
ffffffff81a10e66:\tjmp    ffffffff81e01ef0 <__x86_return_thunk>
`;

describe('__schedule springboard', () => {
  it("reads the kernel's switch point and frame", () => {
    const f = parseKernelSchedule(KERNEL);
    expect(f).toEqual({ switchOffset: 0x348, pushes: ['r15', 'r14', 'r13', 'r12', 'rbx'], localSize: 0x20, canaryOffset: -0x30 });
    const h = springboardLayoutHeader(f);
    expect(h).toContain('#define PLUGSCHED_SWITCH_OFFSET 0x348');
    expect(h).toContain('#define PLUGSCHED_FRAME_BELOW_RBP 0x48');
    expect(readLayoutHeader(h)).toEqual({ pushes: ['r15', 'r14', 'r13', 'r12', 'rbx'], canaryOffset: -0x30 });
  });

  it('refuses a kernel whose tail reads state the springboard does not provide', () => {
    const bad = KERNEL.replace('mov    %rax,%rdi', 'mov    -0x40(%rbp),%rdi');
    expect(() => parseKernelSchedule(bad)).toThrow(/after its switch point it runs "mov -0x40\(%rbp\),%rdi"/);
    expect(() => parseKernelSchedule(KERNEL.replace('pop    %r12', 'pop    %r11'))).toThrow(/uses state the springboard does not set up|does not restore/);
  });

  it("checks the module's __schedule against the kernel's frame", () => {
    const kernel = { pushes: ['r15', 'r14', 'r13', 'r12', 'rbx'], canaryOffset: -0x30 };
    const module = KERNEL.replace('<__schedule>', '<__mod___schedule>');
    expect(checkModuleSchedule(kernel, module)).toEqual([]);
    expect(checkModuleSchedule(kernel, module.replace('%rax,-0x30(%rbp)', '%rax,-0x38(%rbp)')).join(' ')).toMatch(/stack canary is at -56\(%rbp\) where the kernel's tail checks -48\(%rbp\)/);
    expect(checkModuleSchedule(kernel, module.replace(/.*push   %r14\n/, '')).join(' ')).toMatch(/saves r15, r13, r12, rbx where the kernel's __schedule saves r15, r14/);
  });

  it('reads a module __schedule that starts with endbr64 (indirect branch tracking, Debian 6.12)', () => {
    const kernel = { pushes: ['r15', 'r14', 'r13', 'r12', 'rbx'], canaryOffset: -0x30 };
    const module = KERNEL.replace('<__schedule>:\n', '<__mod___schedule>:\nffffffff81a10aec:\tendbr64\n');
    expect(checkModuleSchedule(kernel, module)).toEqual([]);
    expect(() => checkModuleSchedule(kernel, module.replace('push   %rbp', 'nop'))).toThrow(/does not start with "push %rbp; mov %rsp,%rbp"/);
  });

  it("replaces context_switch's one switch_to with the springboard", () => {
    const core = 'static void context_switch(void)\n{\n\tswitch_to(prev, next, prev);\n\tbarrier();\n}\n';
    const r = springboardEdit(core);
    expect(r.problem).toBeNull();
    expect(r.text).toContain('#include "plugsched/springboard.h"');
    expect(r.text).toContain('\tPLUGSCHED_SWITCH_TO(prev, next, prev);');
    expect(springboardEdit('no switch here').problem).toMatch(/expected exactly one "switch_to\(prev, next, prev\);"/);
  });
});

describe('a __schedule frame without pushes (gcc 16, 7.2)', () => {
  const frame = { switchOffset: 0x1a0, pushes: [], localSize: 0x48, canaryOffset: -0x30, saves: { r12: -0x20, rbx: -0x8 } };

  it('writes the kernel slots into the layout header and reads them back', () => {
    const header = springboardLayoutHeader(frame);
    expect(header).toContain('#define PLUGSCHED_SCHEDULE_SAVES "r12@-0x20 rbx@-0x8"');
    expect(readLayoutHeader(header)).toEqual({ pushes: [], canaryOffset: -0x30, saves: { r12: -0x20, rbx: -0x8 } });
  });

  it("refuses a module __schedule that keeps a register elsewhere or restores another one from the kernel's slot", () => {
    const insn = (addr: number, text: string) => `ffffffff8100${addr.toString(16).padStart(4, '0')}:\t${text}`;
    const disasm = (lines: string[]) => ['ffffffff81000000 <__mod___schedule>:', ...lines.map((t, i) => insn(i * 4, t))].join('\n');
    const kernel = { pushes: [], canaryOffset: null, saves: { r12: -0x20, rbx: -0x8 } };
    const good = disasm(['push %rbp', 'mov %rsp,%rbp', 'sub $0x48,%rsp', 'mov %rbx,-0x8(%rbp)', 'mov %r12,-0x20(%rbp)', 'mov -0x20(%rbp),%r12', 'mov -0x8(%rbp),%rbx', 'leave', 'ret']);
    const bad = disasm(['push %rbp', 'mov %rsp,%rbp', 'sub $0x48,%rsp', 'mov %rbx,-0x10(%rbp)', 'mov %r12,-0x20(%rbp)', 'mov -0x8(%rbp),%r13', 'leave', 'ret']);
    expect(checkModuleSchedule(kernel, good).filter((p) => /slot|keep/.test(p))).toEqual([]);
    const problems = checkModuleSchedule(kernel, bad).join('\n');
    expect(problems).toContain('it does not keep %rbx at -0x8(%rbp)');
    expect(problems).toContain("it restores %r13 from -0x8(%rbp), the kernel's slot of %rbx");
  });
});
