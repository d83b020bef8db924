// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: arm64 entry redirection.
 *
 * A redirected function's kernel entry gets an absolute branch of four words:
 *
 *	ldr	x16, 8		load the literal below
 *	br	x16
 *	.quad	<module body>
 *
 * A direct "b" reaches only +-128 MiB, and with RANDOMIZE_MODULE_REGION_FULL
 * the module may lie up to 2 GiB away. x16 (IP0) is the register the
 * procedure call standard gives to veneers between caller and callee, so no
 * caller expects it kept. The words go after the function's ftrace call
 * site (the two NOPs of -fpatchable-function-entry, while ftrace does not
 * trace the function), so ftrace keeps owning the words it writes. They are
 * stored through the switch's writable alias of the text pages
 * (patch-common.c) inside stop_machine, while every other CPU waits outside
 * the kernel's scheduler code; the caches are cleaned and invalidated to the
 * point of unification for each entry, and every CPU runs an isb before it
 * leaves stop_machine. Implements
 * arch.h; PLUGSCHED_JMP_WORDS and the state of an entry are in patch-arm64.h.
 */
#include <linux/ftrace.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <asm/cacheflush.h>
#include <asm/insn.h>

#define PLUGSCHED_JMP_SIZE	(PLUGSCHED_JMP_WORDS * AARCH64_INSN_SIZE)
#define PLUGSCHED_LDR_X16_8	0x58000050U	/* ldr x16, #8 */
#define PLUGSCHED_BR_X16	0xd61f0200U	/* br x16 */
#define PLUGSCHED_NOP		0xd503201fU
#define PLUGSCHED_MOV_X9_LR	0xaa1e03e9U	/* mov x9, x30 */
#define PLUGSCHED_BRK_MASK	0xffe0001fU	/* brk #imm16 (kprobes, kgdb) */
#define PLUGSCHED_BRK		0xd4200000U

static bool plugsched_is_brk(u32 insn)
{
	return (insn & PLUGSCHED_BRK_MASK) == PLUGSCHED_BRK;
}

/* What the kernel's entry branches to: the body, or for __schedule its entry routine (springboard.h). */
static u64 plugsched_patch_target(const struct plugsched_redirect *r)
{
	if (r->mod == (void *)__mod___schedule)
		return (u64)__plugsched_schedule_entry;
	return (u64)r->mod;
}

/*
 * Where the branch can go in r->orig, or an error (with the reason logged):
 * the function must not be traced, probed or patched by anyone else.
 */
static int plugsched_arch_prepare_patch(struct plugsched_patch *pp)
{
	const struct plugsched_redirect *r = pp->r;
	struct plugsched_arch_patch *a = &pp->arch;
	unsigned long addr = (unsigned long)r->orig, size = pp->size, site, ftrace_site;
	int i;

	site = addr;
	/*
	 * ftrace_location() names the second word of the patchable entry: a
	 * NOP while the function is not traced, "bl ftrace_caller" when it is.
	 * ftrace turned the first into "mov x9, x30" at boot.
	 */
	ftrace_site = ftrace_location(addr);
	if (ftrace_site >= addr + AARCH64_INSN_SIZE && ftrace_site < addr + size) {
		u32 before = le32_to_cpu(*(u32 *)(ftrace_site - AARCH64_INSN_SIZE));

		/*
		 * A function too short for the branch after its ftrace site
		 * (sched_post_fork is 20 bytes) goes through an ftrace handler
		 * instead (ftrace-entries.c), beside whoever else traces it.
		 */
		if (ftrace_site + AARCH64_INSN_SIZE + PLUGSCHED_JMP_SIZE > addr + size) {
			pp->via_ftrace = true;
			a->site = (u32 *)ftrace_site;
			pr_info("%s,%lu: too short for a branch after its ftrace site; redirected through an ftrace handler\n",
				r->name, r->sympos);
			return 0;
		}
		if (le32_to_cpu(*(u32 *)ftrace_site) != PLUGSCHED_NOP ||
		    (before != PLUGSCHED_NOP && before != PLUGSCHED_MOV_X9_LR)) {
			pr_err("%s,%lu: is traced or live-patched through ftrace (its call site is active); stop that first\n",
			       r->name, r->sympos);
			return -EEXIST;
		}
		site = ftrace_site + AARCH64_INSN_SIZE;
	}
	if (site + PLUGSCHED_JMP_SIZE > addr + size) {
		pr_err("%s,%lu: is too short (%lu bytes) to hold a branch\n",
		       r->name, r->sympos, size);
		return -EINVAL;
	}
	a->site = (u32 *)site;
	for (i = 0; i < PLUGSCHED_JMP_WORDS; i++)
		a->saved[i] = le32_to_cpu(a->site[i]);
	if (a->saved[0] == PLUGSCHED_LDR_X16_8 && a->saved[1] == PLUGSCHED_BR_X16 &&
	    is_module_text_address(a->saved[2] | (u64)a->saved[3] << 32)) {
		pr_err("%s,%lu: already branches into a module: another scheduler module or patch owns it\n",
		       r->name, r->sympos);
		return -EEXIST;
	}
	/* kprobes on arm64 put a BRK on the function's first word, before the site */
	for (i = 0; addr + i * AARCH64_INSN_SIZE < site + PLUGSCHED_JMP_SIZE; i++) {
		if (plugsched_is_brk(le32_to_cpu(((u32 *)addr)[i]))) {
			pr_err("%s,%lu: is traced or probed (a kprobe or breakpoint at its entry); remove it first\n",
			       r->name, r->sympos);
			return -EEXIST;
		}
	}
	if (plugsched_text_reserved(site, PLUGSCHED_JMP_SIZE)) {
		pr_err("%s,%lu: a static key or static call site lies where the branch would go\n",
		       r->name, r->sympos);
		return -EINVAL;
	}
	return plugsched_arch_make_patch(pp);
}

