// SPDX-License-Identifier: GPL-2.0
/*
 * fairness: the CPU share of busy loops at different nice levels, the test
 * CFS's weights are defined by (Documentation/scheduler/sched-nice-design.rst:
 * each nice level is about 10% of CPU against a task one level apart).
 * Written for plugsched-nx.
 *
 * PER threads at each of the nice levels 0, 5 and 10 (default: one per CPU,
 * so every CPU has a task of every level to choose from) spin for SECONDS.
 * Each thread reads its own CPU time at the start and at the end. A level's
 * share is its threads' CPU time over all threads'; the ideal share is its
 * weight over the total weight (1024, 335 and 110: sched_prio_to_weight).
 *
 *   fairness SECONDS PACE [PER]
 *
 * Output (the bench protocol, plugins/plugsched/docs/bench.md):
 *   bench: share-nice0 <%> % none      (and share-nice5, share-nice10)
 *   bench: weight-error <%> % lower    half the summed |share - ideal share|
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LEVELS 3
#define MAX_PER 64

static const int nice_of[LEVELS] = { 0, 5, 10 };
static const double weight_of[LEVELS] = { 1024, 335, 110 };

struct spinner {
	int level;
	double cpu_s;
	pthread_t tid;
};

static pthread_barrier_t ready;
static atomic_int stop;

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	struct spinner *s = arg;
	volatile unsigned long x = 0;
	double t0;

	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice_of[s->level]))
		perror("fairness: setpriority");
	pthread_barrier_wait(&ready);
	t0 = thread_cpu_s();
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		x++;
	s->cpu_s = thread_cpu_s() - t0;
	return NULL;
}

int main(int argc, char **argv)
{
	int per = (int)sysconf(_SC_NPROCESSORS_ONLN);
	struct spinner sp[LEVELS * MAX_PER];
	double cpu[LEVELS] = { 0 }, total = 0, wsum = 0, err = 0;
	struct timespec run;
	double seconds;
	int i, n;

	if (argc < 3) {
		fprintf(stderr, "usage: fairness SECONDS PACE [PER]\n");
		return 2;
	}
	seconds = atof(argv[1]);
	if (argc > 3)
		per = atoi(argv[3]);
	if (seconds <= 0 || per < 1 || per > MAX_PER) {
		fprintf(stderr, "fairness: SECONDS > 0, PER 1..%d\n", MAX_PER);
		return 2;
	}
	n = LEVELS * per;
	pthread_barrier_init(&ready, NULL, n + 1);
	for (i = 0; i < n; i++) {
		sp[i].level = i % LEVELS;
		if (pthread_create(&sp[i].tid, NULL, spin, &sp[i])) {
			perror("fairness: thread");
			return 1;
		}
	}
	pthread_barrier_wait(&ready);
	run.tv_sec = (time_t)seconds;
	run.tv_nsec = (long)((seconds - run.tv_sec) * 1e9);
	nanosleep(&run, NULL);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++) {
		pthread_join(sp[i].tid, NULL);
		cpu[sp[i].level] += sp[i].cpu_s;
		total += sp[i].cpu_s;
	}
	if (total <= 0) {
		fprintf(stderr, "fairness: the threads got no CPU time\n");
		return 1;
	}
	for (i = 0; i < LEVELS; i++)
		wsum += weight_of[i];
	for (i = 0; i < LEVELS; i++) {
		double share = 100.0 * cpu[i] / total;

		printf("bench: share-nice%d %.4g %% none\n", nice_of[i], share);
		err += share > 100.0 * weight_of[i] / wsum ? share - 100.0 * weight_of[i] / wsum : 100.0 * weight_of[i] / wsum - share;
	}
	printf("bench: weight-error %.4g %% lower\n", err / 2);
	return 0;
}
