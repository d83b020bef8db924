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

/* Does a static key or static call own any of the len bytes at start? */
static bool plugsched_text_reserved(unsigned long start, unsigned long len)
{
	void *first = (void *)start, *last = (void *)(start + len - 1);

	return jump_label_text_reserved(first, last) || static_call_text_reserved(first, last);
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

/* Inside stop_machine, on one CPU (plugsched_arch_write_patch). */
static void plugsched_write_patch(struct plugsched_patch *pp, bool install)
{
	plugsched_arch_write_patch(pp, install);
	pp->patched = install;
}
