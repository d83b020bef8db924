// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: install and rollback, and their control files.
 *
 * Install: under stop_machine on every online CPU, check every stack, empty
 * the runqueues with the kernel's scheduler, switch the sched_class tables
 * and the function entries to the module, fill the runqueues again with the
 * module's scheduler. Rollback runs the same steps the other way. While
 * installed the module holds a reference to itself, so rmmod only works
 * after "echo 0 > /sys/kernel/plugsched/enable".
 *
 * /sys/kernel/plugsched/enable                     1 installed, 0 built-in scheduler
 * /sys/kernel/plugsched/version                    the variant and its version
 * /sys/kernel/plugsched/module                     this module's name (lsmod, rmmod)
 * /sys/kernel/plugsched/functions/<name>,<sympos>/patched
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/stop_machine.h>
#include <linux/sysfs.h>

#define PLUGSCHED_TRIES		10
#define PLUGSCHED_RETRY_MS	20
#define PLUGSCHED_STEPS		4

#define PLUGSCHED_REDIRECT_FILE(id)						\
	extern const struct plugsched_redirect plugsched_redirects_##id[];	\
	extern const unsigned int plugsched_nr_redirects_##id;
#include "redirect-files.h"
#undef PLUGSCHED_REDIRECT_FILE

extern const char plugsched_version[];

static DEFINE_MUTEX(plugsched_lock);
static bool plugsched_installed;

/* livepatch-guard.c */
static int plugsched_livepatch_check(void);
static int plugsched_livepatch_guard_init(void);
static void plugsched_livepatch_guard_exit(void);
static struct plugsched_patch *plugsched_patches;
static unsigned int plugsched_nr_patches;
static unsigned int *plugsched_slots;

struct plugsched_switch {
	bool install;
	unsigned int nr_cpus;
	struct task_struct *initiator;
	int ret;
	/* the first task found busy, copied under stop_machine: it may exit once that returns */
	pid_t culprit_pid;
	char culprit_comm[TASK_COMM_LEN];
	unsigned long where;
	int why;		/* where the culprit was found: enum plugsched_walk_why */
	atomic_t queued;	/* tasks queued on all runqueues, counted before barrier 0 */
	atomic_t arrived[PLUGSCHED_STEPS];
	/* the writer's requests that every CPU serialize, and how many CPUs did so */
	atomic_t sync_asked, sync_done;
	u64 t0, t1, t2, tp0, tp1;
	/* the benchmark hook's figures (measure_floor), ns */
	u64 walk_ns, empty_stop_ns, stop_call_ns;
};

/*
 * Everyone waits for everyone at each step. The increment is fully ordered
 * (atomic_inc_return implies smp_mb() before and after): every store this CPU
 * made before the step (s->ret, s->queued, its plugsched_parked[] slots, the
 * entries it wrote) is visible before its arrival is. The acquire read of the
 * count pairs with the increments of the other CPUs: a CPU that sees all
 * nr_cpus arrivals then sees all those stores, so every CPU reads the same
 * s->ret and s->queued after the barrier and leaves at the same step (a
 * relaxed read on arm64 could see the count and still a stale s->ret == 0,
 * then spin at the next barrier with interrupts off while the others left).
 */
static void plugsched_barrier(struct plugsched_switch *s, int step)
{
	atomic_inc_return(&s->arrived[step]);
	while (atomic_read_acquire(&s->arrived[step]) < s->nr_cpus)
		cpu_relax();
}

/*
 * Barrier 2: the CPUs that wait for the writer serialize their instruction
 * stream whenever it asks (plugsched_sync_all), until it arrives too.
 */
static void plugsched_barrier_serving(struct plugsched_switch *s, int step)
{
	int served = 0, asked;

	atomic_inc_return(&s->arrived[step]);
	while (atomic_read_acquire(&s->arrived[step]) < s->nr_cpus) {
		asked = atomic_read_acquire(&s->sync_asked);
		if (asked != served) {
			plugsched_arch_sync_core();
			atomic_add(asked - served, &s->sync_done);
			served = asked;
		}
		cpu_relax();
	}
}

/*
 * The writer (slot 0), between two steps of the text write: every CPU
 * serializes its instruction stream, the writer waits until each has.
 */
