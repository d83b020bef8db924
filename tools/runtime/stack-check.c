// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the stack safety check.
 *
 * Before the switch, no task may be inside a kernel function that is about
 * to be redirected (it would return into code whose callees changed their
 * data under it); before the rollback, no task may hold an address of the
 * module on its stack (the module's text goes away). The kernel's __schedule
 * is exempt: every sleeping task is inside it, and the springboard makes that
 * safe. Runs inside stop_machine: each CPU walks every n-th thread and its own
 * idle task.
 */
#include <linux/sort.h>
#include <linux/stacktrace.h>
#include <linux/sched/task_stack.h>

#define PLUGSCHED_MAX_FRAMES	128

struct plugsched_range {
	unsigned long start, end;
	const char *name;
};

static struct plugsched_range *plugsched_ranges;
static unsigned int plugsched_nr_ranges;

struct plugsched_walk {
	bool install;
	unsigned int frames;
	unsigned long hit;
};

static int plugsched_range_cmp(const void *a, const void *b)
{
	const struct plugsched_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* The kernel functions to be redirected, sorted for binary search (process context). */
static int plugsched_build_ranges(struct plugsched_patch *patches, unsigned int n)
{
	unsigned int i, k = 0;

	plugsched_ranges = kvcalloc(n, sizeof(*plugsched_ranges), GFP_KERNEL);
	if (!plugsched_ranges)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		unsigned long start = (unsigned long)patches[i].r->orig;

		if (patches[i].r->orig == (void *)__orig___schedule)
			continue;
		plugsched_ranges[k].start = start;
		plugsched_ranges[k].end = start + patches[i].size;
		plugsched_ranges[k].name = patches[i].r->name;
		k++;
	}
	plugsched_nr_ranges = k;
	sort(plugsched_ranges, k, sizeof(*plugsched_ranges), plugsched_range_cmp, NULL);
	return 0;
}

static void plugsched_free_ranges(void)
{
	kvfree(plugsched_ranges);
	plugsched_ranges = NULL;
	plugsched_nr_ranges = 0;
}

static bool plugsched_in_redirected(unsigned long addr)
{
	unsigned int lo = 0, hi = plugsched_nr_ranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (addr < plugsched_ranges[mid].start)
			hi = mid;
		else if (addr >= plugsched_ranges[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool plugsched_stack_entry(void *cookie, unsigned long addr)
{
	struct plugsched_walk *w = cookie;
	bool busy = w->install ? plugsched_in_redirected(addr)
			       : within_module_core(addr, THIS_MODULE);

	if (busy) {
		w->hit = addr;
		return false;
	}
	return ++w->frames < PLUGSCHED_MAX_FRAMES;
}

/* 0, or -EBUSY with the culprit recorded for the log. */
static int plugsched_check_task(struct task_struct *p, bool install,
				struct task_struct **culprit, unsigned long *where)
{
	struct plugsched_walk w = { .install = install };

	if (!try_get_task_stack(p))
		return 0;
	arch_stack_walk(plugsched_stack_entry, &w, p, NULL);
	put_task_stack(p);
	if (!w.hit)
		return 0;
	*culprit = p;
	*where = w.hit;
	return -EBUSY;
}

/*
 * This CPU's share of the check: threads whose index is congruent to its
 * slot, and its idle task. Tasks running right now are the stop_machine
 * threads; the initiator sleeps in our own code and returns before any
 * text goes away.
 */
static int plugsched_check_stacks(bool install, unsigned int slot, unsigned int nr_slots,
				  struct task_struct *initiator,
				  struct task_struct **culprit, unsigned long *where)
{
	struct task_struct *g, *p;
	unsigned long i = 0;
	int ret;

	ret = plugsched_check_task(idle_task(smp_processor_id()), install, culprit, where);
	if (ret)
		return ret;
	for_each_process_thread(g, p) {
		if (i++ % nr_slots != slot)
			continue;
		if (p == initiator || task_curr(p))
			continue;
		ret = plugsched_check_task(p, install, culprit, where);
		if (ret)
			return ret;
	}
	return 0;
}
