// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the generic part of the entry redirection, over the
 * architecture API (arch.h): the members of struct plugsched_patch that are
 * not the architecture's, and what every architecture (patch-x86.c,
 * patch-arm64.c) asks of the kernel the same way.
 */
#include <linux/bsearch.h>
#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/sort.h>
#include <linux/static_call.h>
#include <linux/vmalloc.h>

/* control.c's table of entries (tentative definitions: it defines them) */
static struct plugsched_patch *plugsched_patches;
static unsigned int plugsched_nr_patches;
/* ftrace-entries.c */
static bool plugsched_ftrace_armed(void);

/*
 * Does the entry hold what was last written there (arch.h)? One redirected
 * through ftrace holds nothing of ours: it is right while it is not
 * patched, or while our ftrace handler is on it.
 */
static bool plugsched_patch_intact(const struct plugsched_patch *pp)
{
	if (pp->via_ftrace)
		return !pp->patched || plugsched_ftrace_armed();
	return plugsched_arch_patch_intact(pp);
}

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
	pp->from = NULL;
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
	if (now.via_ftrace != pp->via_ftrace || memcmp(&now.arch, &pp->arch, sizeof(now.arch))) {
		pr_err("%s,%lu: its entry changed since the module was loaded (a probe or a patch is there); remove it first\n",
		       pp->r->name, pp->r->sympos);
		return -EEXIST;
	}
	return 0;
}

/*
 * Inside stop_machine, on one CPU, before any entry of the switch is
 * written: does every entry hold exactly what the switch expects (the
 * kernel's saved bytes to install, or in a takeover the predecessor's patch;
 * our patch to roll back)? Anything else belongs to someone who came after
 * the checks (a kprobe's int3 at any byte, an optprobe's jump) and writing
 * over it would corrupt their code and ours.
 */
static int plugsched_verify_entries(bool install)
{
	unsigned int i;

	for (i = 0; i < plugsched_nr_patches; i++) {
		const struct plugsched_patch *pp = &plugsched_patches[i];
		const struct plugsched_patch *holder = install && pp->from ? pp->from : pp;

		if (pp->patched == install || (holder != pp && !holder->patched) ||
		    !plugsched_patch_intact(holder)) {
			pr_err("%s,%lu: its entry does not hold %s; nothing was written\n",
			       pp->r->name, pp->r->sympos,
			       !install ? "our jump any more" :
			       holder != pp ? "the predecessor's jump (a probe or a patch is there)" :
			       "the kernel's bytes (a probe or a patch is there)");
			return -EEXIST;
		}
	}
	return 0;
}

/*
 * The page of an address in the kernel image. virt_to_page() is only for the
 * linear map: on arm64 the image lives elsewhere, and __pa_symbol() is the
 * way to its physical address on every architecture.
 */
static struct page *plugsched_image_page(unsigned long addr)
{
	return pfn_to_page(__pa_symbol(addr) >> PAGE_SHIFT);
}

/* one vmap() of every kernel text page an entry touches, for one switch */
static void *plugsched_entries_map;

static int plugsched_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Process context, before the stop_machine of a switch: one writable alias
 * of all the pages that hold entries, in the order of their kernel
 * addresses, and each entry's alias (pp->alias). The switch then writes
 * every entry with a plain store, instead of one text_poke() per entry
 * (a temporary mm switched in and out, a TLB flush each: 212 entries took
 * 7-22 ms in the guest). The alias lives until plugsched_unmap_entries(),
 * right after stop_machine; while it lives, text_mutex keeps every other
 * writer of kernel text out. An entry that crosses a page boundary finds
 * its second page right after its first: both are in the sorted list, and
 * no page lies between two consecutive kernel addresses. Entries redirected
 * through ftrace are never written, and not mapped.
 */
