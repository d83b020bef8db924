/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plugsched-nx runtime: the x86-64 state of one redirected entry (arch.h),
 * a "jmp rel32" (patch-x86.c).
 */
#ifndef PLUGSCHED_PATCH_X86_H
#define PLUGSCHED_PATCH_X86_H

#include <linux/types.h>

#define PLUGSCHED_JMP_SIZE	5
#define PLUGSCHED_PATCH_BYTES	PLUGSCHED_JMP_SIZE
/* int3 on the first byte, the other four, the first byte (patch-x86.c) */
#define PLUGSCHED_WRITE_STEPS	3

struct plugsched_arch_patch {
	u8 *site;			/* where the jump goes */
	u8 saved[PLUGSCHED_JMP_SIZE];	/* the kernel's bytes there */
	u8 jump[PLUGSCHED_JMP_SIZE];	/* the jump to the module */
};

#endif /* PLUGSCHED_PATCH_X86_H */
