// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: sched features.
 *
 * The module has its own sysctl_sched_features and static keys (its
 * features.h may add features). At install it starts from the kernel's
 * current settings for the features both know, so a feature toggled in
 * /sys/kernel/debug/sched/features before the install stays toggled.
 */
extern unsigned int __orig_sysctl_sched_features;

/* Process context, CPU hotplug locked. */
static void plugsched_inherit_features(void)
{
	unsigned int kernel = READ_ONCE(__orig_sysctl_sched_features);
	unsigned int i;

	for (i = 0; i < __SCHED_FEAT_NR; i++) {
		unsigned int bit = 1U << i;

		if (!((kernel ^ sysctl_sched_features) & bit))
			continue;
#ifdef CONFIG_JUMP_LABEL
		if (kernel & bit)
			static_key_enable_cpuslocked(&sched_feat_keys[i]);
		else
			static_key_disable_cpuslocked(&sched_feat_keys[i]);
#endif
		sysctl_sched_features ^= bit;
	}
}
