// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: which tasks ran or appeared since the walk before
 * stop_machine, recorded as it happens.
 *
 * Under stop_machine only those tasks are walked again (stack-precheck.c),
 * but finding them by visiting every task and looking its record up costs
 * time in proportion to the number of threads, with the machine stopped.
 * So two tracepoint probes record them: one on sched_switch (the task
 * switched to) and one on sched_process_fork (the child). They are
 * registered once, at module load, and record only while a switch attempt
 * has sets out (from before its walk until after its stop_machine):
 * registering flips the tracepoints' static keys, a text rewrite inside
 * __schedule() that is better not done at every attempt. Each CPU keeps its
 * own set of the tasks it saw, holding a reference on each, so that under
 * stop_machine the CPUs walk the union of these sets and no other task.
 *
 * Why nothing is missed: a kernel stack changes only while its task runs,
 * and a task runs only after __schedule() switched to it (prev != next,
 * where trace_sched_switch() fires). Once the sets are published and every
 * CPU has taken an interrupt after that (so it sees them), every later
 * switch to a task is recorded, so a task
 * the walk saw off its CPU and that is in no set has not run since. A task
 * on a CPU at its walk has no clean record and is walked again anyway.
 * A task forked after the registration is recorded by the fork probe, or,
 * when made by copy_process() without kernel_clone() (io_uring and vhost
 * workers), by the switch probe the first time it runs; until then its
 * stack holds only the frame that fork made (ret_from_fork), no scheduler
 * function and no module address.
 *
 * When a set is full, or the probes could not be registered, the check
 * under stop_machine visits every task as before (plugsched_ran_usable()).
 */
#include <linux/hash.h>
#include <linux/ratelimit.h>

struct plugsched_ran_entry {
	struct task_struct *task;
	bool forked;		/* recorded by the fork probe */
};

struct plugsched_ran_cpu {
	unsigned int nr, cap, hash_bits;
	bool overflow;
	struct plugsched_ran_entry *entries;
	struct task_struct **hash;	/* 1 << hash_bits slots: no task twice */
};

/* the sets of one attempt, one per possible CPU; NULL: not recording */
static struct plugsched_ran_cpu *plugsched_ran;
static bool plugsched_ran_registered;
/* when the sets went out: a task started after it is new since the walk */
static u64 plugsched_ran_since;

/*
 * Off by default for now. The use-after-free seen with it on (issue #16)
 * came from the walk before stop_machine leaving only the inner loop of
 * for_each_process_thread() when a task it stood on went away
 * (stack-precheck.c), and shows with the record off too; the silent hang
 * seen with it on is most likely the same (not reproduced). The record goes
 * on by default once the scenarios have run with it twice. On at load
 * (record_ran=1), the record is used.
 */
static bool record_ran;
module_param(record_ran, bool, 0400);
MODULE_PARM_DESC(record_ran, "experimental: record the tasks that run with sched_switch/sched_process_fork probes, so that stop_machine walks only those (off: every task is looked up)");

/*
 * Test hook: the check under stop_machine visits every task, as it does
 * when a set overflows (the stack-recheck scenario proves both paths).
 */
static bool recheck_visit_all;
module_param(recheck_visit_all, bool, 0600);
MODULE_PARM_DESC(recheck_visit_all, "test hook: under stop_machine, look every task up instead of taking the tasks the tracepoints recorded");

/*
 * Debugging aid, off by default: take the walk's and the record's task
 * references with refcount_inc_not_zero(), so that a task whose count is
 * already 0 (freed, or an over-put elsewhere) is reported with its pid and
 * exit state and not used, instead of a refcount_t WARN (which, from the
 * sched_switch probe under the runqueue lock, may deadlock in printk: the
 * probe reports with printk_deferred, and the record is then not trusted).
 */
static bool debug_refs;
module_param(debug_refs, bool, 0600);
MODULE_PARM_DESC(debug_refs, "debugging aid: take task references with refcount_inc_not_zero and report a task whose count is 0");

/* Either probe, with preemption disabled (every tracepoint call is). */
static void plugsched_ran_note(struct task_struct *p, bool forked)
{
	/* pairs with the release in plugsched_ran_begin(): the sets are set up */
	struct plugsched_ran_cpu *all = smp_load_acquire(&plugsched_ran), *c;
	u32 mask, h;

	if (!all)
		return;
	c = &all[raw_smp_processor_id()];
	mask = (1U << c->hash_bits) - 1;
	h = hash_ptr(p, c->hash_bits);
	while (c->hash[h]) {
		if (c->hash[h] == p)
			return;
		h = (h + 1) & mask;
	}
	if (c->nr == c->cap) {
		WRITE_ONCE(c->overflow, true);
		return;
	}
	if (!READ_ONCE(debug_refs)) {
		get_task_struct(p);
	} else if (!refcount_inc_not_zero(&p->usage)) {
		/* __ratelimit() only trylocks a raw spinlock: fine under the runqueue lock */
		static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST);

		if (__ratelimit(&rs))
			printk_deferred(KERN_WARNING pr_fmt("stack check: the record met a task with no reference left: pid %d exit_state %d flags %#x %s\n"),
					READ_ONCE(p->pid), READ_ONCE(p->exit_state), READ_ONCE(p->flags),
					forked ? "(forked)" : "(switched to)");
		WRITE_ONCE(c->overflow, true);
		return;
	}
	c->hash[h] = p;
	c->entries[c->nr].task = p;
	c->entries[c->nr].forked = forked;
	c->nr++;
}

