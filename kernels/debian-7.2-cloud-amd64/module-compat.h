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

#if defined(CONFIG_X86) && defined(MODULE)
/*
 * 7.x's asm/tlbflush.h declares enter_lazy_tlb() for modules with a
 * compile-time error; context_switch() calls it. Read the header as the
 * kernel image does (its include guard keeps it that way).
 */
/*
 * That header pulls in linux/sched.h before core.c defines
 * INSTANTIATE_EXPORTED_MIGRATE_DISABLE: define it for every unit, so that
 * migrate_disable()/migrate_enable() are the exported functions everywhere
 * (as for any module), and core.c still defines them.
 */
#define INSTANTIATE_EXPORTED_MIGRATE_DISABLE
#include <linux/init.h>		/* first, as modules have it */
#undef MODULE
#include <asm/tlbflush.h>
#define MODULE 1
#endif

#ifdef CONFIG_X86
/* arch/x86/include/asm/tlbflush.h declares this only #ifndef MODULE; asm/tlb.h uses it. */
struct mm_struct;
extern void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			       unsigned long end, unsigned int stride_shift,
			       _Bool freed_tables);
#endif

/*
 * linux/sched.h gives __migrate_disable()/__migrate_enable() only to the
 * kernel image (#ifndef MODULE): the module's core.c defines the exported
 * migrate_disable()/migrate_enable() with them. The same steps, as macros
 * expanded where struct rq is known (this_rq()->nr_pinned is sched.h's
 * this_rq_pinned()); CONFIG_DEBUG_PREEMPT's checks are off in this config.
 */
#if defined(MODULE) && !defined(__migrate_disable)
#define __migrate_disable()						\
do {									\
	struct task_struct *__p = current;				\
									\
	if (__p->migration_disabled) {					\
		__p->migration_disabled++;				\
		break;							\
	}								\
	preempt_disable();						\
	this_rq()->nr_pinned++;						\
	__p->migration_disabled = 1;					\
	preempt_enable();						\
} while (0)
#define __migrate_enable()						\
do {									\
	struct task_struct *__p = current;				\
									\
	if (__p->migration_disabled > 1) {				\
		__p->migration_disabled--;				\
		break;							\
	}								\
	preempt_disable();						\
	if (unlikely(__p->cpus_ptr != &__p->cpus_mask))			\
		___migrate_enable();					\
	barrier();							\
	__p->migration_disabled = 0;					\
	this_rq()->nr_pinned--;						\
	preempt_enable();						\
} while (0)
#endif

/*
 * topology.c defines arch_sched_node_distance() as a weak alias of
 * numa_node_dist(), which the module renames: its only __alias. Without the
 * alias it is a weak declaration, and the module uses the kernel's
 * arch_sched_node_distance (x86's own), as the kernel's copy does.
 */
#undef __alias
#define __alias(symbol)

/*
 * kernel/sched/ext/ext.c ends with __initcall(scx_init), which linux/init.h
 * defines only for the kernel image (the extraction leaves this one in place;
 * the kernel's sched_ext is initialised already): nothing to register.
 */
#ifndef __initcall
#define __initcall(fn) static_assert(sizeof(&(fn)) != 0)
#endif

#endif /* _PLUGSCHED_MODULE_COMPAT_H */
