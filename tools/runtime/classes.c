// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the sched_class tables.
 *
 * The kernel compares p->sched_class with &fair_sched_class and walks the
 * classes by address, so tasks keep pointing at the kernel's tables; what
 * changes is their content. The module's tables (shadow_*_sched_class, made
 * by extraction from DEFINE_SCHED_CLASS) are copied over the kernel's
 * read-only ones through a writable alias mapped before stop_machine, and
 * the kernel's content is copied back on rollback.
 */
#include <linux/vmalloc.h>

/*
 * sched_ext (6.12) is a sixth class whose tasks live in BPF-owned queues that
 * the state rebuild cannot walk. Debian's 6.12 cloud config leaves it off;
 * sid's 7.2 has it: its table is replaced like the others, and a switch goes
 * ahead only while no BPF scheduler is attached (scx-guard.c), when the class
 * has no task of its own.
 */
#ifdef CONFIG_SCHED_CLASS_EXT
extern const struct sched_class shadow_ext_sched_class;
#endif

extern const struct sched_class shadow_stop_sched_class;
extern const struct sched_class shadow_dl_sched_class;
extern const struct sched_class shadow_rt_sched_class;
extern const struct sched_class shadow_fair_sched_class;
extern const struct sched_class shadow_idle_sched_class;

struct plugsched_class {
	const char *name;
	const struct sched_class *kernel;
	const struct sched_class *shadow;
	struct sched_class saved;
	void *map;
	struct sched_class *alias;
};

static struct plugsched_class plugsched_classes[] = {
	{ "stop", &stop_sched_class, &shadow_stop_sched_class },
	{ "dl", &dl_sched_class, &shadow_dl_sched_class },
	{ "rt", &rt_sched_class, &shadow_rt_sched_class },
	{ "fair", &fair_sched_class, &shadow_fair_sched_class },
#ifdef CONFIG_SCHED_CLASS_EXT
	{ "ext", &ext_sched_class, &shadow_ext_sched_class },
#endif
	{ "idle", &idle_sched_class, &shadow_idle_sched_class },
};

static void plugsched_unmap_classes(void)
{
	struct plugsched_class *c;

	for (c = plugsched_classes; c < plugsched_classes + ARRAY_SIZE(plugsched_classes); c++) {
		if (c->map)
			vunmap(c->map);
		c->map = NULL;
		c->alias = NULL;
	}
}

/* Process context: writable aliases of the kernel's tables, and their content saved. */
static int plugsched_map_classes(void)
{
	struct plugsched_class *c;

	for (c = plugsched_classes; c < plugsched_classes + ARRAY_SIZE(plugsched_classes); c++) {
		unsigned long addr = (unsigned long)c->kernel;
		unsigned int off = offset_in_page(addr);
		struct page *pages[2];
		int n = off + sizeof(struct sched_class) > PAGE_SIZE ? 2 : 1;

		pages[0] = plugsched_image_page(addr);
		pages[1] = plugsched_image_page(addr + PAGE_SIZE);
		c->map = vmap(pages, n, VM_MAP, PAGE_KERNEL);
		if (!c->map) {
			plugsched_unmap_classes();
			return -ENOMEM;
		}
		c->alias = c->map + off;
		memcpy(&c->saved, c->kernel, sizeof(c->saved));
	}
	return 0;
}

/* Do the kernel's tables hold the module's methods (or the kernel's own)? Process context. */
static bool plugsched_classes_hold(bool module)
{
	struct plugsched_class *c;

	for (c = plugsched_classes; c < plugsched_classes + ARRAY_SIZE(plugsched_classes); c++)
		if (memcmp(c->kernel, module ? c->shadow : &c->saved, sizeof(struct sched_class)))
			return false;
	return true;
}

/* Inside stop_machine, on one CPU. */
static void plugsched_switch_classes(bool install)
{
	struct plugsched_class *c;

	for (c = plugsched_classes; c < plugsched_classes + ARRAY_SIZE(plugsched_classes); c++)
		memcpy(c->alias, install ? c->shadow : &c->saved, sizeof(struct sched_class));
}
