// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the stack safety check.
 *
 * Before the switch, no task may be inside a kernel function that the module
 * supersedes: the redirected entries and every insider, whose kernel copies
 * stop being the scheduler's code (a task returning into one would run the
 * old code against data the module now owns). Their compiler clones and
 * .cold parts count too: a part lies outside [entry, entry + size). In a
 * takeover (handover.c) a task inside the predecessor's code counts too, as
 * at the predecessor's own rollback. Before the rollback, no task may hold
 * an address of the module on its stack (the module's text goes away).
 *
 * A walk that the unwinder cannot vouch for counts as busy: an unwinder
 * error, a walk that stops before the bottom of the stack, more frames than
 * PLUGSCHED_MAX_FRAMES. Where the kernel has a reliable unwinder
 * (CONFIG_HAVE_RELIABLE_STACKTRACE: x86-64 with ORC) it decides; arm64's 6.1
 * has none, so the frame records are walked here (see plugsched_walk_stack).
 *
 * The kernel's __schedule is exempt: every sleeping task is inside it, and
 * the springboard makes that safe. Runs once before stop_machine for every
 * task (stack-precheck.c), then inside it: each CPU walks every n-th thread
 * that ran or appeared since (recorded by tracepoints: stack-ran.c), and its
 * own idle task.
 */
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/bsearch.h>
#include <linux/sort.h>
#include <linux/stacktrace.h>
#include <linux/version.h>
#include <linux/sched/task_stack.h>
#include <asm/sections.h>

#if !defined(CONFIG_HAVE_RELIABLE_STACKTRACE) && !defined(CONFIG_ARM64)
#error "plugsched-nx: the stack check needs a reliable unwinder (CONFIG_HAVE_RELIABLE_STACKTRACE) or arm64's frame records"
#endif

#define PLUGSCHED_MAX_FRAMES	128

struct plugsched_range {
	unsigned long start, end;
	const char *name;
};

static struct plugsched_range *plugsched_ranges;
static unsigned int plugsched_nr_ranges;

/*
 * cpu_startup_entry() never returns: on an idle task's stack, whatever lies
 * below it is boot code that never runs again, and the boot CPU's part of it
 * is freed init text the unwinder cannot vouch for. A walk may stop there.
 */
static unsigned long plugsched_startup_start, plugsched_startup_end;

/*
 * Every kernel function the module supersedes, from the kernel's vmlinux at
 * extraction (superseded.h): PLUGSCHED_SUPERSEDED(name, sympos) is the plain
 * symbol, the sympos-th of its name in kallsyms order (0: the name is
 * unique); PLUGSCHED_SUPERSEDED_PART(name) is a compiler clone or .cold part,
 * and every kallsyms symbol so named is taken (one of them may belong to a
 * same-named function elsewhere: checking it too is only stricter).
 */
#define PLUGSCHED_ALL_OF_NAME	(-1)

struct plugsched_superseded {
	const char *name;
	int sympos;
	unsigned int seen;	/* symbols of this name met so far in the kallsyms walk */
	unsigned int taken;
};

static struct plugsched_superseded plugsched_superseded[] = {
#define PLUGSCHED_SUPERSEDED(name_, pos_)	{ .name = name_, .sympos = pos_ },
#define PLUGSCHED_SUPERSEDED_PART(name_)	{ .name = name_, .sympos = PLUGSCHED_ALL_OF_NAME },
#include "superseded.h"
#undef PLUGSCHED_SUPERSEDED
#undef PLUGSCHED_SUPERSEDED_PART
};

struct plugsched_collect {
	struct plugsched_range *ranges;
	unsigned int nr, cap;
	int err;
};

static int plugsched_superseded_cmp(const void *a, const void *b)
{
	const struct plugsched_superseded *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static bool plugsched_exempt(const char *name)
{
	return !strcmp(name, "__schedule") || !strncmp(name, "__schedule.", strlen("__schedule."));
}

static int plugsched_add_range(struct plugsched_collect *c, unsigned long start,
			       unsigned long end, const char *name)
{
	if (c->nr == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 1024;
		/* by hand: kvrealloc() changed its arguments in 6.11 */
		struct plugsched_range *r = kvmalloc_array(cap, sizeof(*r), GFP_KERNEL);

		if (!r)
			return -ENOMEM;
		if (c->nr)
			memcpy(r, c->ranges, c->nr * sizeof(*r));
		kvfree(c->ranges);
		c->ranges = r;
		c->cap = cap;
	}
	c->ranges[c->nr].start = start;
	c->ranges[c->nr].end = end;
	c->ranges[c->nr].name = name;
	c->nr++;
	return 0;
}

/* One kallsyms symbol: a range when it is a superseded function's. */
static int plugsched_collect_symbol(struct plugsched_collect *c, const char *name,
				    unsigned long addr)
{
	struct plugsched_superseded key = { .name = name }, *e;
	unsigned long size, offset;

	if (!plugsched_startup_start && !strcmp(name, "cpu_startup_entry") &&
	    kallsyms_lookup_size_offset(addr, &size, &offset) && !offset) {
		plugsched_startup_start = addr;
		plugsched_startup_end = addr + size;
	}
	e = bsearch(&key, plugsched_superseded, ARRAY_SIZE(plugsched_superseded),
		    sizeof(key), plugsched_superseded_cmp);
	if (!e)
		return 0;
	e->seen++;
	if (e->sympos > 0 && e->seen != e->sympos)
		return 0;
	e->taken++;
	if (!kallsyms_lookup_size_offset(addr, &size, &offset) || offset || !size) {
		pr_err("%s: kallsyms gives no extent for its address\n", name);
		c->err = -EINVAL;
		return c->err;
	}
	c->err = plugsched_add_range(c, addr, addr + size, e->name);
	return c->err;
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
static int plugsched_kallsyms_fn(void *data, const char *name, unsigned long addr)
{
	return plugsched_collect_symbol(data, name, addr);
}
#else
static int plugsched_kallsyms_fn(void *data, const char *name, struct module *mod,
				 unsigned long addr)
{
	return plugsched_collect_symbol(data, name, addr);
}
#endif

static int plugsched_range_cmp(const void *a, const void *b)
{
	const struct plugsched_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/*
 * The kernel functions the module supersedes, sorted and merged for binary
 * search (process context, module init): one walk of the kernel's symbols,
 * plus every redirected entry (covered by the table already; taken from the
 * patches too so that the check never depends on the two agreeing).
 */
static int plugsched_build_ranges(struct plugsched_patch *patches, unsigned int n)
{
	struct plugsched_collect c = { };
	unsigned int i, k;
	int ret;

	sort(plugsched_superseded, ARRAY_SIZE(plugsched_superseded),
	     sizeof(plugsched_superseded[0]), plugsched_superseded_cmp, NULL);
	for (i = 0; i < ARRAY_SIZE(plugsched_superseded); i++)
		plugsched_superseded[i].seen = plugsched_superseded[i].taken = 0;
	plugsched_startup_start = plugsched_startup_end = 0;
	ret = kallsyms_on_each_symbol(plugsched_kallsyms_fn, &c);
	if (!ret && c.err)
		ret = c.err;
	if (!ret && !plugsched_startup_start) {
		pr_err("cpu_startup_entry: not in kallsyms\n");
		ret = -ENOENT;
	}
	for (i = 0; !ret && i < ARRAY_SIZE(plugsched_superseded); i++) {
		const struct plugsched_superseded *e = &plugsched_superseded[i];

		if (e->sympos != PLUGSCHED_ALL_OF_NAME && !e->taken) {
			pr_err("%s,%d: the module supersedes it but the kernel has no such symbol (built for another kernel?)\n",
			       e->name, e->sympos);
			ret = -ENOENT;
		}
	}
	for (i = 0; !ret && i < n; i++) {
		unsigned long start = (unsigned long)patches[i].r->orig;

		if (!plugsched_exempt(patches[i].r->name))
			ret = plugsched_add_range(&c, start, start + patches[i].size, patches[i].r->name);
	}
	if (ret) {
		kvfree(c.ranges);
		return ret;
	}
	/* Exempt last: the table names __schedule's parts like any other. */
	for (i = 0, k = 0; i < c.nr; i++)
		if (!plugsched_exempt(c.ranges[i].name))
			c.ranges[k++] = c.ranges[i];
	c.nr = k;
	sort(c.ranges, c.nr, sizeof(*c.ranges), plugsched_range_cmp, NULL);
	/* Aliases and the patches' copies overlap: merge, so the search sees disjoint ranges. */
	for (i = 1, k = 0; i < c.nr; i++) {
		if (c.ranges[i].start < c.ranges[k].end)
			c.ranges[k].end = max(c.ranges[k].end, c.ranges[i].end);
		else
			c.ranges[++k] = c.ranges[i];
	}
	plugsched_ranges = c.ranges;
	plugsched_nr_ranges = c.nr ? k + 1 : 0;
	pr_info("stack check: %u kernel ranges superseded (%zu functions and parts)\n",
		plugsched_nr_ranges, ARRAY_SIZE(plugsched_superseded));
	return 0;
}

static void plugsched_free_ranges(void)
{
	kvfree(plugsched_ranges);
	plugsched_ranges = NULL;
	plugsched_nr_ranges = 0;
}

static bool plugsched_in_superseded(unsigned long addr)
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

struct plugsched_walk {
	bool install;
	bool idle;
	bool bottom;		/* reached cpu_startup_entry on an idle task */
	unsigned int frames;
	unsigned long hit;
	unsigned long last;	/* the last address seen: named when the walk is not vouched for */
};

static bool plugsched_in_predecessor(unsigned long addr);

/* false stops the walk: a hit, the bottom of an idle task, or too many frames. */
static bool plugsched_stack_entry(void *cookie, unsigned long addr)
{
	struct plugsched_walk *w = cookie;
	bool busy = w->install ? plugsched_in_superseded(addr) || plugsched_in_predecessor(addr)
			       : within_module_core(addr, THIS_MODULE);

	w->last = addr;
	if (busy) {
		w->hit = addr;
		return false;
	}
	if (w->idle && addr >= plugsched_startup_start && addr < plugsched_startup_end) {
		w->bottom = true;
		return false;
	}
	return ++w->frames < PLUGSCHED_MAX_FRAMES;
}

#if defined(CONFIG_HAVE_RELIABLE_STACKTRACE)

/* 0 when the unwinder vouches for the whole stack (it fails when the consumer stops it). */
static int plugsched_walk_stack(struct task_struct *p, struct plugsched_walk *w)
{
	return arch_stack_walk_reliable(plugsched_stack_entry, w, p);
}

#else /* CONFIG_ARM64 */

#include <asm/pointer_auth.h>
#include <asm/stacktrace.h>

/*
 * arm64 without a reliable unwinder: the task's frame records, walked with
 * the kernel's own record reader (asm/stacktrace/common.h) on the task's
 * stack only (a task that is not running has no other), and vouched for only
 * when the walk ends at the final record the entry code put in the task's
 * pt_regs. Anything else fails:
 *  - a bad record (misaligned, off the stack, not strictly upwards);
 *  - a return address a tracer replaced (function graph, kretprobes): the
 *    real one is elsewhere;
 *  - a kernel-mode exception mid-stack (a frame in the entry text that is not
 *    the bottom one): its record holds ELR but not LR, so when the faulting
 *    function had not stored its return address in a record yet (a leaf,
 *    copy_to_user faulting on a user page and sleeping in the fault), its
 *    caller's frame is on no record. The saved pt_regs' pc and lr are
 *    checked, for the message, and the stack counts as busy either way.
 */
static int plugsched_walk_stack(struct task_struct *p, struct plugsched_walk *w)
{
	struct stack_info stacks[] = { stackinfo_get_task(p) };
	struct stack_info task_stack = stackinfo_get_task(p);
	struct unwind_state state = { .stacks = stacks, .nr_stacks = ARRAY_SIZE(stacks) };
	unsigned long final = (unsigned long)task_pt_regs(p)->stackframe;
	int err;

	unwind_init_common(&state, p);
	state.fp = thread_saved_fp(p);
	state.pc = thread_saved_pc(p);
	for (;;) {
		unsigned long pc = ptrauth_strip_insn_pac(state.pc);

#ifdef CONFIG_FUNCTION_GRAPH_TRACER
		if (pc == (unsigned long)return_to_handler)
			return -EINVAL;
#endif
		if (is_kretprobe_trampoline(pc))
			return -EINVAL;
		if (!plugsched_stack_entry(w, pc))
			return -EINVAL;
		if (state.fp == final)
			return 0;
		if (pc >= (unsigned long)__entry_text_start && pc < (unsigned long)__entry_text_end) {
			struct pt_regs *regs = container_of((u64 *)state.fp, struct pt_regs, stackframe[0]);

			if (stackinfo_on_stack(&task_stack, (unsigned long)regs, sizeof(*regs)) &&
			    plugsched_stack_entry(w, ptrauth_strip_insn_pac(regs->pc)))
				plugsched_stack_entry(w, ptrauth_strip_insn_pac(regs->regs[30]));
			return -EINVAL;
		}
		err = unwind_next_frame_record(&state);
		if (err)
			return err;
	}
}

#endif

/* 0, or -EBUSY with the culprit recorded for the log. */
static int plugsched_check_task(struct task_struct *p, bool install,
				struct task_struct **culprit, unsigned long *where)
{
	struct plugsched_walk w = { .install = install, .idle = is_idle_task(p) };
	int ret;

	if (!try_get_task_stack(p))
		return 0;
	ret = plugsched_walk_stack(p, &w);
	put_task_stack(p);
	if (!w.hit && (!ret || w.bottom))
		return 0;
	/*
	 * A hit names the function; a walk nobody vouches for names the last
	 * frame it reached (the task is inside that, at least).
	 */
	*culprit = p;
	*where = w.hit ? w.hit : w.last ? w.last : 1;
	return -EBUSY;
}

/* Why a task is walked again under stop_machine (PLUGSCHED_WALK_SKIP: it is not). */
enum plugsched_walk_why {
	PLUGSCHED_WALK_SKIP,
	PLUGSCHED_WALK_NEW,
	PLUGSCHED_WALK_RAN,
	PLUGSCHED_WALK_UNVOUCHED,
};

static const char * const plugsched_walk_why_text[] = {
	[PLUGSCHED_WALK_SKIP] = "in the walk before stop_machine",
	[PLUGSCHED_WALK_NEW] = "under stop_machine: new since the walk before",
	[PLUGSCHED_WALK_RAN] = "under stop_machine: ran since the walk before",
	[PLUGSCHED_WALK_UNVOUCHED] = "under stop_machine: not vouched for by the walk before",
};

static int plugsched_walk_why(const struct task_struct *p);
static int plugsched_check_recorded(bool install, unsigned int slot, unsigned int nr_slots,
				    struct task_struct *initiator, struct task_struct **culprit,
				    unsigned long *where, int *why);

/*
 * This CPU's share of the check: threads whose index is congruent to its
 * slot, and its idle task. Tasks running right now are the stop_machine
 * threads; the initiator sleeps in our own code and returns before any
 * text goes away. A task the walk before stop_machine vouched for and that
 * has not run since is not walked again (stack-precheck.c).
 */
static int plugsched_check_stacks(bool install, unsigned int slot, unsigned int nr_slots,
				  struct task_struct *initiator,
				  struct task_struct **culprit, unsigned long *where, int *why)
{
	struct task_struct *g, *p;
	unsigned long i = 0;
	int ret;

	*why = PLUGSCHED_WALK_NEW;	/* an idle task is walked every time */
	ret = plugsched_check_task(idle_task(smp_processor_id()), install, culprit, where);
	if (ret)
		return ret;
	/* the tasks recorded since the walk began, when the record is whole */
	ret = plugsched_check_recorded(install, slot, nr_slots, initiator, culprit, where, why);
	if (ret != -ENODATA)
		return ret;
	for_each_process_thread(g, p) {
		if (i++ % nr_slots != slot)
			continue;
		if (p == initiator || task_curr(p))
			continue;
		*why = plugsched_walk_why(p);
		if (*why == PLUGSCHED_WALK_SKIP)
			continue;
		ret = plugsched_check_task(p, install, culprit, where);
		if (ret)
			return ret;
	}
	return 0;
}
