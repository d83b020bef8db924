// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the entries redirected through ftrace.
 *
 * A few kernel functions have no room for the patch after their ftrace
 * site: on x86 a static key follows the site (preempt_notifier_register),
 * on arm64 the function is too short (sched_post_fork, schedstat_stop).
 * Writing the patch over the site would take it from ftrace, which then
 * finds bytes it did not write the next time anyone traces or probes the
 * function (ftrace_bug, ftrace off until reboot). Such an entry
 * (pp->via_ftrace, set by the architecture) is redirected the way
 * livepatch does it: an ftrace_ops on its site, whose handler sends the
 * call on to the module's body. ftrace then owns the site: a tracer, a
 * kprobe or a BPF program on the function works while installed, and a
 * second user that changes where the function goes (a livepatch) is refused
 * by ftrace itself (FTRACE_OPS_FL_IPMODIFY).
 *
 * The ops is registered before the stop_machine of an install and
 * unregistered after the one of a rollback, so it exists across the switch;
 * what makes the handler redirect is that this module's scheduler is the
 * one in the kernel's sched_class tables, which the same stop_machine
 * switches with the other entries (classes.c). A takeover (handover.c)
 * cannot register a second IPMODIFY ops while the predecessor's is there:
 * it registers a plain one for the switch, and exchanges it for the
 * IPMODIFY one once the predecessor unregistered its own.
 */
#include <linux/ftrace.h>

/* Is this module's scheduler the one running (its methods in the kernel's class tables)? */
static bool plugsched_classes_ours(void)
{
	const struct plugsched_class *c = &plugsched_classes[0];

	return READ_ONCE(c->kernel->enqueue_task) == c->shadow->enqueue_task;
}

/* The entries redirected through ftrace, while an ops of ours is registered. */
static struct plugsched_patch **plugsched_ftrace_entries;
static unsigned int plugsched_nr_ftrace_entries;

/*
 * The ftrace handler of those entries, in whatever context the function
 * is called. notrace, and it calls nothing that could be traced.
 */
static void notrace plugsched_ftrace_redirect(unsigned long ip, unsigned long parent_ip,
					      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	unsigned int i;

	if (!regs || !plugsched_classes_ours())
		return;
	for (i = 0; i < plugsched_nr_ftrace_entries; i++) {
		const struct plugsched_patch *pp = plugsched_ftrace_entries[i];

		if ((unsigned long)pp->arch.site == ip) {
			instruction_pointer_set(regs, (unsigned long)pp->r->mod);
			return;
		}
	}
}

