// SPDX-License-Identifier: GPL-2.0
/*
 * scxnull: the smallest sched_ext BPF scheduler, for the guest (Debian
 * packages none; no BPF compiler needed). It attaches a struct_ops map of
 * type sched_ext_ops that sets only its name: sched_ext's defaults then
 * schedule every task (one global FIFO queue). Layout and type id come from
 * the running kernel's BTF (/sys/kernel/btf/vmlinux).
 *
 *   scxnull           attach, print "attached <name>", stay attached until killed
 *
 * Exit status 1, with the reason, if the kernel refuses the attach.
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

#define SCXNULL_NAME		"scxnull"
/* uapi values, spelled out for older uapi headers (6.4's link support) */
#define SCXNULL_F_LINK		(1U << 13)	/* BPF_F_LINK */
#define SCXNULL_STRUCT_OPS	44		/* enum bpf_attach_type: BPF_STRUCT_OPS */
#define SCXNULL_MAP_STRUCT_OPS	26		/* enum bpf_map_type: BPF_MAP_TYPE_STRUCT_OPS */

struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_t {
	uint32_t name_off, info, size;
};

struct btf_m {
	uint32_t name_off, type, offset;
};

static char *btf;
static struct btf_hdr *hdr;
static struct btf_t **types;
static uint32_t nr_types;

static void die(const char *what)
{
	fprintf(stderr, "scxnull: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char *name_of(uint32_t off)
{
	return btf + hdr->hdr_len + hdr->str_off + off;
}

/* bytes after a type's fixed part (include/uapi/linux/btf.h) */
static size_t extra(const struct btf_t *t)
{
	uint32_t vlen = t->info & 0xffff, kind = (t->info >> 24) & 0x1f;

	switch (kind) {
	case 1: case 14: case 17: return 4;		/* INT, VAR, DECL_TAG */
	case 3: return 12;				/* ARRAY */
	case 4: case 5: case 15: case 19: return 12 * vlen; /* STRUCT, UNION, DATASEC, ENUM64 */
	case 6: case 13: return 8 * vlen;		/* ENUM, FUNC_PROTO */
	default: return 0;
	}
}

static void load_btf(void)
{
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);
	size_t len = 0, cap = 1 << 22;
	char *p, *end;
	ssize_t n;

	if (fd < 0)
		die("/sys/kernel/btf/vmlinux");
	/* a sysfs binary file: read to its end, in pieces */
	btf = malloc(cap);
	while (btf && (n = read(fd, btf + len, cap - len)) > 0) {
		len += n;
		if (len == cap)
			btf = realloc(btf, cap *= 2);
	}
	if (!btf || n < 0 || len < sizeof(struct btf_hdr))
		die("reading /sys/kernel/btf/vmlinux");
	close(fd);
	hdr = (struct btf_hdr *)btf;
	p = btf + hdr->hdr_len + hdr->type_off;
	end = p + hdr->type_len;
	types = calloc(hdr->type_len / sizeof(struct btf_t) + 2, sizeof(*types));
	nr_types = 1;	/* id 0 is void */
	while (p < end) {
		types[nr_types++] = (struct btf_t *)p;
		p += sizeof(struct btf_t) + extra((struct btf_t *)p);
	}
}

static uint32_t struct_id(const char *name)
{
	uint32_t id;

	for (id = 1; id < nr_types; id++)
		if (((types[id]->info >> 24) & 0x1f) == 4 && !strcmp(name_of(types[id]->name_off), name))
			return id;
	fprintf(stderr, "scxnull: the kernel's BTF has no struct %s (no sched_ext?)\n", name);
	exit(1);
}

/* byte offset of member `name` of struct `id`, and its type */
static uint32_t member(uint32_t id, const char *name, uint32_t *type)
{
	const struct btf_t *t = types[id];
	const struct btf_m *m = (const struct btf_m *)(t + 1);
	uint32_t i, bits;

	for (i = 0; i < (t->info & 0xffff); i++) {
		if (strcmp(name_of(m[i].name_off), name))
			continue;
		bits = t->info >> 31 ? m[i].offset & 0xffffff : m[i].offset;
		if (type)
			*type = m[i].type;
		return bits / 8;
	}
	fprintf(stderr, "scxnull: struct %s has no member %s\n", name_of(t->name_off), name);
	exit(1);
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/*
 * A struct_ops map needs a BTF object of its own beside the kernel's (map_create
 * takes attr.btf_fd as a program's BTF: fd 0, the console, is refused with
 * EINVAL). This scheduler has no program, so the smallest valid one will do:
 * a single 32-bit int.
 */
static int load_own_btf(void)
{
	static const char strings[] = "\0int";	/* with its final NUL: 5 bytes */
	struct {
		struct btf_hdr hdr;
		struct btf_t t;
		uint32_t encoding;
		char str[sizeof(strings)];
	} __attribute__((packed)) blob = {
		.hdr = { .magic = 0xeB9F, .version = 1, .hdr_len = sizeof(struct btf_hdr),
			 .type_off = 0, .type_len = sizeof(struct btf_t) + sizeof(uint32_t),
			 .str_off = sizeof(struct btf_t) + sizeof(uint32_t), .str_len = sizeof(strings) },
		.t = { .name_off = 1, .info = 1U << 24 /* BTF_KIND_INT */, .size = 4 },
		.encoding = 32,	/* 32 bits at offset 0, no flags */
	};
	union bpf_attr attr;
	int fd;

	memcpy(blob.str, strings, sizeof(strings));
	memset(&attr, 0, sizeof(attr));
	attr.btf = (uint64_t)(uintptr_t)&blob;
	attr.btf_size = sizeof(blob);
	fd = bpf(BPF_BTF_LOAD, &attr);
	if (fd < 0)
		die("loading the map's own BTF (BPF_BTF_LOAD)");
	return fd;
}

static void stop(int sig)
{
	(void)sig;
}

int main(void)
{
	uint32_t value_id, ops_type, data_off, name_off;
	union bpf_attr attr;
	unsigned char *value;
	uint32_t key = 0;
	int map, link;

	load_btf();
	value_id = struct_id("bpf_struct_ops_sched_ext_ops");
	data_off = member(value_id, "data", &ops_type);
	name_off = member(ops_type, "name", NULL);

	memset(&attr, 0, sizeof(attr));
	attr.map_type = SCXNULL_MAP_STRUCT_OPS;
	attr.key_size = sizeof(key);
	attr.value_size = types[value_id]->size;
	attr.max_entries = 1;
	attr.map_flags = SCXNULL_F_LINK;
	attr.btf_vmlinux_value_type_id = value_id;
	attr.btf_fd = load_own_btf();
	strncpy(attr.map_name, SCXNULL_NAME, sizeof(attr.map_name) - 1);
	map = bpf(BPF_MAP_CREATE, &attr);
	if (map < 0)
		die("creating the sched_ext_ops struct_ops map");

	value = calloc(1, types[value_id]->size);
	strcpy((char *)value + data_off + name_off, SCXNULL_NAME);
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)value;
	if (bpf(BPF_MAP_UPDATE_ELEM, &attr))
		die("filling the sched_ext_ops map");

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = map;	/* link_create.map_fd: the same word */
	attr.link_create.attach_type = SCXNULL_STRUCT_OPS;
	link = bpf(BPF_LINK_CREATE, &attr);
	if (link < 0)
		die("attaching the BPF scheduler (BPF_LINK_CREATE)");
	printf("attached %s\n", SCXNULL_NAME);
	fflush(stdout);
	/* attached while the link is open: until SIGTERM/SIGINT */
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	pause();
	close(link);
	close(map);
	return 0;
}
