/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced into every object of the scheduler module (-include).
 *
 * The kernel hides a few internals from modules with #ifdef MODULE: the
 * scheduler, now built as a module, still uses them exactly as the kernel's
 * own copy does. Re-expose them here, and nothing else.
 */
#ifndef _PLUGSCHED_MODULE_COMPAT_H
#define _PLUGSCHED_MODULE_COMPAT_H

#include <linux/preempt.h>

/* include/linux/preempt.h #undefs these for modules. */
#ifdef CONFIG_PREEMPT_COUNT
#ifndef sched_preempt_enable_no_resched
#define sched_preempt_enable_no_resched() \
do { \
	barrier(); \
	preempt_count_dec(); \
} while (0)
#endif
#ifndef preempt_enable_no_resched
#define preempt_enable_no_resched() sched_preempt_enable_no_resched()
#endif
#ifndef preempt_enable_no_resched_notrace
#define preempt_enable_no_resched_notrace() \
do { \
	barrier(); \
	__preempt_count_dec(); \
} while (0)
#endif
#else /* !CONFIG_PREEMPT_COUNT: no preemption count to drop */
#ifndef sched_preempt_enable_no_resched
#define sched_preempt_enable_no_resched() barrier()
#endif
#ifndef preempt_enable_no_resched
#define preempt_enable_no_resched() barrier()
#endif
#ifndef preempt_enable_no_resched_notrace
#define preempt_enable_no_resched_notrace() barrier()
#endif
#endif /* CONFIG_PREEMPT_COUNT */

#ifndef preempt_check_resched
#ifdef CONFIG_PREEMPTION
#define preempt_check_resched() \
do { \
	if (should_resched(0)) \
		__preempt_schedule(); \
} while (0)
#else
#define preempt_check_resched() do { } while (0)
#endif
#endif

#ifdef CONFIG_X86
/* arch/x86/include/asm/tlbflush.h declares this only #ifndef MODULE; asm/tlb.h uses it. */
struct mm_struct;
extern void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			       unsigned long end, unsigned int stride_shift,
			       _Bool freed_tables);
#endif

#endif /* _PLUGSCHED_MODULE_COMPAT_H */