static void plugsched_sync_all(void *data)
{
	struct plugsched_switch *s = data;
	int asked = atomic_inc_return(&s->sync_asked);

	plugsched_arch_sync_core();
	while (atomic_read_acquire(&s->sync_done) < asked * (int)(s->nr_cpus - 1))
		cpu_relax();
	plugsched_nmi_test();
}

static int plugsched_stop_handler(void *data)
{
	struct plugsched_switch *s = data;
	unsigned int slot = plugsched_slots[smp_processor_id()];
	struct task_struct *culprit = NULL;
	unsigned long where = 0;
	int why;

	if (slot == 0) {
		int err;

		s->t0 = ktime_get_ns();
		/*
		 * text_mutex is held by our caller, so no kprobe, ftrace or
		 * jump label can change text now: the entries are checked
		 * here, before any is written, and none is written unless
		 * every one holds exactly what the switch expects.
		 */
		err = plugsched_verify_entries(s->install);
		/* no BPF scheduler attached since the check before (scx-guard.c) */
		if (!err)
			err = plugsched_scx_check(s->install, true);
		if (!err && plugsched_fault("verify"))
			err = -EEXIST;
		if (err)
			cmpxchg(&s->ret, 0, err);
	}
	/* exactly what plugsched_park_cpu() will find on this runqueue */
	atomic_add(plugsched_count_queued(), &s->queued);
	if (plugsched_check_stacks(s->install, slot, s->nr_cpus, s->initiator, &culprit, &where, &why) &&
	    cmpxchg(&s->ret, 0, -EBUSY) == 0) {
		s->culprit_pid = task_pid_nr(culprit);
		strscpy(s->culprit_comm, culprit->comm, sizeof(s->culprit_comm));
		s->where = where;
		s->why = why;
	}
	if (slot == 0 && plugsched_fault("stacks"))
		cmpxchg(&s->ret, 0, -EBUSY);
	plugsched_barrier(s, 0);
	/*
	 * Nobody writes s->ret or s->queued after barrier 0 (until the
	 * switch below, read only after stop_machine): every CPU takes the
	 * same decision here.
	 */
	if (READ_ONCE(s->ret) || atomic_read(&s->queued) > plugsched_parked_max)
		return 0;

	if (slot == 0)
		s->t1 = ktime_get_ns();
	plugsched_park_cpu();
	if (slot == 0 && plugsched_fault("park"))
		atomic_inc(&plugsched_parked_overflow);
	plugsched_barrier(s, 1);

	/*
	 * Everything is parked, or, if a task did not fit (cannot happen
	 * after the count above), nothing switches: the parked tasks go back
	 * to the leaving scheduler below and the switch fails with -EAGAIN.
	 */
	if (slot == 0 && !atomic_read(&plugsched_parked_overflow)) {
		int err;

		s->tp0 = ktime_get_ns();
		/* every entry, or none: then the kernel stays as it was */
		err = plugsched_write_entries(s->install, plugsched_sync_all, s);
		if (err)
			s->ret = err;
		else
			plugsched_switch_classes(s->install);
		s->tp1 = ktime_get_ns();
	}
	plugsched_barrier_serving(s, 2);

	plugsched_arch_sync_core();
	plugsched_unpark_cpu();
	plugsched_barrier(s, 3);
	if (slot == 0)
		s->t2 = ktime_get_ns();
	return 0;
}

/*
 * A test hook (docs/runtime.md, "The walk before stop_machine"): wait this
 * long between the walk before stop_machine and stop_machine, on the first
 * try of each switch, so that a test can start or wake a task in between.
 * 0, the default, in production.
 */
static unsigned int precheck_delay_ms;
module_param(precheck_delay_ms, uint, 0600);
MODULE_PARM_DESC(precheck_delay_ms, "test hook: milliseconds between the stack walk before stop_machine and stop_machine (first try whose walk passes)");

/*
 * A benchmark hook (npm run bench -- runtime): before each switch's
 * stop_machine, time an empty one on the same CPUs, the floor any switch
 * pays, next to this switch's own (both from the call to its return). Off,
 * the default, in production: it stops the machine twice.
 */
static bool measure_floor;
module_param(measure_floor, bool, 0600);
MODULE_PARM_DESC(measure_floor, "benchmark hook: time an empty stop_machine before each switch, and log it with the switch's own");

