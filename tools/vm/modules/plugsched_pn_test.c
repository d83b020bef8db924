// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched_pn_test: a test module for the tracing VM scenario
 * (tools/vm/scenarios/60-tracing.sh). At load it registers and unregisters
 * one preempt notifier, so preempt_notifier_register() runs once: on x86
 * the scheduler module redirects that function through an ftrace handler
 * (tools/runtime/ftrace-entries.c), and a kprobe on the module's copy
 * shows where the call went. It keeps nothing registered; unload it after.
 */
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>

static void plugsched_pn_sched_in(struct preempt_notifier *notifier, int cpu)
{
}

static void plugsched_pn_sched_out(struct preempt_notifier *notifier, struct task_struct *next)
{
}

static struct preempt_ops plugsched_pn_ops = {
	.sched_in = plugsched_pn_sched_in,
	.sched_out = plugsched_pn_sched_out,
};

static int __init plugsched_pn_init(void)
{
	struct preempt_notifier notifier;

	preempt_notifier_inc();
	preempt_notifier_init(&notifier, &plugsched_pn_ops);
	preempt_notifier_register(&notifier);
	preempt_notifier_unregister(&notifier);
	preempt_notifier_dec();
	return 0;
}

static void __exit plugsched_pn_exit(void)
{
}

module_init(plugsched_pn_init);
module_exit(plugsched_pn_exit);
MODULE_DESCRIPTION("plugsched-nx VM test: one call of preempt_notifier_register()");
MODULE_LICENSE("GPL");
