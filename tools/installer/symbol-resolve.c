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
 * Where the module carries a link address for a name that kallsyms also
 * lists, the two must agree (kallsyms address == link address + slide):
 * arm64's kallsyms drops the symbol type, so a variable that shares its name
 * with a function would otherwise be resolved to the function.
 *
 * No libelf: the ELF64 relocatable object is read and patched by hand. All of
 * it is validated before anything is changed (every section header, the
 * symbol table, its string table and every name index against the file
 * size), and the result is written to a temporary file in the same directory
 * and renamed over the module, so a refused or failed run leaves it as it was.
 *
 * Exit status: 0 resolved; 1 usage; 2 I/O, or not a valid module for this
 * machine; 3 ambiguous, bad sympos, or kallsyms and the link address
 * disagree; 4 kallsyms unreadable, addresses hidden (not root), or the KASLR
 * slide unknown.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#if defined(__x86_64__)
#define NATIVE_MACHINE		EM_X86_64
#define NATIVE_MACHINE_NAME	"x86-64"
#elif defined(__aarch64__)
#define NATIVE_MACHINE		EM_AARCH64
#define NATIVE_MACHINE_NAME	"AArch64"
#else
#error "symbol-resolve supports x86-64 and AArch64 kernels"
#endif

static void __attribute__((format(printf, 2, 3), noreturn)) die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "symbol-resolve: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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

/*
 * The names the module asks the kernel for (its undefined symbols, __orig_
 * stripped, and the KASLR anchors), sorted: kallsyms has some 150 000 lines
 * and the module needs a few thousand of them, so only those are kept.
 */
static const char **wanted;
static size_t nr_wanted;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_wanted(const char *name)
{
	return bsearch(&name, wanted, nr_wanted, sizeof(*wanted), cmp_str) != NULL;
}

/* A hex number at *p, which is moved past it; 0 digits is a parse error. */
static int parse_hex(const char **p, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	for (;; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v << 4 | d;
	}
	if (s == *p)
		return 0;
	*p = s;
	*out = v;
	return 1;
}

/*
 * Lines "ADDR TYPE NAME" (kernel image) or "ADDR TYPE NAME\t[MODULE]";
 * the kernel image's come first. Only wanted names are kept.
 */