static int plugsched_empty_stop(void *data)
{
	return 0;
}

/*
 * One attempt; process context, plugsched_lock held. The test hook holds
 * the first attempt of a switch whose walk before stop_machine passes
 * (*held tells): an earlier one may be refused by a task the test does not
 * own (a process of its own polling loop caught mid-exec, unwalkable).
 */
static int plugsched_switch_once(bool install, struct plugsched_switch *s, bool *held)
{
	unsigned int cpu, n = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	s->install = install;
	s->initiator = current;
	s->walk_ns = ktime_get_ns();
	ret = plugsched_precheck_stacks(install, current, &s->culprit_pid, s->culprit_comm, &s->where);
	s->walk_ns = ktime_get_ns() - s->walk_ns;
	if (!ret && plugsched_fault("walk"))
		ret = -EBUSY;
	if (ret)
		return ret;
	if (!*held && READ_ONCE(precheck_delay_ms)) {
		*held = true;
		/* the test waits for this line before it starts or wakes its task */
		pr_info("test hook: the walk before stop_machine is done, waiting %u ms\n",
			READ_ONCE(precheck_delay_ms));
		msleep(READ_ONCE(precheck_delay_ms));
	}
	ret = plugsched_alloc_parking();
	if (!ret && plugsched_fault("alloc"))
		ret = -ENOMEM;
	if (!ret)
		ret = plugsched_map_entries();
	if (ret) {
		plugsched_free_parking();
		plugsched_free_seen();
		return ret;
	}
	ret = plugsched_nmi_test_begin();
	if (ret) {
		plugsched_unmap_entries();
		plugsched_free_parking();
		plugsched_free_seen();
		return ret;
	}
	cpus_read_lock();
	if (install)
		plugsched_features_in();
	for_each_online_cpu(cpu)
		plugsched_slots[cpu] = n++;
	s->nr_cpus = n;
	if (READ_ONCE(measure_floor)) {
		s->empty_stop_ns = ktime_get_ns();
		stop_machine_cpuslocked(plugsched_empty_stop, NULL, cpu_online_mask);
		s->empty_stop_ns = ktime_get_ns() - s->empty_stop_ns;
	}
	mutex_lock(&text_mutex);
	s->stop_call_ns = ktime_get_ns();
	ret = stop_machine_cpuslocked(plugsched_stop_handler, s, cpu_online_mask);
	s->stop_call_ns = ktime_get_ns() - s->stop_call_ns;
	mutex_unlock(&text_mutex);
	cpus_read_unlock();
	plugsched_nmi_test_end();
	plugsched_unmap_entries();
	plugsched_free_parking();
	plugsched_free_seen();
	if (ret)
		return ret;
	if (!s->ret && (atomic_read(&s->queued) > plugsched_parked_max ||
			atomic_read(&plugsched_parked_overflow))) {
		/* nothing switched; the next try gets room for twice as many */
		plugsched_parked_want = 2 * atomic_read(&s->queued);
		pr_info("%d queued tasks, room for %u: not switched, retrying with more\n",
			atomic_read(&s->queued), plugsched_parked_max);
		return -EAGAIN;
	}
	return s->ret;
}

/* The first install, at load, is done: later ones check their entries again. */
static bool plugsched_loaded;

