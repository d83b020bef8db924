// SPDX-License-Identifier: GPL-2.0
/*
 * niceshare: how the running scheduler shares one CPU between a nice 0 and
 * a nice 19 busy thread. CFS gives each a share proportional to its weight
 * (sched_prio_to_weight: 1024 and 15), so the nice 0 thread gets about 68
 * times the CPU time; a scheduler that ignored nice would give each half.
 *
 *   niceshare SECONDS [CPU]
 *
 * Both threads are pinned to CPU (default 0) and spin for SECONDS. Prints
 * "niceshare: nice0 <ms> ms nice19 <ms> ms ratio <nice0/nice19, integer>".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct spinner {
	pthread_t thread;
	int nice;
	int cpu;
	atomic_int ready;
};

static atomic_int go;
static atomic_int stop;

static void *spin(void *arg)
{
	struct spinner *s = arg;
	volatile unsigned long x = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("niceshare: sched_setaffinity");
	/* nice is per thread on Linux */
	if (setpriority(PRIO_PROCESS, syscall(SYS_gettid), s->nice) != 0)
		perror("niceshare: setpriority");
	atomic_store(&s->ready, 1);
	while (!atomic_load(&go))
		;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		x++;
	return NULL;
}

static long cpu_ms(pthread_t t)
{
	clockid_t clock;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &clock) != 0 || clock_gettime(clock, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	struct spinner s[2] = { { .nice = 0 }, { .nice = 19 } };
	long before[2], used[2];
	int secs, i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: niceshare SECONDS [CPU]\n");
		return 2;
	}
	secs = atoi(argv[1]);
	for (i = 0; i < 2; i++) {
		s[i].cpu = argc == 3 ? atoi(argv[2]) : 0;
		if (pthread_create(&s[i].thread, NULL, spin, &s[i]) != 0) {
			fprintf(stderr, "niceshare: pthread_create failed\n");
			return 1;
		}
	}
	while (!atomic_load(&s[0].ready) || !atomic_load(&s[1].ready))
		usleep(1000);
	for (i = 0; i < 2; i++)
		before[i] = cpu_ms(s[i].thread);
	atomic_store(&go, 1);
	sleep(secs);
	for (i = 0; i < 2; i++)
		used[i] = cpu_ms(s[i].thread) - before[i];
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(s[i].thread, NULL);
	printf("niceshare: nice0 %ld ms nice19 %ld ms ratio %ld\n", used[0], used[1],
	       used[0] / (used[1] > 0 ? used[1] : 1));
	return 0;
}
