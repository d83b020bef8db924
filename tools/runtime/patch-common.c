// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: what the entry redirection of every architecture
 * (patch-x86.c, patch-arm64.c) asks of the kernel the same way.
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
		pr_err("plugsched: %s,%lu: its address is not the start of a kernel function\n",
		       r->name, r->sympos);
		return -EINVAL;
	}
	return 0;
}
