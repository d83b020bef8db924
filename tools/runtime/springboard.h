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
 *   PLUGSCHED_SWITCH_OFFSET    offset of "call __switch_to_asm" in __schedule
 *   PLUGSCHED_FRAME_BELOW_RBP  bytes between %rbp and %rsp at that call
 * The module build checks that the module's __schedule saves the same
 * registers in the same slots and keeps its stack canary where the kernel's
 * tail checks it.
 */
#ifndef PLUGSCHED_SPRINGBOARD_H
#define PLUGSCHED_SPRINGBOARD_H

#include <linux/stringify.h>
#include "springboard-layout.h"

#ifndef CONFIG_X86_64
#error "plugsched-nx: the __schedule springboard is written for x86-64 only"
#endif

#define PLUGSCHED_SWITCH_TO(prev, next, last)					\
do {										\
	asm volatile("lea -" __stringify(PLUGSCHED_FRAME_BELOW_RBP) "(%%rbp), %%rsp\n\t" \
		     "jmp __orig___schedule + " __stringify(PLUGSCHED_SWITCH_OFFSET) "\n\t" \
		     : : "D" (prev), "S" (next) : "memory");			\
	unreachable();								\
} while (0)

#endif /* PLUGSCHED_SPRINGBOARD_H */
