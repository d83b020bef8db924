// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: upgrade in one switch.
 *
 * Every build of a variant is a module of its own name (the variant and a
 * hash of its sources: module/build-module.ts), so version N+1 can be loaded
 * while version N runs. Loaded with predecessor=<N's module name>, N+1 takes
 * over from N in the one stop_machine of its install: the runqueues are
 * emptied with N's class methods, the entries that jump to N are rewritten to
 * jump to N+1 and the class tables get N+1's methods; the kernel's own
 * scheduler never runs in between. N is left loaded and inactive, its sysfs
 * directory gone, with no entry pointing into it and no task inside it: the
 * installer unloads it. A rollback of N+1 then restores the kernel's own
 * scheduler (N's bytes are not kept anywhere: N's package is gone by then).
 *
 * N offers what N+1 needs in a struct plugsched_handover, exported by N's
 * modinfo.c as plugsched_handover_<N's module name>: symbol_get() finds it
 * and holds a reference to N while N+1 uses it. Both must come from the same
 * runtime (PLUGSCHED_HANDOVER_ABI and the sizes of the shared structures),
 * the same variant, and redirect the same set of kernel functions (the same
 * kernel and boundary): anything else is refused before anything changes.
 *
 * What N+1 takes from N: each entry's site and the kernel's bytes there
 * (plugsched_adopt_patch: the entry holds N's patch now), the class tables'
 * kernel content (they hold N's now), the sched features the admin changed
 * while N ran (N carries them out into the kernel's, N+1 carries them in as
 * at any install). The stack check also counts a task inside N's code as
 * busy, as N's own rollback would.
 */

#define PLUGSCHED_HANDOVER_ABI	2

/* control.c's state and helpers (tentative definitions and declarations: it defines them) */
static struct mutex plugsched_lock;
static bool plugsched_installed;
static struct plugsched_patch *plugsched_patches;
static unsigned int plugsched_nr_patches;
static void plugsched_remove_sysfs(void);
extern const char plugsched_version[];
extern const char plugsched_variant[];

struct plugsched_handover {
	/* first, in every version: the only member read before it is known to match */
	unsigned int abi;
	size_t patch_size, arch_patch_size, class_size;
	const char *variant;
	const char *version;
	struct module *mod;
	struct mutex *lock;		/* held by the successor for the whole takeover */
	bool *installed;
	bool *taken_over;
	struct plugsched_patch **patches;
	unsigned int *nr_patches;
	struct plugsched_class *classes;
	unsigned int nr_classes;
	/* process context, lock held */
	void (*features_out)(void);
	/* process context, lock held, after a takeover: no entry or table points into this module */
	void (*superseded_by)(const char *successor);
	/* process context, lock not held (a writer of the sysfs files may wait for it) */
	void (*remove_sysfs)(void);
};

/* This module was taken over by a successor: it stays loaded, inactive, until rmmod. */
static bool plugsched_taken_over;

static void plugsched_superseded_by(const char *successor)
{
	unsigned int i;

	for (i = 0; i < plugsched_nr_patches; i++)
		plugsched_patches[i].patched = false;
	/* the successor's handler is on the entries redirected through ftrace: ours goes */
	plugsched_ftrace_disarm();
	plugsched_installed = false;
	plugsched_taken_over = true;
	/* the reference the install took: rmmod works now */
	module_put(THIS_MODULE);
	pr_info("superseded by %s: nothing points into this module any more; it can be unloaded\n",
		successor);
}

const struct plugsched_handover plugsched_handover = {
	.abi = PLUGSCHED_HANDOVER_ABI,
	.patch_size = sizeof(struct plugsched_patch),
	.arch_patch_size = sizeof(struct plugsched_arch_patch),
	.class_size = sizeof(struct plugsched_class),
	.variant = plugsched_variant,
	.version = plugsched_version,
	.mod = THIS_MODULE,
	.lock = &plugsched_lock,
	.installed = &plugsched_installed,
	.taken_over = &plugsched_taken_over,
	.patches = &plugsched_patches,
	.nr_patches = &plugsched_nr_patches,
	.classes = plugsched_classes,
	.nr_classes = ARRAY_SIZE(plugsched_classes),
	.features_out = plugsched_features_out,
	.superseded_by = plugsched_superseded_by,
	.remove_sysfs = plugsched_remove_sysfs,
};

/* The module this one takes over from (module parameter "predecessor"), empty for a plain install. */
static char plugsched_predecessor[MODULE_NAME_LEN];
module_param_string(predecessor, plugsched_predecessor, sizeof(plugsched_predecessor), 0400);
MODULE_PARM_DESC(predecessor, "take over from this running plugsched-nx module (a build of the same variant) in one switch");

/* While a takeover is prepared and done: the predecessor's handover (a reference to it held), else NULL. */
static const struct plugsched_handover *plugsched_from;

static char plugsched_handover_sym[sizeof("plugsched_handover_") + MODULE_NAME_LEN];

/*
 * Process context, module init: the predecessor's handover, checked, with a
 * reference to its module held until plugsched_release_predecessor(); or an
 * error (logged) and nothing held.
 */
static int plugsched_get_predecessor(void)
{
	const struct plugsched_handover *const *found;
	const struct plugsched_handover *h;
	const char *name = plugsched_predecessor;

	snprintf(plugsched_handover_sym, sizeof(plugsched_handover_sym), "plugsched_handover_%s", name);
	found = __symbol_get(plugsched_handover_sym);
	if (!found) {
		pr_err("cannot take over from %s: no such module offers a handover (not loaded, not a plugsched-nx scheduler module, or built before upgrades in one switch); uninstall it, then install this one\n",
		       name);
		return -ENOENT;
	}
	h = *found;
	if (h->abi != PLUGSCHED_HANDOVER_ABI) {
		pr_err("cannot take over from %s: it was built by another plugsched-nx runtime (handover %u, this one %u); uninstall it, then install this one\n",
		       name, h->abi, PLUGSCHED_HANDOVER_ABI);
		goto refuse;
	}
	if (h->patch_size != sizeof(struct plugsched_patch) ||
	    h->arch_patch_size != sizeof(struct plugsched_arch_patch) ||
	    h->class_size != sizeof(struct plugsched_class) ||
	    h->nr_classes != ARRAY_SIZE(plugsched_classes)) {
		pr_err("cannot take over from %s (%s): it was built for other structures (a runtime of another architecture or configuration); uninstall it, then install this one\n",
		       name, h->version);
		goto refuse;
	}
	if (strcmp(h->variant, plugsched_variant)) {
		pr_err("cannot take over from %s: it is the scheduler %s, this module is %s; a takeover is between builds of one variant: uninstall %s first\n",
		       name, h->version, plugsched_version, h->variant);
		goto refuse;
	}
	plugsched_from = h;
	return 0;
refuse:
	__symbol_put(plugsched_handover_sym);
	return -EINVAL;
}

static void plugsched_release_predecessor(void)
{
	if (!plugsched_from)
		return;
	plugsched_from = NULL;
	__symbol_put(plugsched_handover_sym);
}

/*
 * Process context, module init, instead of plugsched_prepare_patch() in a
 * takeover: the entry of r is the predecessor's now. It must be the same
 * kernel function with the predecessor's patch on it; this module keeps the
 * predecessor's site and its copy of the kernel's bytes, and builds its own
 * patch to r->mod there.
 */
static int plugsched_adopt_patch(struct plugsched_patch *pp, const struct plugsched_redirect *r)
{
	struct plugsched_patch *theirs = *plugsched_from->patches;
	unsigned int i, n = *plugsched_from->nr_patches;
	int ret;

	pp->r = r;
	pp->patched = false;
	pp->from = NULL;
	for (i = 0; i < n; i++)
		if (!strcmp(theirs[i].r->name, r->name) && theirs[i].r->sympos == r->sympos)
			break;
	if (i == n || theirs[i].r->orig != r->orig) {
		pr_err("%s,%lu: %s does not redirect it; a takeover needs both modules to redirect the same kernel functions (built for the same kernel and boundary): uninstall %s, then install this one\n",
		       r->name, r->sympos, plugsched_predecessor, plugsched_predecessor);
		return -EINVAL;
	}
	pp->size = theirs[i].size;
	pp->via_ftrace = theirs[i].via_ftrace;
	pp->arch = theirs[i].arch;
	ret = pp->via_ftrace ? 0 : plugsched_arch_make_patch(pp);
	if (ret)
		return ret;
	pp->from = &theirs[i];
	return 0;
}

/* Process context, module init, after every entry was adopted: nothing of theirs is left out. */
static int plugsched_check_adopted(unsigned int adopted)
{
	if (adopted != *plugsched_from->nr_patches) {
		pr_err("%s redirects %u kernel functions, this module %u: a takeover needs the same set (built for the same kernel and boundary): uninstall %s, then install this one\n",
		       plugsched_predecessor, *plugsched_from->nr_patches, adopted, plugsched_predecessor);
		return -EINVAL;
	}
	return 0;
}

/* Process context, after plugsched_map_classes(): the kernel's content of each table is the predecessor's copy. */
static void plugsched_adopt_classes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(plugsched_classes); i++)
		plugsched_classes[i].saved = plugsched_from->classes[i].saved;
}

/* Is addr in the code of the module this one takes over from (stack check)? */
static bool plugsched_in_predecessor(unsigned long addr)
{
	return plugsched_from && within_module_core(addr, plugsched_from->mod);
}
