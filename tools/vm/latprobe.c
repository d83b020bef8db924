// SPDX-License-Identifier: GPL-2.0
/*
 * latprobe: what a latency-sensitive workload feels of a live update, in the
 * manner of cyclictest. One SCHED_FIFO thread per online CPU, pinned to it,
 * wakes from an absolute periodic timer (default every 1000 us) and records
 * how late it woke. While the machine is stopped no thread runs, so a switch
 * of S microseconds shows as a wakeup about S late: the longest lateness
 * seen during a switch is the downtime as the workload feels it, within one
 * period.
 *
 *   latprobe [PERIOD_US]
 *
 * Runs until SIGTERM. SIGUSR1 opens window n (forgets the longest lateness
 * so far) and prints "latprobe: open <n>", SIGUSR2 closes it and prints
 *   latprobe: window <n> max <us> us cpu <cpu> wakeups <count>
 * Only wakeups due after the window opened count: the probe may be kept
 * stopped (SIGSTOP) between windows, so that it wakes nothing outside them,
 * and its first wakeups after SIGCONT are long overdue.
 * Prints "latprobe: started <threads> threads, period <us> us, <policy>" first
 * (policy "fifo 99", or "other" when SCHED_FIFO is refused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC	1000000000L
#define NSEC_PER_USEC	1000L

static long period_ns = 1000 * NSEC_PER_USEC;
static atomic_long window_max_ns;
static atomic_int window_max_cpu = -1;
static atomic_long window_wakeups;
static atomic_long window_open_ns;

static long ts_ns(const struct timespec *t)
{
	return t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

static void ts_set(struct timespec *t, long ns)
{
	t->tv_sec = ns / NSEC_PER_SEC;
	t->tv_nsec = ns % NSEC_PER_SEC;
}

static void note_lateness(long late, int cpu)
{
	long seen = atomic_load_explicit(&window_max_ns, memory_order_relaxed);

	atomic_fetch_add_explicit(&window_wakeups, 1, memory_order_relaxed);
	while (late > seen) {
		if (atomic_compare_exchange_weak(&window_max_ns, &seen, late)) {
			atomic_store(&window_max_cpu, cpu);
			break;
		}
	}
}

static void *probe(void *arg)
{
	int cpu = (int)(long)arg;
	struct timespec now, next;
	long due;

	clock_gettime(CLOCK_MONOTONIC, &now);
	due = ts_ns(&now) + period_ns;
	for (;;) {
		ts_set(&next, due);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (due >= atomic_load(&window_open_ns))
			note_lateness(ts_ns(&now) - due, cpu);
		due += period_ns;
		/* a long stall: the next wakeup is the next period after now, not a burst of missed ones */
		if (due <= ts_ns(&now))
			due = ts_ns(&now) + period_ns - (ts_ns(&now) - due) % period_ns;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sched_param prio = { .sched_priority = 99 };
	const char *policy = "fifo 99";
	int ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN), started = 0, window = 0, sig;
	cpu_set_t online;
	sigset_t set;

	if (argc > 2 || (argc == 2 && atol(argv[1]) <= 0)) {
		fprintf(stderr, "usage: latprobe [PERIOD_US]\n");
		return 2;
	}
	if (argc == 2)
		period_ns = atol(argv[1]) * NSEC_PER_USEC;
	/* every thread inherits the blocked signals: only sigwait() below takes them */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	mlockall(MCL_CURRENT | MCL_FUTURE);
	if (sched_getaffinity(0, sizeof(online), &online))
		CPU_ZERO(&online);
	for (int cpu = 0; cpu < CPU_SETSIZE && started < ncpus; cpu++) {
		pthread_attr_t attr;
		cpu_set_t one;
		pthread_t tid;

		if (!CPU_ISSET(cpu, &online))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &prio);
		if (pthread_create(&tid, &attr, probe, (void *)(long)cpu)) {
			/* no SCHED_FIFO (an unprivileged run): the same at normal priority */
			pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
			policy = "other";
			if (pthread_create(&tid, &attr, probe, (void *)(long)cpu)) {
				perror("latprobe: pthread_create");
				return 1;
			}
		}
		pthread_attr_destroy(&attr);
		started++;
	}
	printf("latprobe: started %d threads, period %ld us, %s\n", started, period_ns / NSEC_PER_USEC, policy);
	fflush(stdout);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGUSR1) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			atomic_store(&window_open_ns, ts_ns(&now));
			/* a thread that read the old opening has noted its wakeup within a period */
			ts_set(&now, period_ns);
			nanosleep(&now, NULL);
			atomic_store(&window_max_ns, 0);
			atomic_store(&window_max_cpu, -1);
			atomic_store(&window_wakeups, 0);
			printf("latprobe: open %d\n", window + 1);
			fflush(stdout);
		} else if (sig == SIGUSR2) {
			printf("latprobe: window %d max %ld us cpu %d wakeups %ld\n", ++window,
			       atomic_load(&window_max_ns) / NSEC_PER_USEC, atomic_load(&window_max_cpu),
			       atomic_load(&window_wakeups));
			fflush(stdout);
		} else {
			return 0;
		}
	}
}
