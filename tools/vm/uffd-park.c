// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-park: hold a thread inside a scheduler syscall, deterministically.
 *
 * A page is registered with userfaultfd (missing faults), and a thread
 * calls sched_getaffinity() into it: the syscall's copy_to_user faults and
 * the thread sleeps in the fault handler with the syscall's frame (the
 * kernel's copy, or the module's while installed) on its stack, until this
 * program resolves the fault. The parked-vm scenario (65-parked.sh) installs
 * and rolls back meanwhile and expects EBUSY naming the thread.
 *
 *   uffd-park RELEASE_FILE [GO_FILE]
 *                            prints "parked <tid>", waits for RELEASE_FILE
 *                            to exist, resolves the fault (a zero page),
 *                            prints "released <rc>" once the syscall returned
 *
 * With GO_FILE the thread first sleeps (printing "waiting <tid>") in the
 * open of GO_FILE, a FIFO this program makes, until someone opens it for
 * writing (echo go > GO_FILE), then parks: asleep without waking up until
 * then, a task that is asleep elsewhere when a switch
 * starts and inside the syscall by the time it stops the machine (the
 * stack-recheck scenario, 85-stack-recheck.sh).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *page;
static const char *go;
static volatile long tid, syscall_rc = -1000;

static void *parked(void *arg)
{
	(void)arg;
	tid = syscall(SYS_gettid);
	if (go) {
		int fd = open(go, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	/* the raw syscall: glibc's wrapper would not copy into our page itself */
	syscall_rc = syscall(SYS_sched_getaffinity, 0, sizeof(cpu_set_t), page);
	return NULL;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	long psize = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_zeropage zero = { 0 };
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t t;
	int uffd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: uffd-park RELEASE_FILE [GO_FILE]\n");
		return 2;
	}
	go = argc == 3 ? argv[2] : NULL;
	if (go && (unlink(go), mkfifo(go, 0600)))
		die("mkfifo");
	page = mmap(NULL, psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	reg.range.start = (uintptr_t)page;
	reg.range.len = psize;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	if (pthread_create(&t, NULL, parked, NULL))
		die("pthread_create");
	if (go) {
		while (!tid)
			usleep(1000);
		printf("waiting %ld\n", tid);
		fflush(stdout);
	}
	/* the fault message says the thread is in the kernel, asleep in the fault */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, go ? 600000 : 10000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		die("no page fault from the parked thread");
	printf("parked %ld\n", tid);
	fflush(stdout);
	while (access(argv[1], F_OK))
		usleep(50000);
	zero.range.start = (uintptr_t)page;
	zero.range.len = psize;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero))
		die("UFFDIO_ZEROPAGE");
	pthread_join(t, NULL);
	printf("released %ld\n", syscall_rc);
	return syscall_rc > 0 ? 0 : 1;
}
