// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched_lp_test: a livepatch for the livepatch VM scenario
 * (tools/vm/scenarios/64-livepatch.sh). It replaces the scheduler syscall
 * sched_get_priority_max(), one of the functions a scheduler module
 * redirects, with one that answers 42 for SCHED_FIFO and SCHED_RR, so that
 * a shell (busybox chrt -m) sees which function runs.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

static long plugsched_lp_priority_max(const struct pt_regs *regs)
{
	int policy = regs->di;

	switch (policy) {
	case SCHED_FIFO:
	case SCHED_RR:
		return 42;
	case SCHED_NORMAL:
	case SCHED_BATCH:
	case SCHED_IDLE:
	case SCHED_DEADLINE:
		return 0;
	}
	return -EINVAL;
}

static struct klp_func plugsched_lp_funcs[] = {
	{
		.old_name = "__x64_sys_sched_get_priority_max",
		.new_func = plugsched_lp_priority_max,
	},
	{ }
};

static struct klp_object plugsched_lp_objs[] = {
	{
		/* name NULL: vmlinux */
		.funcs = plugsched_lp_funcs,
	},
	{ }
};

static struct klp_patch plugsched_lp_patch = {
	.mod = THIS_MODULE,
	.objs = plugsched_lp_objs,
};

static int __init plugsched_lp_init(void)
{
	return klp_enable_patch(&plugsched_lp_patch);
}

static void __exit plugsched_lp_exit(void)
{
}

module_init(plugsched_lp_init);
module_exit(plugsched_lp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("plugsched-nx test livepatch of sched_get_priority_max()");
