// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: sched_ext (docs/runtime.md, "sched_ext").
 *
 * With CONFIG_SCHED_CLASS_EXT the kernel has a sixth class whose tasks, while
 * a BPF scheduler is attached, live in queues the BPF program owns (its
 * dispatch queues and BPF maps): the state rebuild (requeue.c) cannot take
 * them off and put them back. So a switch, install or rollback, goes ahead
 * only while no BPF scheduler is attached; with none, every SCHED_EXT task
 * is run by the fair class and the ext class has no task of its own.
 *
 * Attached means either of: the scx_enabled() static key is on (from the
 * middle of an enable to the middle of a disable), or scx_root is set (the
 * whole lifetime of a root scheduler, from before its tasks switch to after
 * they have switched back). scx_root changes only with cpus_read_lock()
 * held, and the switch holds it from the check below to the end of
 * stop_machine; the check runs again under stop_machine all the same. An
 * enable still on its way to scx_root is inside the boundary's ext code,
 * which the stack check refuses (EBUSY, retried).
 */
#ifdef CONFIG_SCHED_CLASS_EXT

struct scx_sched;
/* kernel/sched/ext/ext.c (7.2); the runtime reads whether it is set */
extern struct scx_sched __rcu *scx_root;

static bool plugsched_scx_attached(void)
{
	return static_key_enabled(&__scx_enabled) || rcu_access_pointer(scx_root);
}

/*
 * Process context, before anything is prepared, and again under
 * stop_machine (quiet: the caller reports). -EPERM, which the installer
 * does not retry: the BPF scheduler stays until someone detaches it.
 */
static int plugsched_scx_check(bool install, bool quiet)
{
	if (!plugsched_scx_attached())
		return 0;
	if (!quiet)
		pr_err("%s refused: a sched_ext BPF scheduler is attached (scx_enabled: %s, scx_root: %s; its name in /sys/kernel/sched_ext/root/ops); its tasks are in queues the BPF program owns, which the switch cannot move. Detach it (stop the program that loaded it), then %s again; nothing was written\n",
		       install ? "install" : "rollback",
		       static_key_enabled(&__scx_enabled) ? "on" : "off",
		       rcu_access_pointer(scx_root) ? "set" : "unset",
		       install ? "install" : "roll back");
	return -EPERM;
}

#else /* !CONFIG_SCHED_CLASS_EXT: no BPF scheduler can attach */

static int plugsched_scx_check(bool install, bool quiet)
{
	return 0;
}

#endif /* CONFIG_SCHED_CLASS_EXT */
