// SPDX-License-Identifier: GPL-2.0
/*
 * symbol-resolve: resolve a scheduler module's kernel-internal symbols at
 * install time, from the running kernel's /proc/kallsyms (so KASLR does not
 * matter), before insmod.
 *
 * Every undefined symbol of MODULE.ko that the kernel image (not a module)
 * defines becomes an absolute symbol with the kernel's address. A name with
 * the prefix __orig_ means "the kernel's copy of" the name without it. Local
 * names that the kernel has several of are told apart by a sympos table
 * ("name pos" lines; pos counts same-named symbols in kallsyms order, from 1,
 * as livepatch does): the module's own .plugsched.sympos section, which
 * extraction fills, or a --sympos file, which wins. Without a position such a
 * name is refused as ambiguous. A kernel whose kallsyms lists functions only
 * (CONFIG_KALLSYMS_ALL off) has its variables found through the module's
 * .plugsched.linkaddrs section: link addresses from the debug vmlinux, moved
 * by the KASLR slide of _text (or _stext).
 *
 * No libelf: the ELF64 relocatable object is read and patched by hand, and
 * written back through a temporary file and rename().
 *
 * Exit status: 0 resolved; 1 usage; 2 I/O or not a module; 3 ambiguous or
 * bad sympos; 4 kallsyms unreadable or addresses hidden (not root).
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORIG_PREFIX "__orig_"

struct ksym {
	char *name;
	uint64_t addr;
	size_t order; /* position in kallsyms: same-named symbols keep it after sorting */
};

static struct ksym *ksyms;
static size_t nr_ksyms, cap_ksyms;

struct sympos {
	char *name;
	unsigned int pos;
};

static struct sympos *positions;
static size_t nr_positions;

static void die(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, "symbol-resolve: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(code);
}

static void usage(FILE *out, int code)
{
	fprintf(out,
		"usage: symbol-resolve [--kallsyms FILE] [--sympos FILE] [--dry-run] MODULE.ko\n"
		"\n"
		"Rewrite MODULE.ko so that its undefined symbols that the running kernel\n"
		"image defines become absolute symbols at the kernel's addresses.\n"
		"\n"
		"  --kallsyms FILE  symbol list to use (default /proc/kallsyms; needs root)\n"
		"  --sympos FILE    \"name pos\" lines choosing among same-named local symbols\n"
		"                   (overrides the module's own .plugsched.sympos section)\n"
		"  --dry-run        print what would be resolved, change nothing\n");
	exit(code);
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void load_kallsyms(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int nonzero = 0;

	if (!f)
		die(4, "cannot read %s (the installer must run as root)", path);
	while (fgets(line, sizeof(line), f)) {
		char type, name[512], module[256];
		unsigned long long addr;
		int n = sscanf(line, "%llx %c %511s %255s", &addr, &type, name, module);

		if (n < 3)
			continue;
		if (n == 4 && module[0] == '[')
			break; /* module symbols follow the kernel image's */
		if (nr_ksyms == cap_ksyms) {
			cap_ksyms = cap_ksyms ? cap_ksyms * 2 : 65536;
			ksyms = realloc(ksyms, cap_ksyms * sizeof(*ksyms));
			if (!ksyms)
				die(2, "%s", "out of memory");
		}
		ksyms[nr_ksyms].name = strdup(name);
		ksyms[nr_ksyms].addr = addr;
		ksyms[nr_ksyms].order = nr_ksyms;
		nr_ksyms++;
		nonzero |= addr != 0;
	}
	fclose(f);
	if (!nr_ksyms || !nonzero)
		die(4, "%s has no usable addresses (kptr_restrict hides them from non-root users)", path);
	qsort(ksyms, nr_ksyms, sizeof(*ksyms), cmp_name);
}

static unsigned int sympos_of(const char *name)
{
	for (size_t i = 0; i < nr_positions; i++)
		if (!strcmp(positions[i].name, name))
			return positions[i].pos;
	return 0;
}

static void add_sympos(const char *name, unsigned int pos)
{
	positions = realloc(positions, (nr_positions + 1) * sizeof(*positions));
	if (!positions)
		die(2, "%s", "out of memory");
	positions[nr_positions].name = strdup(name);
	positions[nr_positions].pos = pos;
	nr_positions++;
}

static void load_sympos(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f)
		die(2, "cannot read sympos file %s", path);
	while (fgets(line, sizeof(line), f)) {
		char name[256];
		unsigned int pos;

		if (sscanf(line, "%255s %u", name, &pos) != 2)
			continue;
		add_sympos(name, pos);
	}
	fclose(f);
}

