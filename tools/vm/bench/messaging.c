// SPDX-License-Identifier: GPL-2.0
/*
 * messaging: throughput of small messages between groups of tasks, the
 * workload hackbench (rt-tests) and "perf bench sched messaging" made the
 * field's standard. Written for plugsched-nx from that description.
 *
 * GROUPS groups of processes; in each, FDS senders and FDS receivers. Every
 * receiver owns one channel (a pipe, or a unix stream socket pair); every
 * sender of the group writes 100-byte messages to each receiver of its group
 * in turn, as fast as the receivers take them, until SECONDS have passed.
 * The scheduler's part is the wakeups: a full pipe blocks its writer, a read
 * empties it and wakes the writer, many tasks per CPU.
 *
 *   messaging SECONDS PACE pipe|socket [GROUPS] [FDS]
 *
 * Output (the bench protocol, plugins/plugsched/docs/bench.md):
 *   bench: throughput <messages per second> msg/s higher
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE 100
#define MAX_FDS 32
#define MAX_GROUPS 16

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* block until the parent closes the start pipe, so every task starts together */
static void wait_start(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	close(fd);
}

static void receiver(int fd, int start, unsigned long long *count)
{
	char buf[MSG_SIZE * 16];
	unsigned long long bytes = 0;
	ssize_t n;

	wait_start(start);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			bytes += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;		/* EOF: every sender is gone */
	}
	*count = bytes / MSG_SIZE;
	exit(0);
}

static void sender(const int *out, int nfds, int start, double seconds)
{
	char msg[MSG_SIZE];
	long long deadline_ns;
	unsigned long i;

	memset(msg, 'm', sizeof(msg));
	wait_start(start);
	deadline_ns = now_ns() + (long long)(seconds * 1e9);
	for (i = 0;; i++) {
		if ((i & 15) == 0 && now_ns() >= deadline_ns)
			break;
		if (write(out[i % nfds], msg, sizeof(msg)) != sizeof(msg) && errno != EINTR)
			die("messaging: write");
	}
	exit(0);
}

int main(int argc, char **argv)
{
	int rd[MAX_GROUPS][MAX_FDS], wr[MAX_GROUPS][MAX_FDS];
	unsigned long long *counts, total = 0;
	int groups = 2, nfds = 4, sock, start[2];
	double seconds;
	long long t0;
	int g, i, j, status, failed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: messaging SECONDS PACE pipe|socket [GROUPS] [FDS]\n");
		return 2;
	}
	seconds = atof(argv[1]);
	sock = !strcmp(argv[3], "socket");
	if (!sock && strcmp(argv[3], "pipe")) {
		fprintf(stderr, "messaging: the channel is pipe or socket, not %s\n", argv[3]);
		return 2;
	}
	if (argc > 4)
		groups = atoi(argv[4]);
	if (argc > 5)
		nfds = atoi(argv[5]);
	if (seconds <= 0 || groups < 1 || groups > MAX_GROUPS || nfds < 1 || nfds > MAX_FDS) {
		fprintf(stderr, "messaging: SECONDS > 0, GROUPS 1..%d, FDS 1..%d\n", MAX_GROUPS, MAX_FDS);
		return 2;
	}

	counts = mmap(NULL, sizeof(*counts) * groups * nfds, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		die("messaging: mmap");
	if (pipe(start))
		die("messaging: pipe");
	for (g = 0; g < groups; g++) {
		for (i = 0; i < nfds; i++) {
			int fds[2];

			if (sock ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) : pipe(fds))
				die("messaging: channel");
			rd[g][i] = fds[0];
			wr[g][i] = fds[1];
		}
	}

	/* receivers keep only their own read end */
	for (g = 0; g < groups; g++) {
		for (i = 0; i < nfds; i++) {
			pid_t pid = fork();

			if (pid < 0)
				die("messaging: fork");
			if (pid == 0) {
				int h, k;

				close(start[1]);
				for (h = 0; h < groups; h++)
					for (k = 0; k < nfds; k++) {
						close(wr[h][k]);
						if (h != g || k != i)
							close(rd[h][k]);
					}
				receiver(rd[g][i], start[0], &counts[g * nfds + i]);
			}
		}
	}
	/* senders keep the write ends of their group */
	for (g = 0; g < groups; g++) {
		for (i = 0; i < nfds; i++) {
			pid_t pid = fork();

			if (pid < 0)
				die("messaging: fork");
			if (pid == 0) {
				int h, k;

				close(start[1]);
				for (h = 0; h < groups; h++)
					for (k = 0; k < nfds; k++) {
						close(rd[h][k]);
						if (h != g)
							close(wr[h][k]);
					}
				sender(wr[g], nfds, start[0], seconds);
			}
		}
	}
	for (g = 0; g < groups; g++)
		for (j = 0; j < nfds; j++) {
			close(rd[g][j]);
			close(wr[g][j]);
		}
	close(start[0]);
	t0 = now_ns();
	close(start[1]);	/* go */
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	if (failed) {
		fprintf(stderr, "messaging: a sender or receiver failed\n");
		return 1;
	}
	for (i = 0; i < groups * nfds; i++)
		total += counts[i];
	printf("bench: throughput %.6g msg/s higher\n", total / ((now_ns() - t0) / 1e9));
	return 0;
}