static int __plugsched_switch(bool install)
{
	struct plugsched_switch s;
	u64 start = ktime_get_ns(), end;
	unsigned int i, intact;
	int ret = 0, tries;
	bool held = false;

	ret = plugsched_scx_check(install, false);
	if (ret)
		return ret;
	if (install) {
		ret = plugsched_livepatch_check();
		if (ret)
			return ret;
	}
	/*
	 * Every install after the first ("echo 1") checks the entries again
	 * (no one may own them now); the first comes right after the same
	 * checks at load (plugsched_prepare_patches). stop_machine then
	 * verifies the bytes before writing any, every time.
	 */
	for (i = 0; install && plugsched_loaded && i < plugsched_nr_patches; i++) {
		ret = plugsched_recheck_patch(&plugsched_patches[i]);
		if (!ret && i == 0 && plugsched_fault("recheck")) {
			pr_err("%s,%lu: test hook: its check fails\n",
			       plugsched_patches[i].r->name, plugsched_patches[i].r->sympos);
			ret = -EEXIST;
		}
		if (ret) {
			pr_err("install refused: %d, nothing was written\n", ret);
			return ret;
		}
		/* each check searches every static key site: let waiting tasks run */
		cond_resched();
	}
	/* the entries redirected through ftrace get their handler, idle until the switch */
	if (install) {
		ret = plugsched_ftrace_arm(plugsched_from != NULL);
		if (ret) {
			pr_err("install refused: %d, nothing was written\n", ret);
			return ret;
		}
	}
	for (tries = 1; tries <= PLUGSCHED_TRIES; tries++) {
		ret = plugsched_switch_once(install, &s, &held);
		if (ret != -EBUSY && ret != -EAGAIN)
			break;
		if (s.where && tries < PLUGSCHED_TRIES)
			pr_info_ratelimited("try %d: %s/%d is inside %pS (found %s), retrying\n",
					    tries, s.culprit_comm, s.culprit_pid, (void *)s.where,
					    plugsched_walk_why_text[s.why]);
		msleep(PLUGSCHED_RETRY_MS);
	}
	end = ktime_get_ns();
	/* a BPF scheduler attached between the check above and stop_machine: say so */
	if (ret == -EPERM)
		plugsched_scx_check(install, false);
	/* after a failed install or a rollback, no handler of ours stays on them */
	if (install ? ret : !ret)
		plugsched_ftrace_disarm();
	if (ret == -EBUSY && s.where) {
		pr_err("%s failed after %d tries: %d (%s/%d is inside %pS; try again once it has moved on)\n",
		       install ? "install" : "rollback", PLUGSCHED_TRIES, ret,
		       s.culprit_comm, s.culprit_pid, (void *)s.where);
		return ret;
	}
	if (ret) {
		pr_err("%s failed after %d tries: %d%s\n",
		       install ? "install" : "rollback", min(tries, PLUGSCHED_TRIES), ret,
		       ret == -EBUSY ? " (some task stayed inside code that would change; try again)" : "");
		return ret;
	}
	for (i = 0, intact = 0; i < plugsched_nr_patches; i++)
		intact += plugsched_patch_intact(&plugsched_patches[i]);
	pr_info("%u of %u function entries %s\n", intact, plugsched_nr_patches,
		install ? "jump to the module" : "restored byte for byte");
	plugsched_installed = install;
	if (!install)
		plugsched_features_out();
	if (install)
		__module_get(THIS_MODULE);
	else
		module_put(THIS_MODULE);
	pr_info("%s: %u cpus, %d threads, %d tasks moved, stop machine %llu us, stack check %llu us, state rebuild %llu us, text patching %llu us, total %llu us\n",
		install ? "installed the module's scheduler" : "restored the built-in scheduler",
		s.nr_cpus, nr_threads, atomic_read(&plugsched_parked_nr),
		(s.t2 - s.t0) / NSEC_PER_USEC, (s.t1 - s.t0) / NSEC_PER_USEC,
		(s.t2 - s.t1 - (s.tp1 - s.tp0)) / NSEC_PER_USEC, (s.tp1 - s.tp0) / NSEC_PER_USEC,
		(end - start) / NSEC_PER_USEC);
	pr_info("stack check: %u tasks walked before stop_machine, again under it: %d new since, %d ran since, %d not vouched for before (%s)\n",
		plugsched_nr_clean, atomic_read(&plugsched_walked_new), atomic_read(&plugsched_walked_ran),
		atomic_read(&plugsched_walked_unvouched),
		plugsched_recheck_recorded ? "as the tracepoints recorded them" : "every task looked up");
	if (READ_ONCE(measure_floor) && s.empty_stop_ns)
		pr_info("floor: an empty stop_machine %llu us, this switch's stop_machine %llu us (each from the call to its return); the walk before stop_machine %llu us for %d threads\n",
			s.empty_stop_ns / NSEC_PER_USEC, s.stop_call_ns / NSEC_PER_USEC,
			s.walk_ns / NSEC_PER_USEC, nr_threads);
	return 0;
}