static void plugsched_ran_switch_probe(void *data, bool preempt, struct task_struct *prev,
				       struct task_struct *next
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
				       , unsigned int prev_state
#endif
				       )
{
	plugsched_ran_note(next, false);
}

static void plugsched_ran_fork_probe(void *data, struct task_struct *parent,
				     struct task_struct *child)
{
	plugsched_ran_note(child, true);
}

static void plugsched_ran_sync_cpu(void *info)
{
}

static void plugsched_ran_free(struct plugsched_ran_cpu *all)
{
	unsigned int cpu, i;

	if (!all)
		return;
	for_each_possible_cpu(cpu) {
		struct plugsched_ran_cpu *c = &all[cpu];

		for (i = 0; i < c->nr; i++)
			put_task_struct(c->entries[i].task);
		kvfree(c->entries);
		kvfree(c->hash);
	}
	kfree(all);
}

/* Module init: the probes, which record nothing until an attempt begins. */
static void plugsched_ran_init(void)
{
	if (register_trace_sched_switch(plugsched_ran_switch_probe, NULL))
		goto fail;
	if (register_trace_sched_process_fork(plugsched_ran_fork_probe, NULL)) {
		unregister_trace_sched_switch(plugsched_ran_switch_probe, NULL);
		tracepoint_synchronize_unregister();
		goto fail;
	}
	plugsched_ran_registered = true;
	return;
fail:
	pr_info("stack check: the sched_switch and sched_process_fork probes were refused: every task is looked up under stop_machine\n");
}

/* Module exit or failed init: no probe runs module code after this. */
static void plugsched_ran_exit(void)
{
	if (!plugsched_ran_registered)
		return;
	unregister_trace_sched_process_fork(plugsched_ran_fork_probe, NULL);
	unregister_trace_sched_switch(plugsched_ran_switch_probe, NULL);
	tracepoint_synchronize_unregister();
	plugsched_ran_registered = false;
}

/*
 * Process context, before the walk: start recording. Without memory or
 * without the probes nothing is recorded and the check under stop_machine
 * visits every task.
 */
static void plugsched_ran_begin(void)
{
	struct plugsched_ran_cpu *all;
	unsigned int cpu, cap, bits;

	if (!plugsched_ran_registered)
		return;
	/* every thread once, on any CPU, but not all of them on each of many CPUs */
	cap = min_t(unsigned int, nr_threads + nr_threads / 4 + 256,
		    4 * nr_threads / num_online_cpus() + 1024);
	bits = ilog2(roundup_pow_of_two(2 * cap));
	all = kcalloc(nr_cpu_ids, sizeof(*all), GFP_KERNEL);
	if (!all)
		goto fail;
	for_each_possible_cpu(cpu) {
		struct plugsched_ran_cpu *c = &all[cpu];

		c->cap = cap;
		c->hash_bits = bits;
		c->entries = kvmalloc_array(cap, sizeof(*c->entries), GFP_KERNEL);
		c->hash = kvcalloc(1U << bits, sizeof(*c->hash), GFP_KERNEL);
		if (!c->entries || !c->hash)
			goto fail;
	}
	plugsched_ran_since = ktime_get_ns();
	smp_store_release(&plugsched_ran, all);	/* the sets before the pointer */
	/*
	 * An interrupt on every CPU: from its return on, each CPU's probes
	 * see the sets and record every switch and fork.
	 */
	on_each_cpu(plugsched_ran_sync_cpu, NULL, 1);
	return;
fail:
	pr_info("stack check: no memory to record the tasks that run: every task is looked up under stop_machine\n");
	plugsched_ran_free(all);
}

/* Process context, after stop_machine: stop recording, drop the references. */
static void plugsched_ran_end(void)
{
	struct plugsched_ran_cpu *all = plugsched_ran;

	if (!all)
		return;
	WRITE_ONCE(plugsched_ran, NULL);
	/* probes run with preemption disabled: after this none holds the sets */
	synchronize_rcu();
	plugsched_ran_free(all);
}

/* Under stop_machine: is the record whole, so that only its tasks need a walk? */
static bool plugsched_ran_usable(void)
{
	unsigned int cpu;

	if (!plugsched_ran || READ_ONCE(recheck_visit_all))
		return false;
	for_each_possible_cpu(cpu)
		if (READ_ONCE(plugsched_ran[cpu].overflow))
			return false;
	return true;
}
