/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plugsched-nx runtime: the architecture API of the entry redirection.
 *
 * Every architecture (patch-x86.c, patch-arm64.c) provides exactly what this
 * header declares, and the generic code (patch-common.c, stack-check.c,
 * control.c) uses nothing else of it:
 *   - in its header (patch-x86.h, patch-arm64.h): struct plugsched_arch_patch,
 *     its own state of one redirected entry (where the patch goes, the
 *     kernel's bytes there, the patch to write), whose member "site" is the
 *     entry's first patched byte, and PLUGSCHED_PATCH_BYTES, how many bytes
 *     from there the patch covers, and PLUGSCHED_WRITE_STEPS, in how many
 *     steps it is written;
 *   - in its .c file: the seven functions below.
 * The generic code owns the other members of struct plugsched_patch, fills
 * them before the architecture sees the entry, and keeps pp->patched in step
 * with what plugsched_arch_write_patch() last wrote. An architecture may use
 * the helpers of patch-common.c (plugsched_text_reserved()).
 *
 * The runtime is one translation unit (runtime.c, included at the end of
 * core.c), hence static functions declared in a header.
 */
#ifndef PLUGSCHED_ARCH_H
#define PLUGSCHED_ARCH_H

#include <linux/types.h>
#include "runtime.h"

#if defined(CONFIG_X86_64)
#include "patch-x86.h"
#elif defined(CONFIG_ARM64)
#include "patch-arm64.h"
#else
#error "plugsched-nx: the runtime supports x86-64 and arm64"
#endif

/* One kernel function entry the module takes over. */
struct plugsched_patch {
	const struct plugsched_redirect *r;
	unsigned long size;		/* the kernel function's size */
	bool patched;			/* the entry holds the module's patch */
	/*
	 * Set by the architecture: the patch would have to cover the
	 * function's ftrace site, so the entry goes to the module through an
	 * ftrace handler instead (ftrace-entries.c). arch.site is then the
	 * ftrace site (ftrace_location()), and no patch is built or written.
	 */
	bool via_ftrace;
	/*
	 * A writable alias of arch.site, only while one switch maps it
	 * (plugsched_map_entries()), NULL otherwise.
	 */
	void *alias;
	/*
	 * In a takeover (handover.c), until it is done: the predecessor's
	 * patch of the same entry, whose bytes the entry holds now; NULL
	 * otherwise.
	 */
	struct plugsched_patch *from;
	struct plugsched_arch_patch arch;
};

/*
 * Decide where the patch goes in the kernel function pp->r->orig, within its
 * pp->size bytes, save the kernel's bytes there in pp->arch and build the
 * patch that sends the entry to the module (pp->r->mod). Must refuse, with
 * one pr_err() naming pp->r->name and pp->r->sympos and a negative errno,
 * an entry that someone else owns (an active ftrace site, a kprobe or
 * breakpoint, a branch into another module, a static key or static call
 * site) or that is too short. An entry with no room for the patch after its
 * ftrace site sets pp->via_ftrace and arch.site to that site instead, and
 * returns 0 without building a patch. Must not write kernel text.
 * Process context, before any stop_machine, text_mutex not held; pp->r and
 * pp->size are set, pp->patched is false. Called at module init and again
 * before every later install, on a zeroed copy whose pp->arch must then
 * come out byte for byte as the first time (plugsched_recheck_patch).
 * An x86 kprobe may sit on any instruction in the window, an arm64 one on
 * any word: each must be looked at.
 */
static int plugsched_arch_prepare_patch(struct plugsched_patch *pp);

/*
 * Build the patch that sends the entry at pp->arch.site to the module
 * (pp->r->mod), or refuse (one pr_err() naming the function, a negative
 * errno) when the module is out of the patch's reach; never called for an
 * entry via_ftrace. Only computes:
 * plugsched_arch_prepare_patch() ends with it, and a takeover (handover.c)
 * calls it on a copy of the predecessor's site and saved bytes. Process
 * context.
 */
static int plugsched_arch_make_patch(struct plugsched_patch *pp);

/*
 * Write step "step" (0 .. PLUGSCHED_WRITE_STEPS - 1, from the architecture's
 * header) of the patch (install) or of the saved kernel bytes (rollback) at
 * the entry prepared by plugsched_arch_prepare_patch(), through pp->alias,
 * the writable alias of its site, and make the new bytes visible to
 * instruction fetch by their kernel address as far as that takes more than
 * plugsched_arch_sync_core() on each CPU (arm64: clean and invalidate the
 * caches to the point of unification). The caller writes one step in every
 * entry, then has every CPU run plugsched_arch_sync_core(), then the next
 * step: whatever runs an entry between two steps (an NMI; stop_machine
 * keeps everything else out) must meet code that works, the old, the new,
 * or a trap the architecture handles. Cannot fail: the caller reads every
 * entry back through the kernel's own mapping after the last step. The
 * caller checked just before, under the same stop_machine, that the entry
 * holds what plugsched_arch_patch_intact() expects. Inside stop_machine,
 * on one CPU, while every other CPU spins in the stop handler with
 * interrupts off: must not sleep, take text_mutex (the task waiting in
 * stop_machine_cpuslocked() holds it) or wait for another CPU. Never
 * called for an entry via_ftrace.
 */
static void plugsched_arch_write_patch(const struct plugsched_patch *pp, bool install, int step);

/*
 * Whether the entry holds exactly what was last written there: the patch
 * when pp->patched, the kernel's saved bytes otherwise. Only reads.
 * Process context (after a switch, and the sysfs "patched" file), or inside
 * stop_machine before a switch writes any entry (plugsched_verify_entries)
 * and after it wrote them all (plugsched_write_entries). Never called for
 * an entry via_ftrace.
 */
static bool plugsched_arch_patch_intact(const struct plugsched_patch *pp);

/*
 * Discard whatever instructions this CPU fetched before the last write.
 * Inside stop_machine, on every CPU, after the last
 * plugsched_arch_write_patch() and before the CPU leaves the stop handler:
 * must not sleep, affects the calling CPU only.
 */
static void plugsched_arch_sync_core(void);

/*
 * At module load, before anything else (x86: the int3 handler of the text
 * write), and at unload or a failed load, after the last write. Process
 * context. An architecture that cannot switch safely on this machine
 * refuses here with one pr_err() and a negative errno.
 */
static int plugsched_arch_init(void);
static void plugsched_arch_exit(void);

#endif /* PLUGSCHED_ARCH_H */