static void load_kallsyms(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int nonzero = 0;
	size_t lines = 0;

	if (!f)
		die(4, "cannot read %s (the installer must run as root)", path);
	while (fgets(line, sizeof(line), f)) {
		const char *p = line, *name;
		unsigned long long addr;
		size_t len;

		if (!parse_hex(&p, &addr) || p[0] != ' ' || !p[1] || p[2] != ' ')
			continue;
		lines++;
		nonzero |= addr != 0;
		name = p + 3;
		len = strcspn(name, " \t\n");
		if (!len)
			continue;
		if (strchr(name + len, '['))
			break; /* module symbols follow the kernel image's */
		line[name - line + len] = '\0';
		if (!is_wanted(name))
			continue;
		if (nr_ksyms == cap_ksyms) {
			cap_ksyms = cap_ksyms ? cap_ksyms * 2 : 4096;
			ksyms = realloc(ksyms, cap_ksyms * sizeof(*ksyms));
			if (!ksyms)
				die(2, "%s", "out of memory");
		}
		ksyms[nr_ksyms].name = strdup(name);
		ksyms[nr_ksyms].addr = addr;
		ksyms[nr_ksyms].order = nr_ksyms;
		nr_ksyms++;
	}
	fclose(f);
	if (!lines || !nonzero)
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

/*
 * The module, validated whole before anything reads or changes it: every
 * offset, size and string index below is known to lie inside buf.
 */
struct module {
	const char *path;
	unsigned char *buf;
	size_t size;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *shstr;	/* section names, NUL-terminated */
	size_t shstr_size;
	Elf64_Sym *syms;
	size_t nsyms;
	const char *strtab;	/* symbol names, NUL-terminated */
	size_t strtab_size;
};

#define CORRUPT_FIX "the file is damaged or is not a kernel module; rebuild it (nx run <variant>:module) or reinstall its package"

static void __attribute__((format(printf, 2, 3), noreturn)) corrupt(const struct module *m, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "symbol-resolve: %s: ", m->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; %s; it is unchanged\n", CORRUPT_FIX);
	exit(2);
}

/* [off, off + len) lies inside the file (no overflow). */
static int in_file(const struct module *m, uint64_t off, uint64_t len)
{
	return off <= m->size && len <= m->size - off;
}

static const char *section_name(const struct module *m, unsigned int i)
{
	return m->shstr + m->sh[i].sh_name;
}

/* A string table: inside the file, not empty, last byte NUL (so any index below its size names a terminated string). */
static void check_strtab(const struct module *m, unsigned int i, const char *what)
{
	const Elf64_Shdr *s = &m->sh[i];

	if (s->sh_type != SHT_STRTAB)
		corrupt(m, "%s (section %u) has type %u, not SHT_STRTAB", what, i, s->sh_type);
	if (!s->sh_size || m->buf[s->sh_offset + s->sh_size - 1] != '\0')
		corrupt(m, "%s (section %u) is empty or does not end with a NUL byte", what, i);
}

static void validate_module(struct module *m)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)m->buf;
	Elf64_Shdr *symtab = NULL;
	unsigned int i, symtab_ndx = 0;

	if (m->size < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		corrupt(m, "not an ELF file (no \\177ELF magic in its first bytes)");
	if (m->size < sizeof(*eh))
		corrupt(m, "truncated: %zu bytes, shorter than an ELF64 header", m->size);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		corrupt(m, "ELF class %u, not ELFCLASS64 (a 64-bit kernel's module)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		corrupt(m, "ELF data encoding %u, not little-endian", eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		corrupt(m, "ELF version %u/%u, not %u", eh->e_ident[EI_VERSION], eh->e_version, EV_CURRENT);
	if (eh->e_type != ET_REL)
		corrupt(m, "e_type %u, not ET_REL (a kernel module is a relocatable object)", eh->e_type);
	if (eh->e_machine != NATIVE_MACHINE)
		corrupt(m, "e_machine %u, but this symbol-resolve is for %s (machine %u): the module is for another architecture",
			eh->e_machine, NATIVE_MACHINE_NAME, NATIVE_MACHINE);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		corrupt(m, "e_shentsize %u, not %zu", eh->e_shentsize, sizeof(Elf64_Shdr));
	if (!eh->e_shnum || eh->e_shnum >= SHN_LORESERVE)
		corrupt(m, "e_shnum %u: no section headers, or extended section numbering (not supported)", eh->e_shnum);
	if (eh->e_shoff % 8 || !in_file(m, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		corrupt(m, "section header table (e_shoff %#llx, %u entries) lies outside the file (%zu bytes) or is misaligned",
			(unsigned long long)eh->e_shoff, eh->e_shnum, m->size);
	m->eh = eh;
	m->sh = (Elf64_Shdr *)(m->buf + eh->e_shoff);

	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &m->sh[i];

		if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL && !in_file(m, s->sh_offset, s->sh_size))
			corrupt(m, "section %u (sh_offset %#llx, sh_size %#llx) lies outside the file (%zu bytes)", i,
				(unsigned long long)s->sh_offset, (unsigned long long)s->sh_size, m->size);
		if (s->sh_type == SHT_SYMTAB_SHNDX)
			corrupt(m, "section %u is SHT_SYMTAB_SHNDX: extended section indices are not supported", i);
		if (s->sh_type == SHT_SYMTAB) {
			if (symtab)
				corrupt(m, "more than one symbol table (sections %u and %u)", symtab_ndx, i);
			symtab = &m->sh[i];
			symtab_ndx = i;
		}
	}

	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
		corrupt(m, "e_shstrndx %u names no section (there are %u)", eh->e_shstrndx, eh->e_shnum);
	check_strtab(m, eh->e_shstrndx, "the section name table");
	m->shstr = (const char *)m->buf + m->sh[eh->e_shstrndx].sh_offset;
	m->shstr_size = m->sh[eh->e_shstrndx].sh_size;
	for (i = 0; i < eh->e_shnum; i++)
		if (m->sh[i].sh_name >= m->shstr_size)
			corrupt(m, "section %u's name index %u is past the section name table (%zu bytes)", i, m->sh[i].sh_name,
				m->shstr_size);

	if (!symtab)
		corrupt(m, "no symbol table (SHT_SYMTAB section)");
	if (symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_size % sizeof(Elf64_Sym) || symtab->sh_offset % 8)
		corrupt(m, "symbol table (section %u) has sh_entsize %llu, sh_size %llu or sh_offset %#llx that is not a whole, aligned number of %zu-byte entries",
			symtab_ndx, (unsigned long long)symtab->sh_entsize, (unsigned long long)symtab->sh_size,
			(unsigned long long)symtab->sh_offset, sizeof(Elf64_Sym));
	if (symtab->sh_link == SHN_UNDEF || symtab->sh_link >= eh->e_shnum)
		corrupt(m, "symbol table (section %u) has sh_link %u, which names no section (there are %u)", symtab_ndx,
			symtab->sh_link, eh->e_shnum);
	check_strtab(m, symtab->sh_link, "the symbol name table");
	m->strtab = (const char *)m->buf + m->sh[symtab->sh_link].sh_offset;
	m->strtab_size = m->sh[symtab->sh_link].sh_size;
	m->syms = (Elf64_Sym *)(m->buf + symtab->sh_offset);
	m->nsyms = symtab->sh_size / sizeof(Elf64_Sym);
	for (size_t k = 0; k < m->nsyms; k++) {
		const Elf64_Sym *sym = &m->syms[k];

		if (sym->st_name >= m->strtab_size)
			corrupt(m, "symbol %zu's name index %u is past the symbol name table (%zu bytes)", k, sym->st_name,
				m->strtab_size);
		if (sym->st_shndx >= eh->e_shnum && sym->st_shndx < SHN_LORESERVE)
			corrupt(m, "symbol %zu is in section %u, but there are %u", k, sym->st_shndx, eh->e_shnum);
		if (sym->st_shndx == SHN_XINDEX)
			corrupt(m, "symbol %zu uses an extended section index (not supported)", k);
	}
}

/* Call fn(line) for each line of the module's section `want` (text written at build time). */
static void for_each_section_line(const struct module *m, const char *want, void (*fn)(const char *line))
{
	for (unsigned int i = 0; i < m->eh->e_shnum; i++) {
		const char *text, *end;

		if (strcmp(section_name(m, i), want))
			continue;
		if (m->sh[i].sh_type == SHT_NOBITS || m->sh[i].sh_type == SHT_NULL)
			corrupt(m, "section %u (%s) has no contents (type %u)", i, want, m->sh[i].sh_type);
		text = (const char *)m->buf + m->sh[i].sh_offset;
		end = text + m->sh[i].sh_size;
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
	size_t order; /* line number: the first of same-named lines wins */
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
	linkaddrs[nr_linkaddrs].order = nr_linkaddrs;
	linkaddrs[nr_linkaddrs++].addr = addr;
}

static int cmp_linkaddr(const void *a, const void *b)
{
	const struct linkaddr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorted by name once all lines are read: linkaddr_of is then a binary search. */
static void sort_linkaddrs(void)
{
	qsort(linkaddrs, nr_linkaddrs, sizeof(*linkaddrs), cmp_linkaddr);
}

static const struct linkaddr *linkaddr_of(const char *name)
{
	size_t lo = 0, hi = nr_linkaddrs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(linkaddrs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr_linkaddrs && !strcmp(linkaddrs[lo].name, name) ? &linkaddrs[lo] : NULL;
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

static void read_module(struct module *m, const char *path)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY);

	m->path = path;
	if (fd < 0)
		die(2, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		die(2, "%s: not a regular file; give the path of a scheduler.ko", path);
	m->size = st.st_size;
	m->buf = malloc(m->size ? m->size : 1);
	if (!m->buf)
		die(2, "%s: out of memory for %zu bytes", path, m->size);
	while (done < m->size) {
		ssize_t n = read(fd, m->buf + done, m->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(2, "cannot read %s: %s", path, n ? strerror(errno) : "file shrank while being read");
		done += n;
	}
	close(fd);
}

/* Write the patched module to a temporary file beside it, then rename it over the original: all or nothing. */
static void write_module(const struct module *m)
{
	size_t len = strlen(m->path) + 32, done = 0;
	char *tmp = malloc(len);
	struct stat st;
	int fd;

	if (!tmp)
		die(2, "%s: out of memory", m->path);
	if (stat(m->path, &st))
		die(2, "cannot stat %s: %s; it is unchanged", m->path, strerror(errno));
	snprintf(tmp, len, "%s.tmp.%d", m->path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, st.st_mode & 0777);
	if (fd < 0)
		die(2, "cannot create %s: %s; %s is unchanged", tmp, strerror(errno), m->path);
	while (done < m->size) {
		ssize_t n = write(fd, m->buf + done, m->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	if (done < m->size || fsync(fd) || close(fd)) {
		int err = errno;

		unlink(tmp);
		die(2, "cannot write %s: %s; %s is unchanged", tmp, strerror(err), m->path);
	}
	if (rename(tmp, m->path)) {
		int err = errno;

		unlink(tmp);
		die(2, "cannot replace %s: %s; it is unchanged", m->path, strerror(err));
	}
	free(tmp);
}

/* The KASLR slide, from _text, or _stext (arm64's kallsyms lacks _text); both must agree when both are there. */
static void want_module_names(const struct module *m)
{
	static const char *const anchors[] = { "_text", "_stext" };

	wanted = calloc(m->nsyms + 2, sizeof(*wanted));
	if (!wanted)
		die(2, "%s", "out of memory");
	for (size_t a = 0; a < 2; a++)
		wanted[nr_wanted++] = anchors[a];
	for (size_t i = 1; i < m->nsyms; i++) {
		const char *name = m->strtab + m->syms[i].st_name;

		if (m->syms[i].st_shndx != SHN_UNDEF || !*name)
			continue;
		if (!strncmp(name, ORIG_PREFIX, strlen(ORIG_PREFIX)))
			name += strlen(ORIG_PREFIX);
		wanted[nr_wanted++] = name;
	}
	qsort(wanted, nr_wanted, sizeof(*wanted), cmp_str);
}

static int kaslr_slide(uint64_t *slide)
{
	static const char *const anchors[] = { "_text", "_stext" };
	int have = 0;

	for (size_t a = 0; a < sizeof(anchors) / sizeof(anchors[0]); a++) {
		const struct linkaddr *link = linkaddr_of(anchors[a]);
		size_t count;
		struct ksym *now = lookup(anchors[a], &count);
		uint64_t s;

		if (!link || !now || count != 1)
			continue;
		s = now->addr - link->addr;
		if (have && s != *slide)
			die(4, "kallsyms and the module's link addresses disagree on the KASLR slide (%#llx from _text, %#llx from _stext): the module was built for another build of this kernel; rebuild it against the running kernel's debug vmlinux",
			    (unsigned long long)*slide, (unsigned long long)s);
		*slide = s;
		have = 1;
	}
	return have;
}

int main(int argc, char **argv)
{
	const char *kallsyms = "/proc/kallsyms", *path = NULL;
	int dry_run = 0, resolved = 0, by_pos = 0, by_link = 0, refused = 0;
	struct module m = { 0 };
	int have_slide = 0;
	uint64_t slide = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			usage(stdout, 0);
		else if (!strcmp(argv[i], "--kallsyms") && i + 1 < argc)
			kallsyms = argv[++i];
		else if (!strcmp(argv[i], "--sympos") && i + 1 < argc)
			load_sympos(argv[++i]);
		else if (!strcmp(argv[i], "--dry-run"))
			dry_run = 1;
		else if (argv[i][0] == '-' || path)
			usage(stderr, 1);
		else
			path = argv[i];
	}
	if (!path)
		usage(stderr, 1);

	read_module(&m, path);
	validate_module(&m);
	want_module_names(&m);
	load_kallsyms(kallsyms);
	for_each_section_line(&m, ".plugsched.sympos", sympos_line);
	for_each_section_line(&m, ".plugsched.linkaddrs", linkaddr_line);
	sort_linkaddrs();
	if (nr_linkaddrs) {
		have_slide = kaslr_slide(&slide);
		if (!have_slide)
			die(4, "%s carries link addresses, but neither _text nor _stext is both in %s and in the module's .plugsched.linkaddrs table: the KASLR slide is unknown; is this the kernel the module was built for?",
			    path, kallsyms);
	}

	for (size_t i = 1; i < m.nsyms; i++) {
		Elf64_Sym *sym = &m.syms[i];
		const char *name = m.strtab + sym->st_name;
		const char *want = name;
		const struct linkaddr *l;
		size_t count;
		struct ksym *k;
		unsigned int pos;
		uint64_t addr;

		if (sym->st_shndx != SHN_UNDEF || !*name)
			continue;
		if (!strncmp(name, ORIG_PREFIX, strlen(ORIG_PREFIX)))
			want = name + strlen(ORIG_PREFIX);
		k = lookup(want, &count);
		l = linkaddr_of(want);

		if (!k) {
			if (!l)
				continue; /* not in the kernel image: the module loader resolves it (exports) or refuses */
			addr = l->addr + slide;
			if (dry_run)
				printf("%s -> %s %#llx (link address + KASLR slide)\n", name, want, (unsigned long long)addr);
			sym->st_shndx = SHN_ABS;
			sym->st_value = addr;
			resolved++;
			by_link++;
			continue;
		}
		pos = sympos_of(want);
		if (pos > count) {
			fprintf(stderr, "symbol-resolve: %s: sympos %u but the kernel has only %zu symbols of that name\n", want, pos, count);
			refused++;
			continue;
		}
		if (!pos && count > 1) {
			fprintf(stderr, "symbol-resolve: %s is ambiguous: the kernel has %zu symbols of that name; give its position in the sympos table (\"%s N\")\n", want, count, want);
			refused++;
			continue;
		}
		addr = k[pos ? pos - 1 : 0].addr;
		/*
		 * kallsyms without symbol types (arm64) lists a function where the
		 * module means a variable of the same name: the link address, moved
		 * by the slide, tells them apart.
		 */
		if (l && addr != l->addr + slide) {
			fprintf(stderr, "symbol-resolve: %s: kallsyms has it at %#llx, but the module's link address moved by the KASLR slide is %#llx: kallsyms lists another symbol of that name (arm64's kallsyms lists functions only, so a variable named like a function is not there), or the module was built for another build of this kernel; refusing rather than guessing: rebuild the module against the running kernel\n",
				want, (unsigned long long)addr, (unsigned long long)(l->addr + slide));
			refused++;
			continue;
		}
		if (dry_run)
			printf("%s -> %s %#llx%s\n", name, want, (unsigned long long)addr, pos ? " (by sympos)" : "");
		sym->st_shndx = SHN_ABS;
		sym->st_value = addr;
		resolved++;
		by_pos += pos != 0;
	}
	if (refused) {
		fprintf(stderr, "symbol-resolve: %d symbol(s) could not be resolved safely (see above); %s is unchanged\n", refused, path);
		return 3;
	}
	if (!dry_run)
		write_module(&m);
	printf("symbol-resolve: %s %d symbol(s) (%d by sympos, %d by link address)\n", dry_run ? "would resolve" : "resolved", resolved, by_pos, by_link);
	return 0;
}
