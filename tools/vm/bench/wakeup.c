// SPDX-License-Identifier: GPL-2.0
/*
 * wakeup: wakeup latency of worker threads under a request load, the
 * measurement schbench (Chris Mason's scheduler benchmark) is known for.
 * Written for plugsched-nx from that description.
 *
 * MSG message threads each own WORKERS worker threads. Every period
 * (2 ms times PACE) a message thread posts a request to each of its idle
 * workers: it stamps the time and wakes the worker through a futex. The
 * worker's wakeup latency is the time from that stamp until it runs; it then
 * works on the request (a 100 us times PACE busy loop) and sleeps again.
 * HOGS threads (default: one per CPU) spin the whole time, so every wakeup
 * has to get a CPU from a running task: what the scheduler's wakeup
 * preemption decides.
 *
 *   wakeup SECONDS PACE [MSG] [WORKERS] [HOGS]
 *
 * Output (the bench protocol, plugins/plugsched/docs/bench.md):
 *   bench: p50 <us> us lower
 *   bench: p99 <us> us lower
 *   bench: p99.9 <us> us lower
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

enum { IDLE, POSTED, QUIT };

struct worker {
	atomic_int state;
	long long posted_ns;
	long long *lat;
	size_t n, cap;
	pthread_t tid;
};

struct messenger {
	struct worker *workers;
	int nworkers;
	pthread_t tid;
};

static long long period_ns, work_ns, deadline_ns;
static atomic_int stop;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void futex_wait(atomic_int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void spin_for(long long ns)
{
	long long end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int s;

	for (;;) {
		while ((s = atomic_load_explicit(&w->state, memory_order_acquire)) == IDLE)
			futex_wait(&w->state, IDLE);
		if (s == QUIT)
			return NULL;
		if (w->n < w->cap)
			w->lat[w->n++] = now_ns() - w->posted_ns;
		spin_for(work_ns);
		atomic_store_explicit(&w->state, IDLE, memory_order_release);
	}
}

static void *messenger_main(void *arg)
{
	struct messenger *m = arg;
	struct timespec next;
	long long t;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while ((t = now_ns()) < deadline_ns) {
		for (i = 0; i < m->nworkers; i++) {
			struct worker *w = &m->workers[i];

			if (atomic_load_explicit(&w->state, memory_order_acquire) != IDLE)
				continue;	/* still busy with the last request */
			w->posted_ns = now_ns();
			atomic_store_explicit(&w->state, POSTED, memory_order_release);
			futex_wake(&w->state);
		}
		next.tv_nsec += period_ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

static void *hog_main(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		x++;
	return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* the nearest-rank percentile of sorted samples */
static double percentile_us(const long long *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	int nmsg = 2, nworkers = 4, nhogs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	struct messenger *msgs;
	pthread_t hogs[MAX_THREADS];
	long long *all;
	size_t total = 0, cap;
	double seconds;
	int pace, i, j;

	if (argc < 3) {
		fprintf(stderr, "usage: wakeup SECONDS PACE [MSG] [WORKERS] [HOGS]\n");
		return 2;
	}
	seconds = atof(argv[1]);
	pace = atoi(argv[2]);
	if (argc > 3)
		nmsg = atoi(argv[3]);
	if (argc > 4)
		nworkers = atoi(argv[4]);
	if (argc > 5)
		nhogs = atoi(argv[5]);
	if (seconds <= 0 || pace < 1 || nmsg < 1 || nworkers < 1 || nhogs < 0 ||
	    nmsg * nworkers > MAX_THREADS || nhogs > MAX_THREADS) {
		fprintf(stderr, "wakeup: SECONDS > 0, PACE >= 1, MSG * WORKERS and HOGS at most %d\n", MAX_THREADS);
		return 2;
	}
	period_ns = 2000000LL * pace;
	work_ns = 100000LL * pace;
	cap = (size_t)(seconds * 1e9 / period_ns) + 16;

	for (i = 0; i < nhogs; i++)
		if (pthread_create(&hogs[i], NULL, hog_main, NULL)) {
			perror("wakeup: hog");
			return 1;
		}
	msgs = calloc(nmsg, sizeof(*msgs));
	for (i = 0; i < nmsg; i++) {
		msgs[i].nworkers = nworkers;
		msgs[i].workers = calloc(nworkers, sizeof(struct worker));
		for (j = 0; j < nworkers; j++) {
			struct worker *w = &msgs[i].workers[j];

			w->cap = cap;
			w->lat = calloc(cap, sizeof(long long));
			if (!w->lat || pthread_create(&w->tid, NULL, worker_main, w)) {
				perror("wakeup: worker");
				return 1;
			}
		}
	}
	/* a moment for every thread to reach its first sleep */
	usleep(100000);
	deadline_ns = now_ns() + (long long)(seconds * 1e9);
	for (i = 0; i < nmsg; i++)
		if (pthread_create(&msgs[i].tid, NULL, messenger_main, &msgs[i])) {
			perror("wakeup: message thread");
			return 1;
		}
	for (i = 0; i < nmsg; i++)
		pthread_join(msgs[i].tid, NULL);
	atomic_store(&stop, 1);
	for (i = 0; i < nhogs; i++)
		pthread_join(hogs[i], NULL);
	for (i = 0; i < nmsg; i++)
		for (j = 0; j < nworkers; j++) {
			struct worker *w = &msgs[i].workers[j];

			while (atomic_load(&w->state) != IDLE)
				usleep(1000);
			atomic_store(&w->state, QUIT);
			futex_wake(&w->state);
			pthread_join(w->tid, NULL);
			total += w->n;
		}

	if (total == 0) {
		fprintf(stderr, "wakeup: no request was served\n");
		return 1;
	}
	all = malloc(total * sizeof(*all));
	total = 0;
	for (i = 0; i < nmsg; i++)
		for (j = 0; j < nworkers; j++) {
			struct worker *w = &msgs[i].workers[j];

			memcpy(all + total, w->lat, w->n * sizeof(*all));
			total += w->n;
		}
	qsort(all, total, sizeof(*all), cmp_ll);
	printf("bench: p50 %.6g us lower\n", percentile_us(all, total, 50));
	printf("bench: p99 %.6g us lower\n", percentile_us(all, total, 99));
	printf("bench: p99.9 %.6g us lower\n", percentile_us(all, total, 99.9));
	fprintf(stderr, "wakeup: %zu requests, %d message threads, %d workers each, %d hogs\n", total, nmsg, nworkers, nhogs);
	return 0;
}
