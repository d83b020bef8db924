// SPDX-License-Identifier: GPL-2.0
/*
 * policies: busy tasks of every scheduling policy, and what the kernel says
 * of them, for the policies VM scenario.
 *
 *   policies spin CPU POLICY [ARGS]  pin to CPU (-1: any), take POLICY, spin
 *       POLICY: other NICE | batch NICE | idle | fifo PRIO | rr PRIO |
 *               deadline RUNTIME_US DEADLINE_US PERIOD_US
 *   policies show PID                one line: policy and every parameter
 *                                    sched_getattr() reports, the affinity
 *                                    and the core-scheduling cookie
 *   policies share MS PID...         each task's CPU time over MS
 *                                    milliseconds, in percent of one CPU
 *   policies cookie PID              give PID a core-scheduling cookie of
 *                                    its own (exit 3: no core scheduling)
 *   policies max fifo                sched_get_priority_max(SCHED_FIFO)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef PR_SCHED_CORE
#define PR_SCHED_CORE 62
#define PR_SCHED_CORE_GET 0
#define PR_SCHED_CORE_CREATE 1
#endif

/* the kernel's struct sched_attr (include/uapi/linux/sched/types.h), SCHED_ATTR_SIZE_VER1 */
struct policy_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

static const char *policy_name(unsigned int p)
{
	switch (p) {
	case SCHED_OTHER: return "SCHED_OTHER";
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_BATCH: return "SCHED_BATCH";
	case SCHED_IDLE: return "SCHED_IDLE";
	case SCHED_DEADLINE: return "SCHED_DEADLINE";
	default: return "unknown";
	}
}

static int fail(const char *what)
{
	fprintf(stderr, "policies: %s: %s\n", what, strerror(errno));
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: policies spin CPU POLICY [ARGS] | show PID | share MS PID... | cookie PID | max fifo\n");
	return 2;
}

static int spin(int argc, char **argv)
{
	struct policy_attr a = { .size = sizeof(a) };
	cpu_set_t set;
	int cpu;

	if (argc < 4)
		return usage();
	cpu = atoi(argv[2]);
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return fail("sched_setaffinity");
	}
	if (!strcmp(argv[3], "other") && argc == 5) {
		a.sched_policy = SCHED_OTHER;
		a.sched_nice = atoi(argv[4]);
	} else if (!strcmp(argv[3], "batch") && argc == 5) {
		a.sched_policy = SCHED_BATCH;
		a.sched_nice = atoi(argv[4]);
	} else if (!strcmp(argv[3], "idle") && argc == 4) {
		a.sched_policy = SCHED_IDLE;
	} else if ((!strcmp(argv[3], "fifo") || !strcmp(argv[3], "rr")) && argc == 5) {
		a.sched_policy = argv[3][0] == 'f' ? SCHED_FIFO : SCHED_RR;
		a.sched_priority = atoi(argv[4]);
	} else if (!strcmp(argv[3], "deadline") && argc == 7) {
		a.sched_policy = SCHED_DEADLINE;
		a.sched_runtime = strtoull(argv[4], NULL, 10) * 1000;
		a.sched_deadline = strtoull(argv[5], NULL, 10) * 1000;
		a.sched_period = strtoull(argv[6], NULL, 10) * 1000;
	} else {
		return usage();
	}
	if (syscall(SYS_sched_setattr, 0, &a, 0))
		return fail("sched_setattr");
	printf("policies: spinning as %s\n", policy_name(a.sched_policy));
	fflush(stdout);
	for (;;)
		;
}

static int show(const char *arg)
{
	struct policy_attr a;
	unsigned long mask = 0, cookie = 0;
	pid_t pid = atoi(arg);
	cpu_set_t set;
	int i;

	memset(&a, 0, sizeof(a));
	if (syscall(SYS_sched_getattr, pid, &a, sizeof(a), 0))
		return fail("sched_getattr");
	if (sched_getaffinity(pid, sizeof(set), &set))
		return fail("sched_getaffinity");
	for (i = 0; i < 64 && i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			mask |= 1UL << i;
	/* no core scheduling in this kernel: no cookie to show */
	if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, pid, 0, &cookie))
		cookie = 0;
	printf("policy=%s flags=%llx nice=%d prio=%u runtime=%llu deadline=%llu period=%llu util=%u-%u affinity=%lx cookie=%s\n",
	       policy_name(a.sched_policy), (unsigned long long)a.sched_flags, a.sched_nice,
	       a.sched_priority, (unsigned long long)a.sched_runtime,
	       (unsigned long long)a.sched_deadline, (unsigned long long)a.sched_period,
	       a.sched_util_min, a.sched_util_max, mask, cookie ? "set" : "none");
	return 0;
}

/* the task's sum_exec_runtime in ns, the first field of /proc/PID/schedstat */
static int exec_ns(pid_t pid, unsigned long long *ns)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu", ns) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static int share(int argc, char **argv)
{
	unsigned long long before[16], after, t0, t1;
	int n = argc - 3, i;

	if (n < 1 || n > 16)
		return usage();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (exec_ns(atoi(argv[3 + i]), &before[i]))
			return fail(argv[3 + i]);
	usleep(atoi(argv[2]) * 1000);
	t1 = now_ns();
	for (i = 0; i < n; i++) {
		if (exec_ns(atoi(argv[3 + i]), &after))
			return fail(argv[3 + i]);
		printf("%s%llu", i ? " " : "", (after - before[i]) * 100 / (t1 - t0));
	}
	printf("\n");
	return 0;
}

static int cookie(const char *arg)
{
	if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, atoi(arg), 0 /* PIDTYPE_PID */, 0)) {
		if (errno == EINVAL || errno == ENODEV)
			return 3;
		return fail("PR_SCHED_CORE_CREATE");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "spin"))
		return spin(argc, argv);
	if (!strcmp(argv[1], "show") && argc == 3)
		return show(argv[2]);
	if (!strcmp(argv[1], "share"))
		return share(argc, argv);
	if (!strcmp(argv[1], "cookie") && argc == 3)
		return cookie(argv[2]);
	if (!strcmp(argv[1], "max") && argc == 3 && !strcmp(argv[2], "fifo")) {
		printf("%d\n", sched_get_priority_max(SCHED_FIFO));
		return 0;
	}
	return usage();
}
