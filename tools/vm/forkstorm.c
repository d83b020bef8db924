// SPDX-License-Identifier: GPL-2.0
/*
 * forkstorm: short-lived processes and threads, as fast as the guest makes
 * them, until SIGTERM.
 *
 *   forkstorm WORKERS
 *
 * Each worker forks in a loop; a child either execs /bin/true, starts a
 * thread that exits at once and then exits itself, or exits straight away.
 * Children are reaped late: a worker waits for them in batches of 64, so
 * zombies are always around. Workers also start and detach short-lived
 * threads of their own. Every worker is in forkstorm's process group (its
 * pid), so "kill -STOP -<pid>" holds the whole storm still and
 * "kill -CONT -<pid>" lets it go on.
 *
 * Prints "forkstorm: started <pid>" once running, and on SIGTERM
 * "forkstorm: <n> forks, <m> threads in <s> s".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FORKSTORM_BATCH		64
#define FORKSTORM_MAX_WORKERS	64

struct forkstorm_counts {
	unsigned long forks, threads;
};

static struct forkstorm_counts *counts;	/* shared with the workers */
static volatile sig_atomic_t stopping;

static void *forkstorm_thread(void *arg)
{
	return arg;
}

static void forkstorm_spawn_thread(void)
{
	pthread_t t;

	if (!pthread_create(&t, NULL, forkstorm_thread, NULL))
		pthread_detach(t);
}

static void forkstorm_child(unsigned long n)
{
	switch (n % 3) {
	case 0:
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	case 1:
		forkstorm_spawn_thread();
		_exit(0);
	default:
		_exit(0);
	}
}

static void forkstorm_worker(struct forkstorm_counts *c)
{
	unsigned long n = 0;
	int pending = 0;

	for (;;) {
		pid_t pid = fork();

		if (pid == 0)
			forkstorm_child(n);
		if (pid > 0) {
			__atomic_add_fetch(&c->forks, 1, __ATOMIC_RELAXED);
			pending++;
		}
		if (++n % 8 == 0) {
			forkstorm_spawn_thread();
			__atomic_add_fetch(&c->threads, 1, __ATOMIC_RELAXED);
		}
		if (pending >= FORKSTORM_BATCH || pid < 0) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				pending--;
			if (pid < 0)
				usleep(1000);
		}
	}
}

static void forkstorm_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	int workers = argc > 1 ? atoi(argv[1]) : 4;
	pid_t pids[FORKSTORM_MAX_WORKERS];
	struct timespec t0, t1;
	int i;

	if (workers < 1 || workers > FORKSTORM_MAX_WORKERS) {
		fprintf(stderr, "usage: forkstorm WORKERS (1..%d)\n", FORKSTORM_MAX_WORKERS);
		return 2;
	}
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED || setpgid(0, 0)) {
		perror("forkstorm");
		return 1;
	}
	signal(SIGTERM, forkstorm_stop);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			forkstorm_worker(counts);
		}
	}
	printf("forkstorm: started %d\n", (int)getpid());
	fflush(stdout);
	while (!stopping)
		pause();
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("forkstorm: %lu forks, %lu threads in %ld s\n",
	       counts->forks, counts->threads, (long)(t1.tv_sec - t0.tv_sec));
	return 0;
}