/*
 * After a switch that failed: is the kernel as it was? Every entry holds
 * what it held (the kernel's bytes, or for a failed rollback the jump to
 * the module), the class tables hold the same methods. Logged for the
 * admin and the faults scenario. Not for a takeover (the predecessor's
 * patches and methods are there). Process context.
 */
static void plugsched_report_unchanged(bool install)
{
	unsigned int i, same = 0;
	bool classes = plugsched_classes_hold(!install);

	for (i = 0; i < plugsched_nr_patches; i++)
		same += plugsched_patches[i].patched == !install &&
			plugsched_patch_intact(&plugsched_patches[i]);
	if (same == plugsched_nr_patches && classes)
		pr_info("the %s failed, nothing changed: %u of %u function entries hold %s, the class tables the %s methods\n",
			install ? "install" : "rollback", same, plugsched_nr_patches,
			install ? "the kernel's bytes" : "the jump to the module",
			install ? "kernel's" : "module's");
	else
		pr_err("the %s failed and the kernel is not as it was: %u of %u function entries hold %s, the class tables %s the %s methods; please report this\n",
		       install ? "install" : "rollback", same, plugsched_nr_patches,
		       install ? "the kernel's bytes" : "the jump to the module",
		       classes ? "hold" : "do not hold", install ? "kernel's" : "module's");
}

/* Install or roll back; process context, plugsched_lock held. */
static int plugsched_switch(bool install)
{
	int ret;

	if (install == plugsched_installed)
		return 0;
	ret = __plugsched_switch(install);
	if (ret && !plugsched_from)
		plugsched_report_unchanged(install);
	return ret;
}

/* sysfs */

struct plugsched_fn_kobj {
	struct kobject kobj;
	const struct plugsched_patch *pp;
};

static struct kobject *plugsched_kobj;
static struct kobject *plugsched_functions_kobj;
static struct plugsched_fn_kobj *plugsched_fn_kobjs;

static ssize_t enable_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(plugsched_installed));
}

static ssize_t enable_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	bool enable;
	int ret;

	ret = kstrtobool(buf, &enable);
	if (ret)
		return ret;
	mutex_lock(&plugsched_lock);
	/* a writer that waited for the lock through a takeover finds this module superseded */
	ret = plugsched_taken_over ? -ENODEV : plugsched_switch(enable);
	mutex_unlock(&plugsched_lock);
	return ret ? ret : count;
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", plugsched_version);
}

static ssize_t module_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", THIS_MODULE->name);
}

static struct kobj_attribute plugsched_enable_attr = __ATTR_RW(enable);
static struct kobj_attribute plugsched_version_attr = __ATTR_RO(version);
static struct kobj_attribute plugsched_module_attr = __ATTR_RO(module);

static struct attribute *plugsched_attrs[] = {
	&plugsched_enable_attr.attr,
	&plugsched_version_attr.attr,
	&plugsched_module_attr.attr,
	NULL,
};

static const struct attribute_group plugsched_group = {
	.attrs = plugsched_attrs,
};

static ssize_t patched_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	const struct plugsched_fn_kobj *f = container_of(kobj, struct plugsched_fn_kobj, kobj);

	return sysfs_emit(buf, "%d\n", f->pp->patched && plugsched_patch_intact(f->pp));
}

static struct kobj_attribute plugsched_patched_attr = __ATTR_RO(patched);

