// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: livepatches and the module's scheduler (docs/runtime.md,
 * "Livepatches"). A livepatch (kpatch builds them too) takes a function over at
 * its ftrace site, which runs before our jump: one that patched a redirected
 * function after the install would silently send its callers past the
 * module. So:
 *   - loaded before an install, its active ftrace sites make the install
 *     refuse the functions it patches (plugsched_arch_prepare_patch);
 *   - loaded while the module's scheduler is installed, it is refused at
 *     load (its init, where it enables itself, never runs), with the reason;
 *   - an install waits for no livepatch: one that is loading (between its
 *     load and the end of its init) makes the install fail with EAGAIN.
 * The module notifier runs in the loading task, which may sleep.
 */
#include <linux/module.h>
#include <linux/notifier.h>

/* livepatch modules between MODULE_STATE_COMING and LIVE or GOING */
static atomic_t plugsched_livepatches_loading;

static int plugsched_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;

	if (!is_livepatch_module(mod))
		return NOTIFY_DONE;
	if (action == MODULE_STATE_LIVE || action == MODULE_STATE_GOING) {
		atomic_dec_if_positive(&plugsched_livepatches_loading);
		return NOTIFY_DONE;
	}
	if (action != MODULE_STATE_COMING)
		return NOTIFY_DONE;
	mutex_lock(&plugsched_lock);
	if (READ_ONCE(plugsched_installed)) {
		mutex_unlock(&plugsched_lock);
		pr_err("refusing the livepatch module %s: a livepatch would take over redirected functions before the module's jump, so the scheduler module would silently stop running there; roll back (echo 0 > /sys/kernel/plugsched/enable), load the livepatch, then install again (which refuses the functions it patches)\n",
		       mod->name);
		return notifier_from_errno(-EBUSY);
	}
	atomic_inc(&plugsched_livepatches_loading);
	mutex_unlock(&plugsched_lock);
	return NOTIFY_DONE;
}

static struct notifier_block plugsched_module_nb = {
	.notifier_call = plugsched_module_notify,
};

/* Process context, plugsched_lock held: may this install go ahead? */
static int plugsched_livepatch_check(void)
{
	if (atomic_read(&plugsched_livepatches_loading)) {
		pr_err("install refused: a livepatch module is being loaded; try again once it is live\n");
		return -EAGAIN;
	}
	return 0;
}

static int plugsched_livepatch_guard_init(void)
{
	return register_module_notifier(&plugsched_module_nb);
}

static void plugsched_livepatch_guard_exit(void)
{
	unregister_module_notifier(&plugsched_module_nb);
}
