/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plugsched-nx runtime: the arm64 state of one redirected entry (arch.h),
 * an absolute branch of four words (patch-arm64.c).
 */
#ifndef PLUGSCHED_PATCH_ARM64_H
#define PLUGSCHED_PATCH_ARM64_H

#include <linux/types.h>

#define PLUGSCHED_JMP_WORDS	4
#define PLUGSCHED_PATCH_BYTES	(PLUGSCHED_JMP_WORDS * 4)
/* all four words at once: no NMI runs meanwhile (patch-arm64.c) */
#define PLUGSCHED_WRITE_STEPS	1

struct plugsched_arch_patch {
	u32 *site;				/* where the branch goes */
	u32 saved[PLUGSCHED_JMP_WORDS];		/* the kernel's words there */
	u32 jump[PLUGSCHED_JMP_WORDS];		/* the branch to the module */
};

#endif /* PLUGSCHED_PATCH_ARM64_H */