/* The absolute branch to the module: it reaches anywhere. */
static int plugsched_arch_make_patch(struct plugsched_patch *pp)
{
	struct plugsched_arch_patch *a = &pp->arch;
	u64 target = plugsched_patch_target(pp->r);

	a->jump[0] = PLUGSCHED_LDR_X16_8;
	a->jump[1] = PLUGSCHED_BR_X16;
	a->jump[2] = lower_32_bits(target);
	a->jump[3] = upper_32_bits(target);
	return 0;
}

/*
 * Inside stop_machine, on one CPU, text_mutex held by the caller of
 * stop_machine. The words go through the alias (a cacheable mapping of the
 * same physical page); then, as aarch64_insn_patch_text_nosync() does after
 * writing through its own alias, once for the whole entry: the data cache is
 * cleaned and the instruction cache invalidated to the point of unification
 * by the kernel address, the one the CPUs fetch from.
 */
static void plugsched_arch_write_patch(const struct plugsched_patch *pp, bool install, int step)
{
	const struct plugsched_arch_patch *a = &pp->arch;
	const u32 *words = install ? a->jump : a->saved;
	__le32 *dst = pp->alias;
	int i;

	for (i = 0; i < PLUGSCHED_JMP_WORDS; i++)
		WRITE_ONCE(dst[i], cpu_to_le32(words[i]));
	caches_clean_inval_pou((unsigned long)a->site, (unsigned long)(a->site + PLUGSCHED_JMP_WORDS));
}

/*
 * At module load. Debian's arm64 kernels have no NMI: CONFIG_ARM64_PSEUDO_NMI
 * is off, and stop_machine keeps every CPU out of the entries while their
 * four words are written in one step. A kernel with pseudo-NMIs on
 * (irqchip.gicv3_pseudo_nmi=1) could run an entry from an NMI half
 * written: refused.
 */
static int plugsched_arch_init(void)
{
#ifdef CONFIG_ARM64_PSEUDO_NMI
	if (system_uses_irq_prio_masking()) {
		pr_err("pseudo-NMIs are on (irqchip.gicv3_pseudo_nmi=1): an NMI could run a function entry while its four words are written; not supported, boot without it\n");
		return -EOPNOTSUPP;
	}
#endif
	return 0;
}

static void plugsched_arch_exit(void)
{
}

/* Are the words exactly as we left them (the branch, or the kernel's own)? */
static bool plugsched_arch_patch_intact(const struct plugsched_patch *pp)
{
	const struct plugsched_arch_patch *a = &pp->arch;
	const u32 *words = pp->patched ? a->jump : a->saved;
	int i;

	for (i = 0; i < PLUGSCHED_JMP_WORDS; i++)
		if (le32_to_cpu(a->site[i]) != words[i])
			return false;
	return true;
}

/* Every CPU, after the last write: no stale prefetched instructions. */
static void plugsched_arch_sync_core(void)
{
	isb();
}
