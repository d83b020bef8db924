// SPDX-License-Identifier: GPL-2.0
/*
 * slice: ask the scheduler for a custom time slice and print what it
 * reports back. Since Linux 6.12 EEVDF takes sched_attr.sched_runtime of a
 * SCHED_OTHER task as its requested slice (clamped to 0.1..100 ms) and
 * sched_getattr() returns the slice in use; CFS before it ignored the field.
 *
 *   slice NS      request NS nanoseconds (0: the default slice)
 *
 * Prints one line: "slice: default <ns> requested <ns> got <ns>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER0 */
struct slice_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static int get_attr(struct slice_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	return syscall(SYS_sched_getattr, 0, attr, sizeof(*attr), 0);
}

int main(int argc, char **argv)
{
	struct slice_attr attr;
	uint64_t deflt;
	uint64_t want;

	if (argc != 2) {
		fprintf(stderr, "usage: slice NS\n");
		return 2;
	}
	want = strtoull(argv[1], NULL, 10);
	if (get_attr(&attr) != 0) {
		fprintf(stderr, "slice: sched_getattr: %s\n", strerror(errno));
		return 1;
	}
	deflt = attr.sched_runtime;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.sched_policy = 0;	/* SCHED_OTHER */
	attr.sched_runtime = want;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
		fprintf(stderr, "slice: sched_setattr: %s\n", strerror(errno));
		return 1;
	}
	if (get_attr(&attr) != 0) {
		fprintf(stderr, "slice: sched_getattr: %s\n", strerror(errno));
		return 1;
	}
	printf("slice: default %llu requested %llu got %llu\n", (unsigned long long)deflt,
	       (unsigned long long)want, (unsigned long long)attr.sched_runtime);
	return 0;
}
