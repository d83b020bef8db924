// SPDX-License-Identifier: GPL-2.0
/*
 * fork-as: fork one child under a chosen task name, so a VM test can find
 * that exact fork in what the scheduler logs (scheduler-x86's
 * PLUGSCHED_FORK_LOG feature logs "scheduler-x86: new task <comm>/<pid>").
 *
 *   fork-as NAME
 *
 * Renames itself NAME (prctl PR_SET_NAME; the child inherits the name at
 * fork), forks a child that exits at once, waits for it and prints the
 * child's pid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: fork-as NAME\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0) != 0) {
		perror("fork-as: prctl");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork-as: fork");
		return 1;
	}
	if (child == 0)
		_exit(0);
	if (waitpid(child, &status, 0) != child) {
		perror("fork-as: waitpid");
		return 1;
	}
	printf("%d\n", (int)child);
	return 0;
}
