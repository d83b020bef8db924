/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced into every object of the Linux 5.10 scheduler module (-include),
 * the runtime's (tools/runtime) included.
 *
 * The kernel hides a few internals from modules with #ifdef MODULE: the
 * scheduler, now built as a module, still uses them exactly as the kernel's
 * own copy does. Re-expose them here, and nothing else.
 */
#ifndef _PLUGSCHED_MODULE_COMPAT_H
#define _PLUGSCHED_MODULE_COMPAT_H

#include <linux/preempt.h>

/* include/linux/preempt.h #undefs these for modules ("no business playing preemption tricks"). */
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
#else /* !CONFIG_PREEMPT_COUNT: 5.10's cloud kernel is PREEMPT_VOLUNTARY without a preempt count */
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

#ifdef CONFIG_X86
/*
 * The runtime (tools/runtime) is written against 6.1/6.12; what 5.10 lacks or
 * names differently is given here, so the runtime keeps a single body.
 */
#include <linux/types.h>
#include <linux/errno.h>
#include <asm/insn.h>

/* asm/ibt.h (5.18): no indirect branch tracking in 5.10, no function starts with endbr64 */
#define ENDBR_INSN_SIZE 4
static inline bool is_endbr(u32 val)
{
	return false;
}

/* insn_decode_kernel() (5.12): 5.10 decodes with insn_init() and insn_get_length() */
static inline int plugsched_insn_decode_kernel(struct insn *insn, const void *kaddr)
{
	insn_init(insn, kaddr, MAX_INSN_SIZE, 1);
	insn_get_length(insn);
	return insn_complete(insn) ? 0 : -EINVAL;
}
#define insn_decode_kernel(insn, kaddr) plugsched_insn_decode_kernel(insn, kaddr)

/*
 * ftrace's NOP at an untraced call site: 5.10 writes the CPU's "ideal" atomic
 * 5-byte NOP (ftrace_nop_replace()), not always 0f 1f 44 00 00 as 5.13+ does.
 * ideal_nops is not exported: the installer resolves it from kallsyms like the
 * scheduler's other kernel symbols.
 */
#include <asm/nops.h>
#define PLUGSCHED_FTRACE_NOP5 (ideal_nops[NOP_ATOMIC5])

/* struct ftrace_regs (5.11): a 5.10 ftrace handler gets the struct pt_regs itself */
#define ftrace_regs pt_regs
#define ftrace_get_regs(fregs) (fregs)
#endif /* CONFIG_X86 */

#endif /* _PLUGSCHED_MODULE_COMPAT_H */
