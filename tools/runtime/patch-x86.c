// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: x86-64 entry redirection.
 *
 * A redirected function's kernel entry gets "jmp rel32" to the module's body.
 * The jump goes after the function's endbr64 (indirect branch tracking) and
 * its ftrace call site (a 5-byte NOP while ftrace does not trace the
 * function), so indirect calls still land on an endbr64, and ftrace keeps
 * working on the function and never finds bytes it did not write (a function
 * with no room after the site goes through ftrace-entries.c). The bytes
 * are stored through the switch's writable alias of the text pages
 * (patch-common.c) inside stop_machine, with text_mutex held, in the three
 * steps of the kernel's text_poke_bp(): an int3 on the first byte, the
 * other four bytes, the first byte; every CPU serializes its instruction
 * stream after each step (x86's caches are coherent with instruction
 * fetch). stop_machine keeps every CPU out of the entries but not NMIs: an
 * NMI that runs an entry meanwhile meets either the old bytes, the new ones
 * or the int3, whose trap plugsched_int3_notify() sends where the jump goes.
 * Implements arch.h; PLUGSCHED_JMP_SIZE and the state of an entry are in
 * patch-x86.h.
 */
#include <linux/ftrace.h>
#include <linux/kdebug.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/version.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
#include <asm/ibt.h>	/* before 5.18: is_endbr() in the kernel's module-compat.h */
#endif
#include <asm/insn.h>
#include <asm/sync_core.h>

/*
 * Is there an endbr64 (or its sealed NOP) at addr? 7.x's is_endbr() takes
 * the address, is not exported, and modules see no value test: compare
 * with the encodings asm/ibt.h generates (endbr64, endbr32, and the 4-byte
 * NOP "nopl -42(%rax)" that sealing writes).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#ifdef CONFIG_X86_KERNEL_IBT
static inline bool plugsched_endbr_value(u32 val)
{
	return val == 0xd6401f0f || (val & ~0x01000000U) == 0xfa1e0ff3;
}
#define plugsched_is_endbr(addr)	plugsched_endbr_value(*(u32 *)(addr))
#else
#define plugsched_is_endbr(addr)	false
#endif
#else
#define plugsched_is_endbr(addr)	is_endbr(*(u32 *)(addr))
#endif
#include <asm/text-patching.h>

/* the kernel's names (asm/text-patching.h), and the one it has none for */
#define PLUGSCHED_JMP_OPCODE	JMP32_INSN_OPCODE
#define PLUGSCHED_INT3_OPCODE	INT3_INSN_OPCODE
#define PLUGSCHED_RET_IMM16_OPCODE	0xc2

static const u8 plugsched_nop5[PLUGSCHED_JMP_SIZE] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
/* ftrace's NOP at an untraced site; before 5.13 it depended on the CPU (the kernel's module-compat.h says which) */
#ifndef PLUGSCHED_FTRACE_NOP5
#define PLUGSCHED_FTRACE_NOP5 plugsched_nop5
#endif

/*
 * Where the jump can go in r->orig, or an error (with the reason logged):
 * the function must not be traced, probed or patched by anyone else.
 */
static int plugsched_arch_prepare_patch(struct plugsched_patch *pp)
{
	const struct plugsched_redirect *r = pp->r;
	struct plugsched_arch_patch *a = &pp->arch;
	unsigned long addr = (unsigned long)r->orig, size = pp->size, site, ftrace_site, off;
	struct insn insn;

	site = addr;
	/*
	 * With indirect branch tracking the function starts with endbr64 (or
	 * the NOP that sealing left there): indirect calls must still land on
	 * it, so the jump goes after it.
	 */
	if (plugsched_is_endbr(addr))
		site += ENDBR_INSN_SIZE;
	/* the ftrace site of the function, wherever in its entry it is */
	ftrace_site = ftrace_location(addr);
	if (ftrace_site >= site && ftrace_site < addr + size) {
		/*
		 * A static key or static call right after the ftrace site would
		 * rewrite our jump: the entry goes through an ftrace handler
		 * instead (ftrace-entries.c), beside whoever else traces it.
		 */
		if (plugsched_text_reserved(ftrace_site + MCOUNT_INSN_SIZE, PLUGSCHED_JMP_SIZE)) {
			pp->via_ftrace = true;
			a->site = (u8 *)ftrace_site;
			pr_info("%s,%lu: a static key follows its ftrace site; redirected through an ftrace handler\n",
				r->name, r->sympos);
			return 0;
		}
		if (memcmp((void *)ftrace_site, PLUGSCHED_FTRACE_NOP5, PLUGSCHED_JMP_SIZE)) {
			pr_err("%s,%lu: is traced or live-patched through ftrace (its call site is active); stop that first\n",
			       r->name, r->sympos);
			return -EEXIST;
		}
		site = ftrace_site + MCOUNT_INSN_SIZE;
	}
	if (site + PLUGSCHED_JMP_SIZE > addr + size) {
		pr_err("%s,%lu: is too short (%lu bytes) to hold a jump\n",
		       r->name, r->sympos, size);
		return -EINVAL;
	}
	a->site = (u8 *)site;
	/*
	 * Every instruction that starts in the window: a kprobe may sit on
	 * any of them (its int3 replaces the first byte, and its unregister
	 * would later write that byte back into our rel32), an optimized
	 * kprobe or another patch puts a jmp out of the kernel's text there.
	 */
	for (off = 0; off < PLUGSCHED_JMP_SIZE; off += insn.length) {
		const u8 *p = a->site + off;

		if (*p == PLUGSCHED_INT3_OPCODE) {
			pr_err("%s,%lu: has a kprobe or breakpoint at +%lu, where the jump would go; remove it first\n",
			       r->name, r->sympos, site + off - addr);
			return -EEXIST;
		}
		if (insn_decode_kernel(&insn, p) < 0) {
			pr_err("%s,%lu: cannot decode the instruction at +%lu\n",
			       r->name, r->sympos, site + off - addr);
			return -EINVAL;
		}
		if (*p == PLUGSCHED_JMP_OPCODE &&
		    !core_kernel_text((unsigned long)p + PLUGSCHED_JMP_SIZE + *(s32 *)(p + 1))) {
			pr_err("%s,%lu: already jumps out of the kernel at +%lu (another scheduler module, a patch or an optimized kprobe owns it)\n",
			       r->name, r->sympos, site + off - addr);
			return -EEXIST;
		}
		/*
		 * After a ret or jmp, a short function's window holds the
		 * int3 padding up to the next function: not code, never
		 * probed, and the jump may cover it.
		 */
		if (*p == RET_INSN_OPCODE || *p == PLUGSCHED_RET_IMM16_OPCODE ||
		    *p == PLUGSCHED_JMP_OPCODE || *p == JMP8_INSN_OPCODE)
			break;
	}
	if (plugsched_text_reserved(site, PLUGSCHED_JMP_SIZE)) {
		pr_err("%s,%lu: a static key or static call site lies where the jump would go\n",
		       r->name, r->sympos);
		return -EINVAL;
	}
	memcpy(a->saved, a->site, PLUGSCHED_JMP_SIZE);
	return plugsched_arch_make_patch(pp);
}

