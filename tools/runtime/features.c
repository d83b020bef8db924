// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: sched features, carried across each switch.
 *
 * The module has its own sysctl_sched_features and static keys, and its
 * features.h may add features or change a default. kernel-features.h is the
 * kernel's features.h, copied at extraction: it gives the kernel's defaults.
 * For a feature both know (matched by name) the rule, both ways, is:
 *
 *   what the admin changed wins; otherwise the incoming scheduler's default.
 *
 * At install a feature whose kernel value differs from the kernel's default
 * (echo NO_X > /sys/kernel/debug/sched/features before the install) keeps
 * that value in the module; any other starts at the variant's default, so a
 * variant that ships SCHED_FEAT(X, false) where the kernel has true runs
 * with X off. At rollback the same the other way: a feature toggled while
 * the module ran keeps its new value in the kernel; any other is left as the
 * kernel had it (its default, or what the admin had set before the install:
 * nothing in the kernel changes them meanwhile).
 * The variant's own features (the kernel has none of that name) start at
 * their defaults and leave with the module.
 */
#define SCHED_FEAT(name, enabled) #name,
static const char * const plugsched_kernel_feats[] = {
#include "kernel-features.h"
};
static const char * const plugsched_module_feats[] = {
#include "../features.h"
};
#undef SCHED_FEAT

#define SCHED_FEAT(name, enabled) (enabled),
static const bool plugsched_kernel_defaults[] = {
#include "kernel-features.h"
};
static const bool plugsched_module_defaults[] = {
#include "../features.h"
};
#undef SCHED_FEAT

extern unsigned int __orig_sysctl_sched_features;
/* The module's features as the install left them: what changed since was set while installed. */
static unsigned int plugsched_feats_at_install;
#ifdef CONFIG_JUMP_LABEL
extern struct static_key __orig_sched_feat_keys[];
#endif

static bool plugsched_module_feat(unsigned int i)
{
	return sysctl_sched_features & (1U << i);
}

static bool plugsched_kernel_feat(unsigned int k)
{
	return READ_ONCE(__orig_sysctl_sched_features) & (1U << k);
}

/* Process context, CPU hotplug locked: the module's scheduler is not running. */
static void plugsched_set_feature(unsigned int i, bool on)
{
	if (plugsched_module_feat(i) == on)
		return;
#ifdef CONFIG_JUMP_LABEL
	if (on)
		static_key_enable_cpuslocked(&sched_feat_keys[i]);
	else
		static_key_disable_cpuslocked(&sched_feat_keys[i]);
#endif
	sysctl_sched_features ^= 1U << i;
}

/*
 * Process context, CPU hotplug locked, after the rollback: the kernel's
 * scheduler runs again and changes its features the way its own
 * sched_feat_write() does.
 */
static void plugsched_set_kernel_feature(unsigned int k, bool on)
{
	if (plugsched_kernel_feat(k) == on)
		return;
#ifdef CONFIG_JUMP_LABEL
	if (on)
		static_key_enable_cpuslocked(&__orig_sched_feat_keys[k]);
	else
		static_key_disable_cpuslocked(&__orig_sched_feat_keys[k]);
#endif
	WRITE_ONCE(__orig_sysctl_sched_features, __orig_sysctl_sched_features ^ (1U << k));
}

/* The module's index of the kernel's feature k, or -1. */
static int plugsched_shared_feat(unsigned int k)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(plugsched_module_feats); i++)
		if (!strcmp(plugsched_kernel_feats[k], plugsched_module_feats[i]))
			return i;
	return -1;
}

/* Before the install; process context, CPU hotplug locked. */
static void plugsched_features_in(void)
{
	unsigned int k;
	int i;

	for (k = 0; k < ARRAY_SIZE(plugsched_kernel_feats); k++) {
		bool now = plugsched_kernel_feat(k);

		i = plugsched_shared_feat(k);
		if (i < 0)
			continue;
		if (now != plugsched_kernel_defaults[k]) {
			plugsched_set_feature(i, now);
			pr_info("sched feature %s%s: set before the install, carried in\n",
				now ? "" : "NO_", plugsched_kernel_feats[k]);
		} else {
			plugsched_set_feature(i, plugsched_module_defaults[i]);
			if (plugsched_module_defaults[i] != now)
				pr_info("sched feature %s%s: the variant's default\n",
					plugsched_module_defaults[i] ? "" : "NO_",
					plugsched_module_feats[i]);
		}
	}
	plugsched_feats_at_install = sysctl_sched_features;
}

/* After the rollback; process context. */
static void plugsched_features_out(void)
{
	unsigned int k;
	int i;

	cpus_read_lock();
	for (k = 0; k < ARRAY_SIZE(plugsched_kernel_feats); k++) {
		bool mod;

		i = plugsched_shared_feat(k);
		if (i < 0)
			continue;
		mod = plugsched_module_feat(i);
		if (mod == !!(plugsched_feats_at_install & (1U << i)))
			continue;
		plugsched_set_kernel_feature(k, mod);
		pr_info("sched feature %s%s: set while installed, carried out\n",
			mod ? "" : "NO_", plugsched_kernel_feats[k]);
	}
	cpus_read_unlock();
}
