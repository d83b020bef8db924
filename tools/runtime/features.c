// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: sched features.
 *
 * The module has its own sysctl_sched_features and static keys, and its
 * features.h may add features. At install it takes over the kernel's current
 * setting of every feature both know, matched by name (kernel-features.h is
 * the kernel's features.h, copied at extraction), so a feature toggled in
 * /sys/kernel/debug/sched/features before the install stays toggled; the
 * variant's own features start from their defaults.
 */
#define SCHED_FEAT(name, enabled) #name,
static const char * const plugsched_kernel_feats[] = {
#include "kernel-features.h"
};
static const char * const plugsched_module_feats[] = {
#include "../features.h"
};
#undef SCHED_FEAT

extern unsigned int __orig_sysctl_sched_features;

static void plugsched_set_feature(unsigned int i, bool on)
{
	if (!!(sysctl_sched_features & (1U << i)) == on)
		return;
#ifdef CONFIG_JUMP_LABEL
	if (on)
		static_key_enable_cpuslocked(&sched_feat_keys[i]);
	else
		static_key_disable_cpuslocked(&sched_feat_keys[i]);
#endif
	sysctl_sched_features ^= 1U << i;
}

/* Process context, CPU hotplug locked. */
static void plugsched_inherit_features(void)
{
	unsigned int kernel = READ_ONCE(__orig_sysctl_sched_features);
	unsigned int k, i;

	for (k = 0; k < ARRAY_SIZE(plugsched_kernel_feats); k++)
		for (i = 0; i < ARRAY_SIZE(plugsched_module_feats); i++)
			if (!strcmp(plugsched_kernel_feats[k], plugsched_module_feats[i]))
				plugsched_set_feature(i, kernel & (1U << k));
}