/* "jmp rel32" from the site to the module's body. */
static int plugsched_arch_make_patch(struct plugsched_patch *pp)
{
	struct plugsched_arch_patch *a = &pp->arch;
	long rel = (long)pp->r->mod - (long)(a->site + PLUGSCHED_JMP_SIZE);
	s32 rel32 = rel;

	if (rel != rel32) {
		pr_err("%s,%lu: the module is out of reach of a 32-bit jump\n",
		       pp->r->name, pp->r->sympos);
		return -ERANGE;
	}
	a->jump[0] = PLUGSCHED_JMP_OPCODE;
	memcpy(&a->jump[1], &rel32, sizeof(rel32));
	return 0;
}

/*
 * Inside stop_machine, on one CPU, text_mutex held by the task waiting in
 * stop_machine_cpuslocked() (plugsched_switch_once): no other text writer
 * (ftrace, kprobes, jump labels, static calls) runs. Step 0 puts an int3 on
 * the first byte, step 1 writes the other four, step 2 the first; between
 * the steps every CPU serializes (plugsched_write_entries), so an NMI never
 * runs a mix of old and new bytes: it finds the old instruction, the new
 * jump, or the int3.
 */
static void plugsched_arch_write_patch(const struct plugsched_patch *pp, bool install, int step)
{
	const struct plugsched_arch_patch *a = &pp->arch;
	const u8 *bytes = install ? a->jump : a->saved;
	u8 *dst = pp->alias;

	switch (step) {
	case 0:
		WRITE_ONCE(dst[0], PLUGSCHED_INT3_OPCODE);
		break;
	case 1:
		memcpy(dst + 1, bytes + 1, PLUGSCHED_JMP_SIZE - 1);
		break;
	default:
		WRITE_ONCE(dst[0], bytes[0]);
		break;
	}
}

/* int3 traps sent on by plugsched_int3_notify(), for the test hook's report */
static atomic_t plugsched_int3_hits;

/*
 * The die chain's int3 (do_int3(), after kprobes found none of theirs):
 * one of our entries being written, by whatever ran it meanwhile (an NMI,
 * or the writing CPU itself). Both schedulers' code is there for the length
 * of a switch, and what runs in an NMI only reads: it goes on in the
 * module's body of the function, where the jump goes. Any context.
 */
static int plugsched_int3_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	unsigned long site;
	unsigned int i;

	if (val != DIE_INT3 || !READ_ONCE(plugsched_writing) || user_mode(args->regs))
		return NOTIFY_DONE;
	site = args->regs->ip - INT3_INSN_SIZE;
	for (i = 0; i < plugsched_nr_patches; i++) {
		const struct plugsched_patch *pp = &plugsched_patches[i];

		if (pp->via_ftrace || (unsigned long)pp->arch.site != site)
			continue;
		/* the int3 went meanwhile: run what is there now */
		if (READ_ONCE(*pp->arch.site) != PLUGSCHED_INT3_OPCODE)
			args->regs->ip = site;
		else
			args->regs->ip = (unsigned long)pp->r->mod;
		atomic_inc(&plugsched_int3_hits);
		return NOTIFY_STOP;
	}
	return NOTIFY_DONE;
}

static struct notifier_block plugsched_int3_nb = {
	.notifier_call = plugsched_int3_notify,
	/* before any debugger's handler, which would call the trap its own */
	.priority = INT_MAX,
};

/* At module load, before any entry is written. */
static int plugsched_arch_init(void)
{
	return register_die_notifier(&plugsched_int3_nb);
}

/* At unload, after the last write: no int3 of ours is left in the kernel. */
static void plugsched_arch_exit(void)
{
	unregister_die_notifier(&plugsched_int3_nb);
}

/* Is the entry exactly as we left it (the jump, or the kernel's own bytes)? */
static bool plugsched_arch_patch_intact(const struct plugsched_patch *pp)
{
	const struct plugsched_arch_patch *a = &pp->arch;

	return !memcmp(a->site, pp->patched ? a->jump : a->saved, PLUGSCHED_JMP_SIZE);
}

/* Every CPU, after the last write: no stale prefetched instructions. */
static void plugsched_arch_sync_core(void)
{
	sync_core();
}
