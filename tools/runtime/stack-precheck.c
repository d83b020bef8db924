// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the stack check, done once before stop_machine.
 *
 * Walking every task's stack is most of the downtime on a host with many
 * threads, yet almost all of them sleep through the switch. So every task is
 * walked first with the machine running, and each one that is vouched for is
 * remembered with its context-switch count (nvcsw + nivcsw) and start time.
 * Under stop_machine only these are walked again: the idle tasks; a task
 * with no record (forked since); one whose record is not clean (it was on a
 * CPU, its walk raced with it running, or it was not walked); one whose
 * count changed (it ran since).
 *
 * Why a task whose count did not change kept its stack: a kernel stack
 * changes only while its task runs. A task that was off every CPU at the
 * walk (on_cpu clear before and after it, with the count the same on both
 * sides) and that ran at any time later has been switched out again before
 * stop_machine's threads could run on its CPU, and __schedule() counts every
 * switch away from a task (prev != next) before finish_task() clears on_cpu
 * with release ordering. So under stop_machine, where no task but the
 * stoppers is on a CPU, an unchanged count means it has not run since its
 * walk. The start time tells a freed and reused task_struct from the task
 * that was walked.
 */
#include <linux/delay.h>
#include <linux/sort.h>

struct plugsched_seen {
	const struct task_struct *task;
	u64 start_time;
	unsigned long switches;
	bool clean;
};

static struct plugsched_seen *plugsched_seen;
static unsigned int plugsched_nr_seen;

/*
 * The tasks the walk saw but could not vouch for (on a CPU, or running
 * during their walk), each with a reference: under stop_machine they are
 * walked again without looking every task up (stack-ran.c).
 */
static struct task_struct **plugsched_unvouched;
static unsigned int plugsched_nr_unvouched;

/* The walk went through the whole task list (it did not stop early). */
static bool plugsched_seen_whole;

/* How the check under stop_machine went, for the log. */
static atomic_t plugsched_walked_new, plugsched_walked_ran, plugsched_walked_unvouched;

static unsigned long plugsched_switches(const struct task_struct *p)
{
	return READ_ONCE(p->nvcsw) + READ_ONCE(p->nivcsw);
}

/* tasks walked between two chances for a task waiting for this CPU to run */
#define PLUGSCHED_PRECHECK_BATCH	64

/*
 * Test hook: sleep this long at each break of the walk before stop_machine,
 * so that tasks of a fork storm die while the walk stands on them and the
 * walk's stop (below) is taken. 0, the default, in production.
 */
static unsigned int precheck_break_us;
module_param(precheck_break_us, uint, 0600);
MODULE_PARM_DESC(precheck_break_us, "test hook: microseconds to sleep at each break of the walk before stop_machine (the walk stops when the task it stood on went away)");

/* Process context, under rcu_read_lock: debug_refs' reference on p, or a report. */
static bool plugsched_get_checked(struct task_struct *p, const char *what)
{
	if (refcount_inc_not_zero(&p->usage))
		return true;
	pr_warn_ratelimited("stack check: the walk before stop_machine reached a %s with no reference left: pid %d exit_state %d flags %#x\n",
			    what, READ_ONCE(p->pid), READ_ONCE(p->exit_state), READ_ONCE(p->flags));
	return false;
}

/*
 * Leave the RCU read side for a moment, as the hung-task detector's scan
 * does, so that a task waiting for this CPU gets it: a kernel with voluntary
 * preemption (Debian's) would otherwise let a SCHED_FIFO task wait for the
 * whole walk, 20 ms and more at a thousand threads in the guest (the latency
 * probe of vm-test showed it). Whether the walk can go on from p: g and p
 * must still be on the task list. When not, the walk stops there; the tasks
 * after p have no record and are walked under stop_machine, like any task
 * that appeared since.
 *
 * Stops there means leaves both loops of for_each_process_thread() (a goto,
 * as the hung-task detector does): a break leaves only the inner one, and
 * the outer one then goes on through g->tasks.next from a g that left the
 * task list while the read side was open, whose last reference may be the
 * one dropped here. The next g is then freed memory, and the next break's
 * get_task_struct(g) adds to a count of 0 (issue #16: a multi-threaded
 * leader of the fork storm, at the walk's first break, n = 64).
 */