/* Call fn(line) for each line of the module's section `want` (text written at build time). */
static void for_each_section_line(const unsigned char *buf, size_t size, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
				  const char *want, void (*fn)(const char *line))
{
	const Elf64_Shdr *names;

	if (eh->e_shstrndx >= eh->e_shnum)
		return;
	names = &sh[eh->e_shstrndx];
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *text, *end;

		if (sh[i].sh_name >= names->sh_size || names->sh_offset + names->sh_size > size ||
		    strcmp((const char *)buf + names->sh_offset + sh[i].sh_name, want))
			continue;
		if (sh[i].sh_offset + sh[i].sh_size > size)
			die(2, "the module's %s section lies outside the file", want);
		text = (const char *)buf + sh[i].sh_offset;
		end = text + sh[i].sh_size;
		while (text < end) {
			const char *eol = memchr(text, '\n', end - text);
			char line[512];
			size_t len = (eol ? eol : end) - text;

			if (len < sizeof(line)) {
				memcpy(line, text, len);
				line[len] = '\0';
				fn(line);
			}
			text += len + 1;
		}
	}
}

/*
 * The module's own table, "name pos" lines in its .plugsched.sympos section
 * (written at extraction); a --sympos file given on the command line wins.
 */
static void sympos_line(const char *line)
{
	char name[256];
	unsigned int pos;

	if (sscanf(line, "%255s %u", name, &pos) == 2 && !sympos_of(name))
		add_sympos(name, pos);
}

/*
 * Link-time addresses, "name hexaddr" lines in the module's
 * .plugsched.linkaddrs section, written at build time from the debug
 * vmlinux for a kernel whose kallsyms lists functions only
 * (CONFIG_KALLSYMS_ALL off, as in Debian's arm64 cloud kernel). A name
 * kallsyms lacks gets its link address moved by the KASLR slide, which
 * _text gives: the whole image, data and per-CPU areas included, moves as
 * one (arm64's kallsyms lacks _text: _stext then).
 */
struct linkaddr {
	char *name;
	uint64_t addr;
};

static struct linkaddr *linkaddrs;
static size_t nr_linkaddrs;

static void linkaddr_line(const char *line)
{
	char name[256];
	unsigned long long addr;

	if (sscanf(line, "%255s %llx", name, &addr) != 2)
		return;
	linkaddrs = realloc(linkaddrs, (nr_linkaddrs + 1) * sizeof(*linkaddrs));
	if (!linkaddrs)
		die(2, "%s", "out of memory");
	linkaddrs[nr_linkaddrs].name = strdup(name);
	linkaddrs[nr_linkaddrs++].addr = addr;
}

static const struct linkaddr *linkaddr_of(const char *name)
{
	for (size_t i = 0; i < nr_linkaddrs; i++)
		if (!strcmp(linkaddrs[i].name, name))
			return &linkaddrs[i];
	return NULL;
}

/* The first kallsyms entry named `name` and how many there are. */
static struct ksym *lookup(const char *name, size_t *count)
{
	size_t lo = 0, hi = nr_ksyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(ksyms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*count = 0;
	while (lo + *count < nr_ksyms && !strcmp(ksyms[lo + *count].name, name))
		(*count)++;
	return *count ? &ksyms[lo] : NULL;
}

static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		die(2, "cannot open %s", path);
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die(2, "cannot read %s", path);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		die(2, "cannot read %s", path);
	fclose(f);
	*size = n;
	return buf;
}

static void write_file(const char *path, const unsigned char *buf, size_t size)
{
	size_t len = strlen(path) + 32;
	char *tmp = malloc(len);
	FILE *f;

	snprintf(tmp, len, "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
		unlink(tmp);
		die(2, "cannot write %s", tmp);
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		die(2, "cannot replace %s", path);
	}
	free(tmp);
}

