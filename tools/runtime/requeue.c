// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the scheduler state rebuild.
 *
 * Inside stop_machine every CPU empties its own runqueue with the scheduler
 * that is leaving (its class methods are still in the sched_class tables),
 * the tables are switched, and every CPU fills its runqueue again with the
 * scheduler that arrives. Tasks are found in the class queues themselves,
 * not in the task list, so an exiting task that already left the task list
 * but is still queued moves too. The running task of every runqueue is the
 * stop_machine thread (stop class, never moved) and the idle task is never
 * queued.
 */
#include <linux/version.h>

#define PLUGSCHED_REQUEUE_FLAGS_OUT	(DEQUEUE_SAVE | DEQUEUE_MOVE | DEQUEUE_NOCLOCK)
#define PLUGSCHED_REQUEUE_FLAGS_IN	(ENQUEUE_RESTORE | ENQUEUE_MOVE | ENQUEUE_NOCLOCK)

#ifdef CONFIG_RT_GROUP_SCHED
#error "plugsched-nx: the state rebuild walks rt queues of tasks only (CONFIG_RT_GROUP_SCHED is not supported)"
#endif

/* Tasks taken off the runqueues, all CPUs together; sized before stop_machine. */
struct plugsched_parked_task {
	struct task_struct *p;
	int cpu;
};
static struct plugsched_parked_task *plugsched_parked;
static unsigned int plugsched_parked_max;
static atomic_t plugsched_parked_nr;
static atomic_t plugsched_parked_overflow;
/* what the last switch that did not fit counted (control.c), or 0 */
static unsigned int plugsched_parked_want;

static int plugsched_alloc_parking(void)
{
	/*
	 * Every thread, plus headroom for exiting tasks and threads forked
	 * meanwhile; only a guess: under stop_machine the queued tasks are
	 * counted exactly, and if they do not fit nothing switches
	 * (-EAGAIN) and the retry allocates what was counted, twice.
	 */
	plugsched_parked_max = max(nr_threads + 1024 + 64 * num_online_cpus(),
				   plugsched_parked_want);
	plugsched_parked = kvcalloc(plugsched_parked_max, sizeof(*plugsched_parked), GFP_KERNEL);
	if (!plugsched_parked)
		return -ENOMEM;
	atomic_set(&plugsched_parked_nr, 0);
	atomic_set(&plugsched_parked_overflow, 0);
	return 0;
}

static void plugsched_free_parking(void)
{
	kvfree(plugsched_parked);
	plugsched_parked = NULL;
}


/*
 * The first task in the deadline queue, or NULL. Since 6.8 the queue also
 * holds deadline servers (the fair server runs CFS tasks starved by rt ones):
 * they are entities of the runqueue, not tasks, and stay queued across the
 * switch, served by the arriving deadline class as by the leaving one.
 */
static struct task_struct *plugsched_first_dl_task(struct rq *rq)
{
	struct rb_node *node;

	for (node = rb_first_cached(&rq->dl.root); node; node = rb_next(node)) {
		struct sched_dl_entity *dl_se = rb_entry(node, struct sched_dl_entity, rb_node);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
		if (dl_se->dl_server)
			continue;
#endif
		return container_of(dl_se, struct task_struct, dl);
	}
	return NULL;
}

/*
 * The next queued task of this runqueue in a class below stop, or NULL.
 * Since 6.12 a fair task that went to sleep may stay queued, "delayed", until
 * it is eligible again: it is on cfs_tasks like any queued task, and the
 * dequeue/enqueue pair below keeps it delayed, as the kernel's own
 * save/restore of a task does.
 */
static struct task_struct *plugsched_next_queued(struct rq *rq)
{
	struct rt_prio_array *array = &rq->rt.active;
	int idx;

	if (!list_empty(&rq->cfs_tasks))
		return list_first_entry(&rq->cfs_tasks, struct task_struct, se.group_node);
	idx = sched_find_first_bit(array->bitmap);
	if (idx < MAX_RT_PRIO)
		return list_first_entry(array->queue + idx, struct task_struct, rt.run_list);
	return plugsched_first_dl_task(rq);
}

/*
 * Inside stop_machine, before anything changes: how many tasks
 * plugsched_park_cpu() will take off this CPU's runqueue. Nothing can be
 * enqueued in between (every CPU is in the stop handler with interrupts off;
 * a wakeup queued for this CPU waits for the interrupt), so the walk finds
 * exactly these.
 */
static unsigned int plugsched_count_queued(void)
{
	struct rq *rq = cpu_rq(smp_processor_id());
	struct rt_prio_array *array = &rq->rt.active;
	struct list_head *pos;
	struct rb_node *node;
	struct rq_flags rf;
	unsigned int n = 0;
	int idx;

	rq_lock(rq, &rf);
	list_for_each(pos, &rq->cfs_tasks)
		n++;
	for (idx = 0; idx < MAX_RT_PRIO; idx++)
		list_for_each(pos, array->queue + idx)
			n++;
	for (node = rb_first_cached(&rq->dl.root); node; node = rb_next(node)) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
		if (rb_entry(node, struct sched_dl_entity, rb_node)->dl_server)
			continue;
#endif
		n++;
	}
	rq_unlock(rq, &rf);
	return n;
}

/* This CPU's runqueue, emptied with the leaving scheduler's class methods. */
static void plugsched_park_cpu(void)
{
	int cpu = smp_processor_id();
	struct rq *rq = cpu_rq(cpu);
	struct task_struct *p;
	struct rq_flags rf;
	unsigned int slot;

	rq_lock(rq, &rf);
	update_rq_clock(rq);
	while ((p = plugsched_next_queued(rq)) != NULL) {
		slot = atomic_inc_return(&plugsched_parked_nr) - 1;
		if (slot >= plugsched_parked_max) {
			/*
			 * Cannot happen after plugsched_count_queued(); leave
			 * the rest queued: control.c then switches nothing.
			 */
			atomic_inc(&plugsched_parked_overflow);
			break;
		}
		dequeue_task(rq, p, PLUGSCHED_REQUEUE_FLAGS_OUT);
		plugsched_parked[slot].p = p;
		plugsched_parked[slot].cpu = cpu;
	}
	rq_unlock(rq, &rf);
}

/* This CPU's runqueue, filled again with the arriving scheduler's class methods. */
static void plugsched_unpark_cpu(void)
{
	int cpu = smp_processor_id();
	struct rq *rq = cpu_rq(cpu);
	unsigned int i, n = min_t(unsigned int, atomic_read(&plugsched_parked_nr), plugsched_parked_max);
	struct rq_flags rf;

	rq_lock(rq, &rf);
	update_rq_clock(rq);
	for (i = 0; i < n; i++)
		if (plugsched_parked[i].cpu == cpu)
			enqueue_task(rq, plugsched_parked[i].p, PLUGSCHED_REQUEUE_FLAGS_IN);
	resched_curr(rq);
	rq_unlock(rq, &rf);
}