/* the one for installs, and the one of a takeover's switch (see above) */
static struct ftrace_ops plugsched_ftrace_ops = {
	.func = plugsched_ftrace_redirect,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static struct ftrace_ops plugsched_ftrace_handover_ops = {
	.func = plugsched_ftrace_redirect,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_PERMANENT,
};

static bool plugsched_ftrace_ops_on, plugsched_ftrace_handover_ops_on;

/* Its filter emptied again, entry by entry (an ops with an empty filter would trace everything). */
static void plugsched_ftrace_clear_filter(struct ftrace_ops *ops, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ftrace_set_filter_ip(ops, (unsigned long)plugsched_ftrace_entries[i]->arch.site, 1, 0);
}

/* Does an ops of ours redirect the entries through ftrace? */
static bool plugsched_ftrace_armed(void)
{
	return plugsched_ftrace_ops_on || plugsched_ftrace_handover_ops_on;
}

/* One ops, filtered to every such entry, registered; or an error (logged). Process context. */
static int plugsched_ftrace_register(struct ftrace_ops *ops)
{
	unsigned int i;
	int ret;

	for (i = 0; i < plugsched_nr_ftrace_entries; i++) {
		const struct plugsched_patch *pp = plugsched_ftrace_entries[i];

		ret = ftrace_set_filter_ip(ops, (unsigned long)pp->arch.site, 0, 0);
		if (ret) {
			pr_err("%s,%lu: ftrace does not accept a handler on it (%d); nothing was changed\n",
			       pp->r->name, pp->r->sympos, ret);
			plugsched_ftrace_clear_filter(ops, i);
			return ret;
		}
	}
	ret = plugsched_fault("ftrace") ? -EBUSY : register_ftrace_function(ops);
	if (!ret)
		return 0;
	pr_err("%s,%lu: ftrace refused the module's handler on it (%d): another user changes where it goes (a livepatch, or a kprobe that sets the return address), or ftrace is off (sysctl kernel.ftrace_enabled); remove that first\n",
	       plugsched_ftrace_entries[0]->r->name, plugsched_ftrace_entries[0]->r->sympos, ret);
	plugsched_ftrace_clear_filter(ops, plugsched_nr_ftrace_entries);
	return ret;
}

static void plugsched_ftrace_unregister(struct ftrace_ops *ops, bool *on)
{
	int ret;

	if (!*on)
		return;
	/* waits until no CPU and no preempted task is inside the handler */
	ret = unregister_ftrace_function(ops);
	if (ret)
		pr_err("unregistering the ftrace handler failed (%d)\n", ret);
	plugsched_ftrace_clear_filter(ops, plugsched_nr_ftrace_entries);
	*on = false;
}

/*
 * Before the stop_machine of an install (in a takeover, of its switch): the
 * handler registered on every entry redirected through ftrace, still idle.
 * Process context, plugsched_lock held.
 */
static int plugsched_ftrace_arm(bool takeover)
{
	struct ftrace_ops *ops = takeover ? &plugsched_ftrace_handover_ops : &plugsched_ftrace_ops;
	unsigned int i, n = 0;
	int ret;

	if (plugsched_ftrace_armed())
		return 0;
	for (i = 0; i < plugsched_nr_patches; i++)
		n += plugsched_patches[i].via_ftrace;
	if (!n)
		return 0;
	plugsched_ftrace_entries = kcalloc(n, sizeof(*plugsched_ftrace_entries), GFP_KERNEL);
	if (!plugsched_ftrace_entries)
		return -ENOMEM;
	for (i = 0; i < plugsched_nr_patches; i++)
		if (plugsched_patches[i].via_ftrace)
			plugsched_ftrace_entries[plugsched_nr_ftrace_entries++] = &plugsched_patches[i];
	ret = plugsched_ftrace_register(ops);
	if (ret) {
		kfree(plugsched_ftrace_entries);
		plugsched_ftrace_entries = NULL;
		plugsched_nr_ftrace_entries = 0;
		return ret;
	}
	if (takeover)
		plugsched_ftrace_handover_ops_on = true;
	else
		plugsched_ftrace_ops_on = true;
	pr_info("%u function%s redirected through an ftrace handler\n", n, n == 1 ? "" : "s");
	return 0;
}

/*
 * After a rollback, a failed install, or at unload: no ops of ours is left
 * on any entry. Process context.
 */
static void plugsched_ftrace_disarm(void)
{
	plugsched_ftrace_unregister(&plugsched_ftrace_ops, &plugsched_ftrace_ops_on);
	plugsched_ftrace_unregister(&plugsched_ftrace_handover_ops, &plugsched_ftrace_handover_ops_on);
	kfree(plugsched_ftrace_entries);
	plugsched_ftrace_entries = NULL;
	plugsched_nr_ftrace_entries = 0;
}

/*
 * After a takeover, once the predecessor unregistered its ops: the
 * IPMODIFY ops replaces the plain one of the switch (both redirect while
 * both are there, to the same place). If ftrace refuses it, the plain one
 * stays: the entries keep going to this module. Process context.
 */
static void plugsched_ftrace_settle(void)
{
	if (!plugsched_ftrace_handover_ops_on)
		return;
	if (plugsched_ftrace_register(&plugsched_ftrace_ops)) {
		pr_warn("the functions redirected through ftrace keep the takeover's handler, which does not keep other users that change where they go away\n");
		return;
	}
	plugsched_ftrace_ops_on = true;
	plugsched_ftrace_unregister(&plugsched_ftrace_handover_ops, &plugsched_ftrace_handover_ops_on);
}