static bool plugsched_precheck_break(struct task_struct *g, struct task_struct *p)
{
	unsigned int delay_us = READ_ONCE(precheck_break_us);
	bool can_go_on;

	if (!READ_ONCE(debug_refs)) {
		get_task_struct(g);
		get_task_struct(p);
	} else if (!plugsched_get_checked(g, "leader")) {
		return false;
	} else if (!plugsched_get_checked(p, "thread")) {
		put_task_struct(g);
		return false;
	}
	rcu_read_unlock();
	if (delay_us)
		usleep_range(delay_us, delay_us + delay_us / 4 + 1);
	cond_resched();
	rcu_read_lock();
	can_go_on = pid_alive(g) && pid_alive(p);
	put_task_struct(p);
	put_task_struct(g);
	return can_go_on;
}

static int plugsched_seen_cmp(const void *a, const void *b)
{
	const struct plugsched_seen *x = a, *y = b;

	if (x->task != y->task)
		return x->task < y->task ? -1 : 1;
	return 0;
}

static const struct plugsched_seen *plugsched_seen_of(const struct task_struct *p)
{
	struct plugsched_seen key = { .task = p };

	if (!plugsched_nr_seen)
		return NULL;
	return bsearch(&key, plugsched_seen, plugsched_nr_seen, sizeof(key), plugsched_seen_cmp);
}

/* Tasks the walk before stop_machine vouched for, for the log. */
static unsigned int plugsched_nr_clean;

/* Under stop_machine: must p be walked again, and why? Counted for the log. */
static int plugsched_walk_why(const struct task_struct *p)
{
	const struct plugsched_seen *s = plugsched_seen_of(p);

	if (!s || s->start_time != p->start_time) {
		atomic_inc(&plugsched_walked_new);
		return PLUGSCHED_WALK_NEW;
	}
	if (!s->clean) {
		atomic_inc(&plugsched_walked_unvouched);
		return PLUGSCHED_WALK_UNVOUCHED;
	}
	if (s->switches != plugsched_switches(p)) {
		atomic_inc(&plugsched_walked_ran);
		return PLUGSCHED_WALK_RAN;
	}
	return PLUGSCHED_WALK_SKIP;
}

/* How the check under stop_machine found the tasks to walk, for the log. */
static bool plugsched_recheck_recorded;

/*
 * Under stop_machine, this CPU's share of the tasks recorded since the walk
 * began (stack-ran.c) and of those the walk could not vouch for: every
 * nr_slots-th of them. -ENODATA when the record is not whole (a set
 * overflowed, no probes, the walk stopped early or kept no records): then
 * every task is looked up.
 */
