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
 * The module build checks that the module's __schedule (on arm64: its
 * entry routine, below) saves the same registers in the same slots and
 * keeps its stack canary where the kernel's tail checks it.
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
 * The kernel's __schedule is entered through __plugsched_schedule_entry
 * (PLUGSCHED_SCHEDULE_ENTRY_ASM, generated from the kernel's prologue): it
 * builds the kernel's __schedule frame and calls the module's C body,
 * whatever frame layout the compiler gave the body. At the switch the body
 * follows its frame record to the entry routine's frame, sets sp as the
 * kernel's __schedule has it at "bl __switch_to", and branches there; the
 * module loader routes the branch through a PLT entry when the kernel is
 * out of reach. The redirect of __schedule points at the entry routine
 * (plugsched_patch_target in patch-arm64.c).
 */
extern char __plugsched_schedule_entry[];

asm(".pushsection .text, \"ax\"\n\t"
    ".p2align 2\n\t"
    ".type __plugsched_schedule_entry, %function\n"
    "__plugsched_schedule_entry:\n\t"
    PLUGSCHED_SCHEDULE_ENTRY_ASM
    ".size __plugsched_schedule_entry, . - __plugsched_schedule_entry\n\t"
    ".popsection");

#define PLUGSCHED_SWITCH_TO(prev, next, last)					\
do {										\
	register struct task_struct *__plugsched_prev asm("x0") = (prev);	\
	register struct task_struct *__plugsched_next asm("x1") = (next);	\
	asm volatile("ldr x29, [x29]\n\t"					\
		     "sub sp, x29, #" __stringify(PLUGSCHED_FRAME_BELOW_FP) "\n\t" \
		     "b __orig___schedule + " __stringify(PLUGSCHED_SWITCH_OFFSET) "\n\t" \
		     : : "r" (__plugsched_prev), "r" (__plugsched_next) : "memory"); \
	unreachable();								\
} while (0)

#else
#error "plugsched-nx: the __schedule springboard is written for x86-64 and arm64 only"
#endif

#endif /* PLUGSCHED_SPRINGBOARD_H */
