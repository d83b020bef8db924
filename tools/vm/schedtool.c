// SPDX-License-Identifier: GPL-2.0
/*
 * schedtool: apply one scheduling setting to itself through the scheduler's
 * syscalls and print what the kernel reports back, so a VM scenario can
 * compare the answers before, during and after a live update.
 *
 *   schedtool fifo PRIO | rr PRIO | nice N | affinity CPU | yield COUNT
 *
 * Prints one line: "policy=<name> prio=<n> nice=<n> affinity=<hex mask> rr=<ms>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *policy_name(int p)
{
	switch (p) {
	case SCHED_OTHER: return "SCHED_OTHER";
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_BATCH: return "SCHED_BATCH";
	case SCHED_IDLE: return "SCHED_IDLE";
	default: return "unknown";
	}
}

static int fail(const char *what)
{
	fprintf(stderr, "schedtool: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sched_param sp = { 0 };
	struct timespec rr = { 0 };
	cpu_set_t set;
	unsigned long mask = 0;
	int i, n;

	if (argc != 3) {
		fprintf(stderr, "usage: schedtool fifo PRIO | rr PRIO | nice N | affinity CPU | yield COUNT\n");
		return 2;
	}
	n = atoi(argv[2]);
	if (!strcmp(argv[1], "fifo") || !strcmp(argv[1], "rr")) {
		sp.sched_priority = n;
		if (sched_setscheduler(0, argv[1][0] == 'f' ? SCHED_FIFO : SCHED_RR, &sp))
			return fail("sched_setscheduler");
	} else if (!strcmp(argv[1], "nice")) {
		if (setpriority(PRIO_PROCESS, 0, n))
			return fail("setpriority");
	} else if (!strcmp(argv[1], "affinity")) {
		CPU_ZERO(&set);
		CPU_SET(n, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return fail("sched_setaffinity");
	} else if (!strcmp(argv[1], "yield")) {
		for (i = 0; i < n; i++)
			sched_yield();
	} else {
		fprintf(stderr, "schedtool: unknown setting %s\n", argv[1]);
		return 2;
	}
	if (sched_getparam(0, &sp) || sched_getaffinity(0, sizeof(set), &set) ||
	    sched_rr_get_interval(0, &rr))
		return fail("reading back");
	for (i = 0; i < 64 && i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			mask |= 1UL << i;
	errno = 0;
	n = getpriority(PRIO_PROCESS, 0);
	if (errno)
		return fail("getpriority");
	printf("policy=%s prio=%d nice=%d affinity=%lx rr=%ld\n", policy_name(sched_getscheduler(0)),
	       sp.sched_priority, n, mask, rr.tv_sec * 1000 + rr.tv_nsec / 1000000);
	return 0;
}
