// SPDX-License-Identifier: GPL-2.0
/*
 * spinners: a scheduler workload for the VM test. Starts N threads that
 * alternate a short busy loop with a short sleep, so every CPU keeps
 * switching between many runnable tasks, and prints the total progress
 * every half second so a test can tell the workload kept running.
 *
 *   spinners THREADS SECONDS [BUSY_ITERATIONS] [SLEEP_MS]
 *
 * The defaults (100 iterations, 50 ms) keep a thousand threads within about
 * half a CPU under QEMU's emulation, so the guest stays responsive.
 *
 * Prints "spinners: started N", "spinners: progress T <total>" lines and
 * "spinners: done <total> stalled <periods without progress>" (half-second
 * periods without progress beyond one sleep of the threads). SIGTERM ends
 * the run early, with the same closing line.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_ulong total;
static atomic_int stop;
static volatile sig_atomic_t terminated;

static void on_term(int sig)
{
	(void)sig;
	terminated = 1;
}
static int busy_iterations = 100;
static long sleep_ns = 50 * 1000000L;

static void *spin(void *arg)
{
	volatile unsigned long x = 0;
	struct timespec nap = { sleep_ns / 1000000000L, sleep_ns % 1000000000L };

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int i = 0; i < busy_iterations; i++)
			x += i;
		atomic_fetch_add_explicit(&total, 1, memory_order_relaxed);
		nanosleep(&nap, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: spinners THREADS SECONDS [BUSY_ITERATIONS] [SLEEP_MS]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	int secs = atoi(argv[2]);

	if (argc > 3)
		busy_iterations = atoi(argv[3]);
	if (argc > 4)
		sleep_ns = atol(argv[4]) * 1000000L;
	signal(SIGTERM, on_term);
	pthread_attr_t attr;
	pthread_t *tids = calloc(n, sizeof(*tids));
	int started = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&tids[i], &attr, spin, NULL))
			break;
		started++;
	}
	printf("spinners: started %d\n", started);
	fflush(stdout);

	unsigned long last = 0;
	int stalled = 0, idle = 0;
	/*
	 * Every thread sleeps sleep_ns between two steps, and threads started
	 * close together wake in waves: the count may stand still for that
	 * long with every thread scheduled as it should be. Only a longer
	 * stretch without progress is a stall.
	 */
	int allowed = (int)(sleep_ns / 500000000L);

	for (int t = 0; t < secs * 2 && !terminated; t++) {
		struct timespec half = { 0, 500000000 };

		if (nanosleep(&half, NULL) && terminated)
			break;
		unsigned long now = atomic_load(&total);

		printf("spinners: progress %d %lu\n", t, now);
		fflush(stdout);
		if (now != last)
			idle = 0;
		else if (++idle > allowed)
			stalled++;
		last = now;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	printf("spinners: done %lu stalled %d\n", (unsigned long)atomic_load(&total), stalled);
	return started == n ? 0 : 1;
}
