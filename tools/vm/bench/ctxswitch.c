// SPDX-License-Identifier: GPL-2.0
/*
 * ctxswitch: context switches per second between two processes that pass a
 * token back and forth over two pipes, both on CPU 0: the measurement of
 * "perf bench sched pipe" (run under taskset) and lmbench's lat_ctx with no
 * working set. Written for plugsched-nx from that description.
 *
 * Every hand-over blocks one process on its read and wakes the other, so each
 * round trip is two context switches through the scheduler's wakeup, pick and
 * switch paths.
 *
 *   ctxswitch SECONDS PACE
 *
 * Output (the bench protocol, plugins/plugsched/docs/bench.md):
 *   bench: switches <per second> /s higher
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("ctxswitch: sched_setaffinity");
}

int main(int argc, char **argv)
{
	int ping[2], pong[2], status;
	unsigned long trips = 0;
	long long t0, end, t;
	double seconds;
	char c = 't';
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: ctxswitch SECONDS PACE\n");
		return 2;
	}
	seconds = atof(argv[1]);
	if (seconds <= 0) {
		fprintf(stderr, "ctxswitch: SECONDS > 0\n");
		return 2;
	}
	if (pipe(ping) || pipe(pong)) {
		perror("ctxswitch: pipe");
		return 1;
	}
	pin_cpu0();
	pid = fork();
	if (pid < 0) {
		perror("ctxswitch: fork");
		return 1;
	}
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		/* echo every token until the parent closes its end */
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				return 1;
		return 0;
	}
	close(ping[0]);
	close(pong[1]);
	t0 = now_ns();
	end = t0 + (long long)(seconds * 1e9);
	do {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) {
			perror("ctxswitch: token");
			return 1;
		}
		trips++;
	} while ((trips & 63) || (t = now_ns()) < end);
	close(ping[1]);
	waitpid(pid, &status, 0);
	printf("bench: switches %.6g /s higher\n", 2.0 * trips / ((t - t0) / 1e9));
	return 0;
}
