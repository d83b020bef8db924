// SPDX-License-Identifier: GPL-2.0
/*
 * fentry: hold a BPF fentry program on a kernel function, with bpf(2) only.
 *
 *   fentry FUNCTION
 *
 * Finds FUNCTION's BTF id in /sys/kernel/btf/vmlinux (a BTF_KIND_FUNC of
 * that name), loads a BPF_PROG_TYPE_TRACING program with expected attach
 * type BPF_TRACE_FENTRY on it that counts its calls in a one-slot array
 * map, and attaches it (BPF_RAW_TRACEPOINT_OPEN, which gives a link). The
 * kernel then calls the program from a BPF trampoline that ftrace's call
 * site of FUNCTION calls (a direct call). The program stays attached until
 * SIGTERM or SIGINT; the link goes with the process's files.
 *
 * Prints, on stdout:
 *   attached FUNCTION btf_id N           once attached
 *   calls N                              on SIGUSR1, the calls counted so far
 *   detached calls N                     at the end
 * and on stderr the reason for any failure: the call, errno and, for a
 * refused load, the verifier's log.
 *
 * Exit status: 0 after a detach, 1 on a failure, 2 on bad usage, 3 when
 * the kernel cannot attach fentry programs at all (ENOTSUPP/EOPNOTSUPP,
 * e.g. a kernel without DYNAMIC_FTRACE_WITH_DIRECT_CALLS such as arm64 6.1):
 * the caller prints that reason and checks nothing else for fentry.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the kernel's own ENOTSUPP (include/linux/errno.h), which user space has no name for */
#define KERNEL_ENOTSUPP	524

/* BTF (include/uapi/linux/btf.h), spelled out: the build machine's headers may be older */
#define BTF_MAGIC_LE	0xeB9F
#define BTF_KIND_INT	1
#define BTF_KIND_ARRAY	3
#define BTF_KIND_STRUCT	4
#define BTF_KIND_UNION	5
#define BTF_KIND_ENUM	6
#define BTF_KIND_FUNC	12
#define BTF_KIND_FUNC_PROTO	13
#define BTF_KIND_VAR	14
#define BTF_KIND_DATASEC	15
#define BTF_KIND_DECL_TAG	17
#define BTF_KIND_ENUM64	19

struct btf_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off;
	uint32_t type_len;
	uint32_t str_off;
	uint32_t str_len;
};

struct btf_ty {
	uint32_t name_off;
	uint32_t info;
	uint32_t size_or_type;
};