static int plugsched_check_recorded(bool install, unsigned int slot, unsigned int nr_slots,
				    struct task_struct *initiator, struct task_struct **culprit,
				    unsigned long *where, int *why)
{
	unsigned int cpu, j;
	unsigned long i = 0;
	int ret;

	if (!plugsched_seen || !plugsched_seen_whole || !plugsched_ran_usable())
		return -ENODATA;
	if (slot == 0)
		plugsched_recheck_recorded = true;
	for (j = 0; j < plugsched_nr_unvouched; j++) {
		struct task_struct *p = plugsched_unvouched[j];

		if (i++ % nr_slots != slot || p == initiator || task_curr(p))
			continue;
		atomic_inc(&plugsched_walked_unvouched);
		*why = PLUGSCHED_WALK_UNVOUCHED;
		ret = plugsched_check_task(p, install, culprit, where);
		if (ret)
			return ret;
	}
	for_each_possible_cpu(cpu) {
		const struct plugsched_ran_cpu *c = &plugsched_ran[cpu];

		for (j = 0; j < c->nr; j++) {
			struct task_struct *p = c->entries[j].task;

			if (i++ % nr_slots != slot || p == initiator || task_curr(p))
				continue;
			/*
			 * A child may be in one CPU's set from the fork probe
			 * and in another's from the switch probe: either way
			 * it is new since the walk.
			 */
			*why = c->entries[j].forked || p->start_time >= plugsched_ran_since ?
			       PLUGSCHED_WALK_NEW : PLUGSCHED_WALK_RAN;
			atomic_inc(*why == PLUGSCHED_WALK_NEW ? &plugsched_walked_new : &plugsched_walked_ran);
			ret = plugsched_check_task(p, install, culprit, where);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void plugsched_free_seen(void)
{
	unsigned int i;

	plugsched_ran_end();
	for (i = 0; i < plugsched_nr_unvouched; i++)
		put_task_struct(plugsched_unvouched[i]);
	kvfree(plugsched_unvouched);
	plugsched_unvouched = NULL;
	plugsched_nr_unvouched = 0;
	kvfree(plugsched_seen);
	plugsched_seen = NULL;
	plugsched_nr_seen = 0;
	plugsched_seen_whole = false;
}

/* The walk could not vouch for p: remember it, with a reference. */
static void plugsched_note_unvouched(struct task_struct *p)
{
	get_task_struct(p);
	plugsched_unvouched[plugsched_nr_unvouched++] = p;
}

/*
 * Process context, before stop_machine: walk every task that is off its
 * CPU. 0, or -EBUSY with the first busy task's pid, name and address (no
 * need to stop the machine to be refused). Without memory for the records
 * nothing is remembered and stop_machine walks every task, as it would
 * anyway.
 */
static int plugsched_precheck_stacks(bool install, struct task_struct *initiator,
				     pid_t *pid, char *comm, unsigned long *where)
{
	unsigned int cap = nr_threads + nr_threads / 4 + 64, n = 0;
	struct task_struct *g, *p;
	int ret = 0;

	atomic_set(&plugsched_walked_new, 0);
	atomic_set(&plugsched_walked_ran, 0);
	atomic_set(&plugsched_walked_unvouched, 0);
	plugsched_nr_clean = 0;
	plugsched_recheck_recorded = false;
	plugsched_free_seen();
	plugsched_seen = kvmalloc_array(cap, sizeof(*plugsched_seen), GFP_KERNEL);
	plugsched_unvouched = kvmalloc_array(cap, sizeof(*plugsched_unvouched), GFP_KERNEL);
	if (!plugsched_seen || !plugsched_unvouched) {
		plugsched_free_seen();
		return 0;
	}
	/* from here on every task that runs or appears is recorded */
	plugsched_ran_begin();
	plugsched_seen_whole = true;
	rcu_read_lock();
	for_each_process_thread(g, p) {
		struct plugsched_seen *s;
		struct task_struct *culprit = NULL;
		unsigned long switches, at = 0;
		int busy;

		/* goto, not break: for_each_process_thread() is two loops */
		if (n == cap ||
		    (n && n % PLUGSCHED_PRECHECK_BATCH == 0 && !plugsched_precheck_break(g, p))) {
			plugsched_seen_whole = false;
			goto out;
		}
		s = &plugsched_seen[n++];
		*s = (struct plugsched_seen){ .task = p, .start_time = p->start_time };
		if (p == initiator)
			continue;
		switches = plugsched_switches(p);
		smp_rmb();	/* the count before on_cpu: pairs with finish_task()'s release */
		if (READ_ONCE(p->on_cpu)) {
			plugsched_note_unvouched(p);
			continue;
		}
		busy = plugsched_check_task(p, install, &culprit, &at);
		smp_rmb();	/* the stack read before on_cpu again */
		if (READ_ONCE(p->on_cpu)) {
			plugsched_note_unvouched(p);
			continue;
		}
		smp_rmb();	/* on_cpu before the count again */
		if (plugsched_switches(p) != switches) {
			plugsched_note_unvouched(p);
			continue;
		}
		if (busy) {
			*pid = task_pid_nr(p);
			strscpy(comm, p->comm, TASK_COMM_LEN);
			*where = at;
			ret = -EBUSY;
			goto out;
		}
		s->switches = switches;
		s->clean = true;
		plugsched_nr_clean++;
	}
out:
	rcu_read_unlock();
	if (!ret && !plugsched_seen_whole)
		pr_info("stack check: the walk before stop_machine stopped after %u tasks (%s): under stop_machine every task is looked up\n",
			n, n == cap ? "more tasks than room" : "a task it stood on went away");
	if (ret) {
		plugsched_free_seen();
		return ret;
	}
	sort(plugsched_seen, n, sizeof(*plugsched_seen), plugsched_seen_cmp, NULL);
	plugsched_nr_seen = n;
	return 0;
}
