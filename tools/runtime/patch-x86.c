// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: x86-64 entry redirection.
 *
 * A redirected function's kernel entry gets "jmp rel32" to the module's body.
 * The jump goes after the function's endbr64 (indirect branch tracking) and
 * its ftrace call site (a 5-byte NOP while ftrace does not trace the
 * function), so indirect calls still land on an endbr64, and ftrace keeps
 * working on the function and never finds bytes it did not write. The bytes are written with the
 * kernel's text_poke() under text_mutex, inside stop_machine, and every CPU
 * serializes its instruction stream before it leaves stop_machine.
 */
#include <linux/ftrace.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <asm/ibt.h>
#include <asm/sync_core.h>
#include <asm/text-patching.h>

#define PLUGSCHED_JMP_SIZE	5
#define PLUGSCHED_JMP_OPCODE	0xe9
#define PLUGSCHED_INT3_OPCODE	0xcc

struct plugsched_patch {
	const struct plugsched_redirect *r;
	u8 *site;			/* where the jump goes */
	u8 saved[PLUGSCHED_JMP_SIZE];	/* the kernel's bytes there */
	u8 jump[PLUGSCHED_JMP_SIZE];	/* the jump to the module */
	unsigned long size;		/* the kernel function's size */
	bool patched;
};

static const u8 plugsched_nop5[PLUGSCHED_JMP_SIZE] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/*
 * Where the jump can go in r->orig, or an error (with the reason logged):
 * the function must not be traced, probed or patched by anyone else.
 */
static int plugsched_prepare_patch(struct plugsched_patch *pp,
				   const struct plugsched_redirect *r)
{
	unsigned long addr = (unsigned long)r->orig, size, site, ftrace_site;
	long rel;
	int ret;

	pp->r = r;
	pp->patched = false;
	ret = plugsched_function_size(r, &size);
	if (ret)
		return ret;
	pp->size = size;
	site = addr;
	/*
	 * With indirect branch tracking the function starts with endbr64 (or
	 * the NOP that sealing left there): indirect calls must still land on
	 * it, so the jump goes after it.
	 */
	if (is_endbr(*(u32 *)addr))
		site += ENDBR_INSN_SIZE;
	/* the ftrace site of the function, wherever in its entry it is */
	ftrace_site = ftrace_location(addr);
	if (ftrace_site >= site && ftrace_site < addr + size) {
		if (memcmp((void *)ftrace_site, plugsched_nop5, sizeof(plugsched_nop5))) {
			pr_err("plugsched: %s,%lu: is traced or live-patched through ftrace (its call site is active); stop that first\n",
			       r->name, r->sympos);
			return -EEXIST;
		}
		site = ftrace_site + MCOUNT_INSN_SIZE;
		/*
		 * A static key or static call right after the ftrace site would
		 * rewrite our jump: take the ftrace site itself instead (ftrace
		 * cannot trace the function while the module is installed).
		 */
		if (plugsched_text_reserved(site, PLUGSCHED_JMP_SIZE)) {
			site = ftrace_site;
			pr_info("plugsched: %s,%lu: a static key follows its ftrace site; the jump replaces the ftrace site\n",
				r->name, r->sympos);
		}
	}
	if (site + PLUGSCHED_JMP_SIZE > addr + size) {
		pr_err("plugsched: %s,%lu: is too short (%lu bytes) to hold a jump\n",
		       r->name, r->sympos, size);
		return -EINVAL;
	}
	pp->site = (u8 *)site;
	if (pp->site[0] == PLUGSCHED_JMP_OPCODE &&
	    is_module_text_address(site + PLUGSCHED_JMP_SIZE + *(s32 *)(site + 1))) {
		pr_err("plugsched: %s,%lu: already jumps into a module: another scheduler module or patch owns it\n",
		       r->name, r->sympos);
		return -EEXIST;
	}
	if (pp->site[0] == PLUGSCHED_INT3_OPCODE) {
		pr_err("plugsched: %s,%lu: has a kprobe or breakpoint at its entry; remove it first\n",
		       r->name, r->sympos);
		return -EEXIST;
	}
	if (plugsched_text_reserved(site, PLUGSCHED_JMP_SIZE)) {
		pr_err("plugsched: %s,%lu: a static key or static call site lies where the jump would go\n",
		       r->name, r->sympos);
		return -EINVAL;
	}
	rel = (long)r->mod - (long)(site + PLUGSCHED_JMP_SIZE);
	if (rel != (s32)rel) {
		pr_err("plugsched: %s,%lu: the module is out of reach of a 32-bit jump\n",
		       r->name, r->sympos);
		return -ERANGE;
	}
	memcpy(pp->saved, pp->site, PLUGSCHED_JMP_SIZE);
	pp->jump[0] = PLUGSCHED_JMP_OPCODE;
	memcpy(&pp->jump[1], &rel, sizeof(s32));
	return 0;
}

/* Inside stop_machine, on one CPU, text_mutex held by the caller of stop_machine. */
static void plugsched_write_patch(struct plugsched_patch *pp, bool install)
{
	text_poke(pp->site, install ? pp->jump : pp->saved, PLUGSCHED_JMP_SIZE);
	pp->patched = install;
}

/* Is the entry exactly as we left it (the jump, or the kernel's own bytes)? */
static bool plugsched_patch_intact(const struct plugsched_patch *pp)
{
	return !memcmp(pp->site, pp->patched ? pp->jump : pp->saved, PLUGSCHED_JMP_SIZE);
}

/* Every CPU, after the last write: no stale prefetched instructions. */
static void plugsched_sync_core(void)
{
	sync_core();
}