static volatile sig_atomic_t stop, report;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_report(int sig)
{
	(void)sig;
	report = 1;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* the whole of a file whose size stat() may not know (sysfs); NULL on error */
static unsigned char *read_all(const char *path, size_t *len)
{
	size_t cap = 1 << 22, n = 0;
	unsigned char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf) {
		fprintf(stderr, "fentry: open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			unsigned char *b = realloc(buf, cap *= 2);

			if (!b) {
				fprintf(stderr, "fentry: out of memory reading %s\n", path);
				return NULL;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			fprintf(stderr, "fentry: read %s: %s\n", path, strerror(errno));
			return NULL;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	*len = n;
	return buf;
}

/* the bytes that follow a type's header, by kind; -1 for a kind this program does not know */
static long btf_extra(const struct btf_ty *t)
{
	unsigned int kind = (t->info >> 24) & 0x1f, vlen = t->info & 0xffff;

	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12L * vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8L * vlen;
	case 2: /* PTR */
	case 7: /* FWD */
	case 8: /* TYPEDEF */
	case 9: /* VOLATILE */
	case 10: /* CONST */
	case 11: /* RESTRICT */
	case BTF_KIND_FUNC:
	case 16: /* FLOAT */
	case 18: /* TYPE_TAG */
		return 0;
	default:
		return -1;
	}
}

/* the BTF id of the function called name in vmlinux's BTF; 0 (with the reason printed) if none */
static uint32_t btf_func_id(const char *name)
{
	const char *path = "/sys/kernel/btf/vmlinux";
	const struct btf_hdr *h;
	const unsigned char *types;
	const char *strs;
	size_t len, off = 0;
	unsigned char *btf = read_all(path, &len);
	uint32_t id = 1;

	if (!btf)
		return 0;
	h = (const void *)btf;
	if (len < sizeof(*h) || h->magic != BTF_MAGIC_LE || h->hdr_len > len ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > len ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > len) {
		fprintf(stderr, "fentry: %s is not little-endian BTF this program can read (%zu bytes)\n",
			path, len);
		return 0;
	}
	types = btf + h->hdr_len + h->type_off;
	strs = (const char *)btf + h->hdr_len + h->str_off;
	while (off + sizeof(struct btf_ty) <= h->type_len) {
		const struct btf_ty *t = (const void *)(types + off);
		long extra = btf_extra(t);

		if (extra < 0) {
			fprintf(stderr, "fentry: %s: type %u has a kind (%u) this program does not know\n",
				path, id, (t->info >> 24) & 0x1f);
			return 0;
		}
		if (((t->info >> 24) & 0x1f) == BTF_KIND_FUNC && t->name_off < h->str_len &&
		    !strcmp(strs + t->name_off, name))
			return id;
		off += sizeof(*t) + extra;
		id++;
	}
	fprintf(stderr, "fentry: %s has no function called %s (%u types)\n", path, name, id - 1);
	return 0;
}

static int unsupported(int err)
{
	return err == KERNEL_ENOTSUPP || err == EOPNOTSUPP;
}

int main(int argc, char **argv)
{
	static char log[1 << 16];
	union bpf_attr attr;
	sigset_t mask, wait_mask;
	uint32_t btf_id, key = 0;
	uint64_t calls = 0;
	int map_fd, prog_fd, link_fd, err;

	if (argc != 2) {
		fprintf(stderr, "usage: fentry FUNCTION\n");
		return 2;
	}
	btf_id = btf_func_id(argv[1]);
	if (!btf_id)
		return 1;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = sizeof(key);
	attr.value_size = sizeof(calls);
	attr.max_entries = 1;
	map_fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (map_fd < 0) {
		fprintf(stderr, "fentry: BPF_MAP_CREATE: %s (errno %d)\n", strerror(errno), errno);
		return 1;
	}

	/* key 0 on the stack; r0 = lookup(map, &key); if (r0) atomically *r0 += 1; return 0 */
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4, .imm = 0 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
		{ .code = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_DW | BPF_ATOMIC, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1, .imm = BPF_ADD },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_TRACING;
	attr.expected_attach_type = BPF_TRACE_FENTRY;
	attr.attach_btf_id = btf_id;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	strncpy(attr.prog_name, "plugsched_fe", sizeof(attr.prog_name) - 1);
	prog_fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog_fd < 0) {
		err = errno;
		fprintf(stderr, "fentry: BPF_PROG_LOAD of fentry on %s (btf_id %u): %s (errno %d); verifier log:\n%s\n",
			argv[1], btf_id, strerror(err), err, log[0] ? log : "(empty)");
		return unsupported(err) ? 3 : 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = prog_fd;
	link_fd = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr);
	if (link_fd < 0) {
		err = errno;
		fprintf(stderr, "fentry: attaching fentry on %s (BPF_RAW_TRACEPOINT_OPEN): %s (errno %d)%s\n",
			argv[1], strerror(err), err,
			unsupported(err) ? ": this kernel cannot attach BPF trampolines to kernel functions" : "");
		return unsupported(err) ? 3 : 1;
	}

	/* the signals stay blocked but inside sigsuspend(): none is lost between a check and the wait */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &wait_mask);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGUSR1, on_report);
	printf("attached %s btf_id %u\n", argv[1], btf_id);
	fflush(stdout);
	while (!stop) {
		if (report) {
			report = 0;
			memset(&attr, 0, sizeof(attr));
			attr.map_fd = map_fd;
			attr.key = (uintptr_t)&key;
			attr.value = (uintptr_t)&calls;
			if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr))
				fprintf(stderr, "fentry: BPF_MAP_LOOKUP_ELEM: %s\n", strerror(errno));
			printf("calls %llu\n", (unsigned long long)calls);
			fflush(stdout);
		}
		if (!stop)
			sigsuspend(&wait_mask);
	}
	close(link_fd);
	close(prog_fd);
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&calls;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr))
		fprintf(stderr, "fentry: BPF_MAP_LOOKUP_ELEM: %s\n", strerror(errno));
	printf("detached calls %llu\n", (unsigned long long)calls);
	return 0;
}