int main(int argc, char **argv)
{
	const char *kallsyms = "/proc/kallsyms", *module = NULL;
	int dry_run = 0, resolved = 0, by_pos = 0, by_link = 0, ambiguous = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			usage(stdout, 0);
		else if (!strcmp(argv[i], "--kallsyms") && i + 1 < argc)
			kallsyms = argv[++i];
		else if (!strcmp(argv[i], "--sympos") && i + 1 < argc)
			load_sympos(argv[++i]);
		else if (!strcmp(argv[i], "--dry-run"))
			dry_run = 1;
		else if (argv[i][0] == '-' || module)
			usage(stderr, 1);
		else
			module = argv[i];
	}
	if (!module)
		usage(stderr, 1);
	load_kallsyms(kallsyms);

	size_t size;
	unsigned char *buf = read_file(module, &size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		die(2, "%s is not a 64-bit little-endian kernel module", module);
	Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	Elf64_Shdr *symtab = NULL;

	for_each_section_line(buf, size, eh, sh, ".plugsched.sympos", sympos_line);
	for_each_section_line(buf, size, eh, sh, ".plugsched.linkaddrs", linkaddr_line);

	/* the KASLR slide, for names kallsyms does not list: from _text, or _stext (arm64's kallsyms lacks _text) */
	int have_slide = 0;
	uint64_t slide = 0;
	static const char *const anchors[] = { "_text", "_stext" };

	for (size_t a = 0; a < sizeof(anchors) / sizeof(anchors[0]) && !have_slide; a++) {
		const struct linkaddr *link = linkaddr_of(anchors[a]);
		size_t count;
		struct ksym *now = lookup(anchors[a], &count);

		if (link && now && count == 1) {
			slide = now->addr - link->addr;
			have_slide = 1;
		}
	}

	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			symtab = &sh[i];
	if (!symtab || symtab->sh_link >= eh->e_shnum || symtab->sh_offset + symtab->sh_size > size)
		die(2, "%s has no symbol table", module);
	const char *strtab = (const char *)buf + sh[symtab->sh_link].sh_offset;
	Elf64_Sym *syms = (Elf64_Sym *)(buf + symtab->sh_offset);
	size_t nsyms = symtab->sh_size / sizeof(Elf64_Sym);

	for (size_t i = 1; i < nsyms; i++) {
		const char *name = strtab + syms[i].st_name;
		const char *want = name;
		size_t count;

		if (syms[i].st_shndx != SHN_UNDEF || !*name)
			continue;
		if (!strncmp(name, ORIG_PREFIX, strlen(ORIG_PREFIX)))
			want = name + strlen(ORIG_PREFIX);
		struct ksym *k = lookup(want, &count);

		if (!k) {
			const struct linkaddr *l = linkaddr_of(want);

			if (!l)
				continue; /* not in the kernel image: the module loader resolves it (exports) or refuses */
			if (!have_slide)
				die(4, "%s", "the module carries link addresses, but neither _text nor _stext is both in kallsyms and in the module's table: the KASLR slide is unknown");
			if (dry_run)
				printf("%s -> %s %#llx (link address + KASLR slide)\n", name, want, (unsigned long long)(l->addr + slide));
			syms[i].st_shndx = SHN_ABS;
			syms[i].st_value = l->addr + slide;
			resolved++;
			by_link++;
			continue;
		}
		unsigned int pos = sympos_of(want);

		if (pos > count) {
			fprintf(stderr, "symbol-resolve: %s: sympos %u but the kernel has only %zu symbols of that name\n", want, pos, count);
			ambiguous++;
			continue;
		}
		if (!pos && count > 1) {
			fprintf(stderr, "symbol-resolve: %s is ambiguous: the kernel has %zu symbols of that name; give its position in the sympos table (\"%s N\")\n", want, count, want);
			ambiguous++;
			continue;
		}
		uint64_t addr = k[pos ? pos - 1 : 0].addr;

		if (dry_run)
			printf("%s -> %s %#llx%s\n", name, want, (unsigned long long)addr, pos ? " (by sympos)" : "");
		syms[i].st_shndx = SHN_ABS;
		syms[i].st_value = addr;
		resolved++;
		by_pos += pos != 0;
	}
	if (ambiguous) {
		fprintf(stderr, "symbol-resolve: %d symbol(s) could not be resolved unambiguously; %s is unchanged\n", ambiguous, module);
		return 3;
	}
	if (!dry_run)
		write_file(module, buf, size);
	printf("symbol-resolve: %s %d symbol(s) (%d by sympos, %d by link address)\n", dry_run ? "would resolve" : "resolved", resolved, by_pos, by_link);
	return 0;
}
