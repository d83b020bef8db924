/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The __schedule springboard.
 *
 * The module's context_switch() does not switch stacks itself: it gives its
 * frame the layout of the kernel's __schedule frame and jumps to the kernel's
 * __schedule at the instruction that calls __switch_to_asm. Every task thus
 * sleeps, and resumes, in the kernel's __schedule, and returns from there to
 * whoever called __schedule. No sleeping task keeps an address of the module
 * on its stack, so the module can be removed while tasks sleep.
 *
 * springboard-layout.h is generated at extraction from the kernel's vmlinux:
 *   PLUGSCHED_SWITCH_OFFSET    offset of the switch call in __schedule
 *                              (x86-64: call __switch_to_asm; arm64: bl __switch_to)
 *   PLUGSCHED_FRAME_BELOW_RBP  x86-64: bytes between %rbp and %rsp at that call
 *   PLUGSCHED_FRAME_BELOW_FP   arm64: bytes between x29 and sp at that call
 * The module build checks that the module's __schedule saves the same
 * registers in the same slots and keeps its stack canary where the kernel's
 * tail checks it.
 */
#ifndef PLUGSCHED_SPRINGBOARD_H
#define PLUGSCHED_SPRINGBOARD_H

#include <linux/stringify.h>
#include "springboard-layout.h"

#if defined(CONFIG_X86_64)

#define PLUGSCHED_SWITCH_TO(prev, next, last)					\
do {										\
	asm volatile("lea -" __stringify(PLUGSCHED_FRAME_BELOW_RBP) "(%%rbp), %%rsp\n\t" \
		     "jmp __orig___schedule + " __stringify(PLUGSCHED_SWITCH_OFFSET) "\n\t" \
		     : : "D" (prev), "S" (next) : "memory");			\
	unreachable();								\
} while (0)

#elif defined(CONFIG_ARM64)

/*
 * "b" to a kernel address: the module loader routes it through one of the
 * module's PLT entries when the kernel is out of branch range.
 */
#define PLUGSCHED_SWITCH_TO(prev, next, last)					\
do {										\
	register struct task_struct *__plugsched_prev asm("x0") = (prev);	\
	register struct task_struct *__plugsched_next asm("x1") = (next);	\
	asm volatile("sub sp, x29, #" __stringify(PLUGSCHED_FRAME_BELOW_FP) "\n\t" \
		     "b __orig___schedule + " __stringify(PLUGSCHED_SWITCH_OFFSET) "\n\t" \
		     : : "r" (__plugsched_prev), "r" (__plugsched_next) : "memory"); \
	unreachable();								\
} while (0)

#else
#error "plugsched-nx: the __schedule springboard is written for x86-64 and arm64 only"
#endif

#endif /* PLUGSCHED_SPRINGBOARD_H */