static int plugsched_map_entries(void)
{
	unsigned int i, n = 0, nr_pages = 0;
	struct page **pages = NULL;
	unsigned long *va;
	int ret = -ENOMEM;

	va = kvmalloc_array(2 * plugsched_nr_patches, sizeof(*va), GFP_KERNEL);
	if (!va)
		return -ENOMEM;
	for (i = 0; i < plugsched_nr_patches; i++) {
		unsigned long site = (unsigned long)plugsched_patches[i].arch.site;
		unsigned long last = site + PLUGSCHED_PATCH_BYTES - 1;

		if (plugsched_patches[i].via_ftrace)
			continue;
		if (!core_kernel_text(site) || !core_kernel_text(last)) {
			pr_err("%s,%lu: its entry is not in the kernel's text\n",
			       plugsched_patches[i].r->name, plugsched_patches[i].r->sympos);
			ret = -EINVAL;
			goto out;
		}
		va[n++] = site & PAGE_MASK;
		if ((last & PAGE_MASK) != (site & PAGE_MASK))
			va[n++] = last & PAGE_MASK;
	}
	sort(va, n, sizeof(*va), plugsched_cmp_ulong, NULL);
	for (i = 0; i < n; i++)
		if (!nr_pages || va[i] != va[nr_pages - 1])
			va[nr_pages++] = va[i];
	pages = kvmalloc_array(nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		goto out;
	for (i = 0; i < nr_pages; i++)
		pages[i] = plugsched_image_page(va[i]);
	plugsched_entries_map = vmap(pages, nr_pages, VM_MAP, PAGE_KERNEL);
	if (!plugsched_entries_map)
		goto out;
	for (i = 0; i < plugsched_nr_patches; i++) {
		struct plugsched_patch *pp = &plugsched_patches[i];
		unsigned long site = (unsigned long)pp->arch.site, page = site & PAGE_MASK;
		unsigned long *found;

		if (pp->via_ftrace)
			continue;
		found = bsearch(&page, va, nr_pages, sizeof(*va), plugsched_cmp_ulong);
		pp->alias = plugsched_entries_map + (found - va) * PAGE_SIZE + offset_in_page(site);
		/* a takeover may have to put the predecessor's patch back (same site) */
		if (pp->from)
			pp->from->alias = pp->alias;
	}
	ret = 0;
out:
	kvfree(pages);
	kvfree(va);
	return ret;
}

/* Process context, after the stop_machine of the switch: the alias goes (vunmap() flushes its TLB entries). */
static void plugsched_unmap_entries(void)
{
	unsigned int i;

	for (i = 0; i < plugsched_nr_patches; i++) {
		plugsched_patches[i].alias = NULL;
		if (plugsched_patches[i].from)
			plugsched_patches[i].from->alias = NULL;
	}
	if (plugsched_entries_map)
		vunmap(plugsched_entries_map);
	plugsched_entries_map = NULL;
}

/* While one switch writes entries: what plugsched_int3_notify() (x86) looks at. */
static bool plugsched_writing;

/*
 * Every entry written in PLUGSCHED_WRITE_STEPS steps, each through every
 * entry's alias, with sync_all(data) between two steps (every CPU then
 * serializes its instruction stream once, and the writer waits for them).
 * Per entry, what is written is the entry's own patch (install) or saved
 * bytes (rollback), or in an undo of a takeover the predecessor's patch.
 * Entries redirected through ftrace are left alone.
 */
static void plugsched_write_steps(bool install, bool undo, void (*sync_all)(void *data), void *data)
{
	unsigned int i;
	int step;

	for (step = 0; step < PLUGSCHED_WRITE_STEPS; step++) {
		if (step)
			sync_all(data);
		for (i = 0; i < plugsched_nr_patches; i++) {
			struct plugsched_patch *pp = &plugsched_patches[i];

			if (pp->via_ftrace)
				continue;
			if (undo && install && pp->from)
				plugsched_arch_write_patch(pp->from, true, step);
			else
				plugsched_arch_write_patch(pp, undo ? !install : install, step);
		}
	}
}

/*
 * Inside stop_machine, on one CPU, after plugsched_verify_entries(): every
 * entry written (plugsched_write_steps), then every entry read back
 * through the kernel's own mapping, the one the CPUs execute. Anything but
 * the bytes just written (an alias of the wrong page would be a bug here)
 * puts the previous bytes back everywhere (in a takeover: the predecessor's
 * patch) and fails the switch; the caller then leaves the tables alone.
 * The other CPUs serve sync_all() meanwhile, and serialize once more after
 * the last step, before they leave stop_machine.
 */
static int plugsched_write_entries(bool install, void (*sync_all)(void *data), void *data)
{
	unsigned int i;
	int ret = 0;

	WRITE_ONCE(plugsched_writing, true);
	plugsched_write_steps(install, false, sync_all, data);
	for (i = 0; i < plugsched_nr_patches; i++)
		plugsched_patches[i].patched = install;
	for (i = 0; i < plugsched_nr_patches; i++) {
		const struct plugsched_patch *pp = &plugsched_patches[i];

		if (!plugsched_patch_intact(pp) || (i == 0 && plugsched_fault("write"))) {
			pr_err("%s,%lu: its entry does not read back what was written; undoing the switch\n",
			       pp->r->name, pp->r->sympos);
			sync_all(data);
			plugsched_write_steps(install, true, sync_all, data);
			for (i = 0; i < plugsched_nr_patches; i++)
				plugsched_patches[i].patched = !install;
			ret = -EIO;
			break;
		}
	}
	/* every CPU serializes before it leaves: then no int3 of ours is left to meet */
	sync_all(data);
	WRITE_ONCE(plugsched_writing, false);
	return ret;
}