static struct attribute *plugsched_fn_attrs[] = {
	&plugsched_patched_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(plugsched_fn);

static void plugsched_fn_release(struct kobject *kobj)
{
}

static struct kobj_type plugsched_fn_ktype = {
	.release = plugsched_fn_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = plugsched_fn_groups,
};

static void plugsched_remove_sysfs(void)
{
	unsigned int i;

	if (plugsched_fn_kobjs)
		for (i = 0; i < plugsched_nr_patches; i++)
			if (plugsched_fn_kobjs[i].pp)
				kobject_put(&plugsched_fn_kobjs[i].kobj);
	kfree(plugsched_fn_kobjs);
	plugsched_fn_kobjs = NULL;
	kobject_put(plugsched_functions_kobj);
	plugsched_functions_kobj = NULL;
	if (plugsched_kobj)
		sysfs_remove_group(plugsched_kobj, &plugsched_group);
	kobject_put(plugsched_kobj);
	plugsched_kobj = NULL;
}

static int plugsched_create_sysfs(void)
{
	unsigned int i;
	int ret;

	plugsched_kobj = kobject_create_and_add("plugsched", kernel_kobj);
	if (!plugsched_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(plugsched_kobj, &plugsched_group);
	if (ret)
		goto fail;
	plugsched_functions_kobj = kobject_create_and_add("functions", plugsched_kobj);
	plugsched_fn_kobjs = kcalloc(plugsched_nr_patches, sizeof(*plugsched_fn_kobjs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!plugsched_functions_kobj || !plugsched_fn_kobjs)
		goto fail;
	for (i = 0; i < plugsched_nr_patches; i++) {
		const struct plugsched_patch *pp = &plugsched_patches[i];

		plugsched_fn_kobjs[i].pp = pp;
		ret = kobject_init_and_add(&plugsched_fn_kobjs[i].kobj, &plugsched_fn_ktype,
					   plugsched_functions_kobj, "%s,%lu",
					   pp->r->name, pp->r->sympos);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	plugsched_remove_sysfs();
	return ret;
}

/* Every file's table, checked against the kernel (in a takeover: adopted from the predecessor). */
static int plugsched_prepare_patches(void)
{
	unsigned int n = 0, i, k = 0;
	int ret = 0;

#define PLUGSCHED_REDIRECT_FILE(id) n += plugsched_nr_redirects_##id;
#include "redirect-files.h"
#undef PLUGSCHED_REDIRECT_FILE
	plugsched_patches = kvcalloc(n, sizeof(*plugsched_patches), GFP_KERNEL);
	if (!plugsched_patches)
		return -ENOMEM;
#define PLUGSCHED_REDIRECT_FILE(id)						\
	for (i = 0; i < plugsched_nr_redirects_##id; i++) {			\
		struct plugsched_patch *pp = &plugsched_patches[k++];		\
		const struct plugsched_redirect *r = &plugsched_redirects_##id[i]; \
		int err = plugsched_from ? plugsched_adopt_patch(pp, r) :	\
					   plugsched_prepare_patch(pp, r);	\
		if (err && !ret)						\
			ret = err;						\
		cond_resched();							\
	}
#include "redirect-files.h"
#undef PLUGSCHED_REDIRECT_FILE
	plugsched_nr_patches = n;
	if (!ret && plugsched_from)
		ret = plugsched_check_adopted(n);
	return ret;
}

static void plugsched_release(void)
{
	/* first: its int3 handler and the ftrace handler read the patches */
	plugsched_arch_exit();
	plugsched_ftrace_disarm();
	plugsched_ran_exit();
	plugsched_livepatch_guard_exit();
	plugsched_remove_sysfs();
	plugsched_unmap_classes();
	plugsched_free_ranges();
	kvfree(plugsched_patches);
	plugsched_patches = NULL;
	kfree(plugsched_slots);
	plugsched_slots = NULL;
}

/*
 * Restore the built-in scheduler when the module's text must go (a forced
 * unload, a takeover that cannot keep its control files), however long it
 * takes. A task inside module code moves on; bytes someone else put on an
 * entry (a probe) stay until they remove them. Either way the text cannot go
 * while an entry jumps into it: wait, and say so. Process context.
 */
static void plugsched_roll_back_for_good(const char *why, const char *waiting)
{
	mutex_lock(&plugsched_lock);
	/* not plugsched_switch(): no report of each failed try every 100 ms */
	while (plugsched_installed && __plugsched_switch(false)) {
		pr_err_ratelimited("%s: the rollback failed (see above); %s until it succeeds: let the named task move on, or remove the probe or patch on the named function\n",
				   why, waiting);
		msleep(100);
	}
	mutex_unlock(&plugsched_lock);
}

/*
 * Module init with predecessor=<name>: one switch from the predecessor's
 * scheduler to this one's (handover.c), under the predecessor's lock so that
 * nobody rolls it back meanwhile. Then the predecessor's sysfs directory
 * goes and this module's takes its place. Process context; returns with
 * this module installed, or with nothing changed.
 */
static int plugsched_take_over(void)
{
	const struct plugsched_handover *h = plugsched_from;
	unsigned int i;
	int ret;

	mutex_lock(h->lock);
	if (!*h->installed || *h->taken_over) {
		mutex_unlock(h->lock);
		pr_err("cannot take over from %s: its scheduler is not installed (%s); unload it (rmmod %s), then install this one\n",
		       plugsched_predecessor, *h->taken_over ? "it was taken over already" : "enable is 0",
		       plugsched_predecessor);
		return -EINVAL;
	}
	/* what the admin changed while it ran goes into the kernel's features; this install carries it in */
	h->features_out();
	pr_info("taking over from %s (%s) in one switch\n", plugsched_predecessor, h->version);
	mutex_lock(&plugsched_lock);
	ret = plugsched_switch(true);
	mutex_unlock(&plugsched_lock);
	if (!ret) {
		h->superseded_by(THIS_MODULE->name);
		/* its ftrace handler went with it: ours takes the ftrace side's last step */
		plugsched_ftrace_settle();
	}
	mutex_unlock(h->lock);
	if (ret) {
		pr_err("the takeover from %s failed (see above): %s keeps running\n", plugsched_predecessor, h->version);
		return ret;
	}
	/* a sysfs writer that waited for the lock has returned (-ENODEV): the directory can go */
	h->remove_sysfs();
	for (i = 0; i < plugsched_nr_patches; i++)
		plugsched_patches[i].from = NULL;
	pr_info("took over from %s: %s runs, the built-in scheduler did not run in between; %s is inactive and can be unloaded\n",
		plugsched_predecessor, plugsched_version, plugsched_predecessor);
	ret = plugsched_create_sysfs();
	if (!ret)
		return 0;
	/* not without its control files: back to the kernel's own scheduler */
	pr_err("no sysfs directory (%d): restoring the built-in scheduler\n", ret);
	plugsched_roll_back_for_good("no sysfs directory after the takeover", "module init waits and retries");
	return ret;
}

static int __init plugsched_init(void)
{
	int ret;

	ret = plugsched_arch_init();
	if (ret)
		return ret;
	ret = plugsched_livepatch_guard_init();
	if (ret) {
		plugsched_arch_exit();
		return ret;
	}
	plugsched_slots = kcalloc(nr_cpu_ids, sizeof(*plugsched_slots), GFP_KERNEL);
	if (!plugsched_slots) {
		plugsched_livepatch_guard_exit();
		plugsched_arch_exit();
		return -ENOMEM;
	}
	if (plugsched_predecessor[0]) {
		ret = plugsched_get_predecessor();
		if (ret) {
			kfree(plugsched_slots);
			plugsched_livepatch_guard_exit();
			plugsched_arch_exit();
			return ret;
		}
	}
	if (record_ran)
		plugsched_ran_init();
	ret = plugsched_prepare_patches();
	if (!ret)
		ret = plugsched_build_ranges(plugsched_patches, plugsched_nr_patches);
	if (!ret)
		ret = plugsched_map_classes();
	if (!ret && plugsched_from)
		plugsched_adopt_classes();
	if (!ret && !plugsched_from)
		ret = plugsched_create_sysfs();
	if (!ret && plugsched_from) {
		ret = plugsched_take_over();
	} else if (!ret) {
		mutex_lock(&plugsched_lock);
		ret = plugsched_switch(true);
		mutex_unlock(&plugsched_lock);
	}
	plugsched_release_predecessor();
	if (ret) {
		plugsched_release();
		return ret;
	}
	plugsched_loaded = true;
	pr_info("%s: %u functions redirected\n", plugsched_version, plugsched_nr_patches);
	return 0;
}

static void __exit plugsched_exit(void)
{
	/*
	 * Installed means pinned, but Debian's kernels have
	 * MODULE_FORCE_UNLOAD: "rmmod -f" gets here with the jumps in place.
	 * The text must not go while any entry jumps into it, so roll back,
	 * and keep trying (rmmod waits) while a task is inside module code.
	 */
	plugsched_roll_back_for_good("forced unload", "rmmod waits and retries");
	/*
	 * No reader in module code any more, and every RCU callback queued by
	 * module code (a variant may add functions that the kernel does not
	 * have, hence not redirected) has run before the text goes.
	 */
	synchronize_rcu();
	rcu_barrier();
	plugsched_release();
}

module_init(plugsched_init);
module_exit(plugsched_exit);
