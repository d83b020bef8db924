import { describe, expect, it } from 'vitest';
import { fullRegister, parseKernelSchedule } from '../../plugins/plugsched/src/extract/springboard';

// Debian 5.10's __schedule (bullseye 5.10.223-1 cloud-amd64 vmlinux, objdump -d --no-show-raw-insn), shortened:
// the prologue, the switch point and its tail, and the out-of-line balance_callback(rq) loop the tail branches to.
const KERNEL_510 = `
ffffffff818b14a0 <__schedule>:
ffffffff818b14a0:	push   %rbp
ffffffff818b14a1:	mov    %rsp,%rbp
ffffffff818b14a4:	push   %r15
ffffffff818b14a6:	push   %r14
ffffffff818b14a8:	push   %r13
ffffffff818b14aa:	push   %r12
ffffffff818b14ac:	mov    $0x33440,%r12
ffffffff818b14b3:	push   %rbx
ffffffff818b14b4:	mov    %r12,%r13
ffffffff818b14b7:	sub    $0x28,%rsp
ffffffff818b14bb:	mov    %gs:0x28,%rax
ffffffff818b14c4:	mov    %rax,-0x30(%rbp)
ffffffff818b1717:	mov    %r14,%rdi
ffffffff818b171a:	mov    %r12,%rsi
ffffffff818b171d:	call   ffffffff810044c0 <__switch_to_asm>
ffffffff818b1722:	mov    %rax,%rdi
ffffffff818b1725:	call   ffffffff810b5b80 <finish_task_switch>
ffffffff818b172a:	mov    %rax,%r15
ffffffff818b172d:	cmpq   $0x0,0xa08(%r15)
ffffffff818b1735:	jne    ffffffff818b1b63 <__schedule+0x6c3>
ffffffff818b173b:	mov    -0x30(%rbp),%rax
ffffffff818b173f:	sub    %gs:0x28,%rax
ffffffff818b1748:	jne    ffffffff818b1cf5 <__schedule+0x855>
ffffffff818b174e:	add    $0x28,%rsp
ffffffff818b1752:	pop    %rbx
ffffffff818b1753:	pop    %r12
ffffffff818b1755:	pop    %r13
ffffffff818b1757:	pop    %r14
ffffffff818b1759:	pop    %r15
ffffffff818b175b:	pop    %rbp
ffffffff818b175c:	jmp    ffffffff81c02140 <__x86_return_thunk>
ffffffff818b1761:	lea    0xb60(%r13),%r12
ffffffff818b1768:	mov    %r12,%rdi
ffffffff818b176b:	call   ffffffff811172d0 <hrtimer_active>
ffffffff818b1b63:	mov    %r15,%rdi
ffffffff818b1b66:	call   ffffffff818b5e00 <_raw_spin_lock_irqsave>
ffffffff818b1b6b:	mov    0xa08(%r15),%rbx
ffffffff818b1b72:	movq   $0x0,0xa08(%r15)
ffffffff818b1b7d:	mov    %rax,%r12
ffffffff818b1b80:	test   %rbx,%rbx
ffffffff818b1b83:	je     ffffffff818b1ba3 <__schedule+0x703>
ffffffff818b1b85:	mov    0x8(%rbx),%rax
ffffffff818b1b89:	mov    %rbx,%rdx
ffffffff818b1b8c:	mov    (%rbx),%rbx
ffffffff818b1b8f:	mov    %r15,%rdi
ffffffff818b1b92:	movq   $0x0,(%rdx)
ffffffff818b1b99:	call   ffffffff81c01de0 <__x86_indirect_thunk_array>
ffffffff818b1b9e:	test   %rbx,%rbx
ffffffff818b1ba1:	jne    ffffffff818b1b85 <__schedule+0x6e5>
ffffffff818b1ba3:	mov    %r12,%rsi
ffffffff818b1ba6:	mov    %r15,%rdi
ffffffff818b1ba9:	call   ffffffff818b5cf0 <_raw_spin_unlock_irqrestore>
ffffffff818b1bae:	jmp    ffffffff818b173b <__schedule+0x29b>
ffffffff818b1cf5:	call   ffffffff818a8320 <__stack_chk_fail>
ffffffff818b1cfa:	mov    $0xffffffff8208d1c8,%rdi
`;

describe('__schedule springboard on 5.10', () => {
  it('accepts a tail that runs balance callbacks on the rq finish_task_switch returns', () => {
    expect(parseKernelSchedule(KERNEL_510)).toEqual({ switchOffset: 0x27d, pushes: ['r15', 'r14', 'r13', 'r12', 'rbx'], localSize: 0x28, canaryOffset: -0x30 });
  });

  it('refuses a tail that reads a register the springboard does not set (on the out-of-line path too)', () => {
    expect(() => parseKernelSchedule(KERNEL_510.replace('mov    %rax,%r15', 'mov    %r14,%r15'))).toThrow(/runs "mov %r14,%r15", which uses state the springboard does not set up/);
    expect(() => parseKernelSchedule(KERNEL_510.replace('mov    %r15,%rdi\nffffffff818b1b66', 'mov    %r13,%rdi\nffffffff818b1b66'))).toThrow(/runs "mov %r13,%rdi"/);
    expect(() => parseKernelSchedule(KERNEL_510.replace('mov    -0x30(%rbp),%rax', 'mov    -0x38(%rbp),%rax'))).toThrow(/-0x38\(%rbp\)/);
  });

  it('names registers by their 64-bit name', () => {
    expect(['%eax', '%r12d', '%dil', '%al', '%rbx', '%r9b', '%gs'].map(fullRegister)).toEqual(['rax', 'r12', 'rdi', 'rax', 'rbx', 'r9', null]);
  });
});
