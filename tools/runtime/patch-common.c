// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the generic part of the entry redirection, over the
 * architecture API (arch.h): the members of struct plugsched_patch that are
 * not the architecture's, and what every architecture (patch-x86.c,
 * patch-arm64.c) asks of the kernel the same way.
 */
#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/static_call.h>

/* control.c's table of entries (tentative definitions: it defines them) */
static struct plugsched_patch *plugsched_patches;
static unsigned int plugsched_nr_patches;

/*
 * Does a static key or static call own any of the len bytes at start?
 * Process context. jump_label_text_reserved() decodes each jump site it
 * meets, and a site that a static key flip on another CPU is rewriting
 * holds an int3 for a moment: x86's arch_jump_entry_size() then BUG()s
 * (seen on 6.12 with a re-enable racing a flip). Like kprobes, hold
 * jump_label_lock() so that no flip is in progress.
 */
static bool plugsched_text_reserved(unsigned long start, unsigned long len)
{
	void *first = (void *)start, *last = (void *)(start + len - 1);
	bool reserved;

	jump_label_lock();
	reserved = jump_label_text_reserved(first, last);
	jump_label_unlock();
	return reserved || static_call_text_reserved(first, last);
}

/* The size of the kernel function r->orig, or an error (logged) when r->orig does not start one. */
static int plugsched_function_size(const struct plugsched_redirect *r, unsigned long *size)
{
	unsigned long offset;

	if (!kallsyms_lookup_size_offset((unsigned long)r->orig, size, &offset) || offset) {
		pr_err("%s,%lu: its address is not the start of a kernel function\n",
		       r->name, r->sympos);
		return -EINVAL;
	}
	return 0;
}

/* The entry of r checked against the kernel, or an error (logged); process context. */
static int plugsched_prepare_patch(struct plugsched_patch *pp,
				   const struct plugsched_redirect *r)
{
	unsigned long size;
	int ret;

	pp->r = r;
	pp->patched = false;
	ret = plugsched_function_size(r, &size);
	if (ret)
		return ret;
	pp->size = size;
	return plugsched_arch_prepare_patch(pp);
}

/*
 * Every entry checked again before an install that is not the first (after
 * "echo 0", someone may have placed a kprobe, an optprobe or a tracer on a
 * function meanwhile): the same checks as at module init, and the entry's
 * bytes must still be the ones saved then. Process context, before
 * stop_machine; every refusal is logged naming the function.
 */
static int plugsched_recheck_patch(struct plugsched_patch *pp)
{
	struct plugsched_patch now = { .r = pp->r, .size = pp->size };
	int ret;

	ret = plugsched_arch_prepare_patch(&now);
	if (ret)
		return ret;
	if (memcmp(&now.arch, &pp->arch, sizeof(now.arch))) {
		pr_err("%s,%lu: its entry changed since the module was loaded (a probe or a patch is there); remove it first\n",
		       pp->r->name, pp->r->sympos);
		return -EEXIST;
	}
	return 0;
}

/*
 * Inside stop_machine, on one CPU, before any entry of the switch is
 * written: does every entry hold exactly what the switch expects (the
 * kernel's saved bytes to install, our patch to roll back)? Anything else
 * belongs to someone who came after the checks (a kprobe's int3 at any byte,
 * an optprobe's jump) and writing over it would corrupt their code and ours.
 */
static int plugsched_verify_entries(bool install)
{
	unsigned int i;

	for (i = 0; i < plugsched_nr_patches; i++) {
		const struct plugsched_patch *pp = &plugsched_patches[i];

		if (pp->patched == install || !plugsched_arch_patch_intact(pp)) {
			pr_err("%s,%lu: its entry does not hold %s; nothing was written\n",
			       pp->r->name, pp->r->sympos,
			       install ? "the kernel's bytes (a probe or a patch is there)" : "our jump any more");
			return -EEXIST;
		}
	}
	return 0;
}

/* Inside stop_machine, on one CPU (plugsched_arch_write_patch). */
static int plugsched_write_patch(struct plugsched_patch *pp, bool install)
{
	int ret = plugsched_arch_write_patch(pp, install);

	if (!ret)
		pp->patched = install;
	return ret;
}
