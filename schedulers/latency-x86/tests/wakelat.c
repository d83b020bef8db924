// SPDX-License-Identifier: GPL-2.0
/*
 * wakelat: how long a task that slept waits for a CPU held by a busy loop.
 *
 *   wakelat [WAKEUPS] [SLEEP_US]      default 60 wakeups, 10000 us apart
 *
 * A busy child and this process share CPU 0 (both SCHED_OTHER, nice 0).
 * Each round sleeps SLEEP_US to an absolute deadline and records how late
 * it woke. A 10 ms sleep puts the sleeper more than one wakeup granularity
 * (2 ms on 2 CPUs) behind the busy child, so CFS's wakeup preemption lets
 * it run at once; with latency-x86's wakeup_gran() (a whole period, 12 ms)
 * it waits for the tick that ends the child's slice.
 *
 * Prints one line: "wakelat: p50 <us> p90 <us> max <us> (<n> wakeups)".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 60;
	long long sleep_ns = (argc > 2 ? atoll(argv[2]) : 10000) * 1000;
	long long *late, deadline;
	struct timespec ts;
	pid_t hog;
	int i;

	if (n < 1 || n > 100000 || sleep_ns < 1000) {
		fprintf(stderr, "usage: wakelat [WAKEUPS 1..100000] [SLEEP_US >= 1]\n");
		return 2;
	}
	late = calloc(n, sizeof(*late));
	if (!late || pin_cpu0()) {
		perror("wakelat");
		return 1;
	}
	hog = fork();
	if (hog < 0) {
		perror("wakelat: fork");
		return 1;
	}
	if (hog == 0) {
		for (;;)
			;
	}
	/* let the busy child build up a slice of its own */
	usleep(50000);
	deadline = now_ns();
	for (i = 0; i < n; i++) {
		deadline += sleep_ns;
		ts.tv_sec = deadline / 1000000000LL;
		ts.tv_nsec = deadline % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		late[i] = now_ns() - deadline;
		/* the next deadline is relative to this wakeup: every round sleeps the whole interval */
		deadline = now_ns();
	}
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	qsort(late, n, sizeof(*late), cmp_ll);
	printf("wakelat: p50 %lld p90 %lld max %lld (%d wakeups)\n",
	       late[n / 2] / 1000, late[n * 9 / 10] / 1000, late[n - 1] / 1000, n);
	return 0;
}
