/**
 * The boundary a new kernel line starts from when no kernel of its line
 * exists and no --boundaryFrom is given: the file list for the scheduler's
 * layout in that line, the sleep paths that stay in the kernel, and no
 * interface list (analyze derives the interfaces). Pure: a line in, file
 * contents out.
 */

/** A file of the boundary with its reason. */
interface FileEntry {
  path: string;
  reason: string;
}

/** "6.12" -> [6, 12]; a line that is not MAJOR.MINOR -> null. */
export function parseLine(line: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)$/.exec(line);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

const atLeast = (v: [number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/** The scheduler's own files in every line since 4.x (the classes, the core, load tracking, domains, statistics). */
const COMMON_FILES: FileEntry[] = [
  { path: 'kernel/sched/core.c', reason: 'the core scheduler: __schedule, wakeups, fork/exit hooks, priorities, affinity, the tick' },
  { path: 'kernel/sched/fair.c', reason: 'the fair class, the policy most variants change' },
  { path: 'kernel/sched/rt.c', reason: 'SCHED_FIFO/SCHED_RR class' },
  { path: 'kernel/sched/deadline.c', reason: 'SCHED_DEADLINE class' },
  { path: 'kernel/sched/idle.c', reason: "the idle class and the idle loop's scheduler side" },
  { path: 'kernel/sched/stop_task.c', reason: 'the stop class' },
  { path: 'kernel/sched/pelt.c', reason: 'load tracking the classes update on every enqueue and tick' },
  { path: 'kernel/sched/cpupri.c', reason: 'rt push/pull priority map' },
  { path: 'kernel/sched/cpudeadline.c', reason: 'deadline push/pull heap' },
  { path: 'kernel/sched/topology.c', reason: 'sched domains and root domains, which load balancing walks' },
  { path: 'kernel/sched/stats.c', reason: '/proc/schedstat, served by the module' },
  { path: 'kernel/sched/debug.c', reason: '/sys/kernel/debug/sched/ and /proc/<pid>/sched, served by the module' },
  { path: 'kernel/sched/sched.h', reason: "the scheduler's private types and inline helpers" },
  { path: 'kernel/sched/features.h', reason: 'the sched_feat() list' },
  { path: 'kernel/sched/stats.h', reason: 'schedstat inline helpers' },
  { path: 'kernel/sched/pelt.h', reason: 'inline helpers of pelt.c' },
  { path: 'kernel/sched/sched-pelt.h', reason: 'generated PELT constants' },
  { path: 'kernel/sched/cpupri.h', reason: 'interface of cpupri.c' },
  { path: 'kernel/sched/cpudeadline.h', reason: 'interface of cpudeadline.c' },
  { path: 'kernel/sched/autogroup.h', reason: 'autogroup inline helpers that fair.c calls' },
];

/** The files a line adds to COMMON_FILES: smp.h since 5.18's split, syscalls.c since 6.10, sched_ext since 6.12. */
export function boundaryFiles(v: [number, number]): FileEntry[] {
  const files = [...COMMON_FILES];
  if (atLeast(v, 5, 18)) files.push({ path: 'kernel/sched/smp.h', reason: 'declarations shared with kernel/smp.c' });
  if (atLeast(v, 6, 10)) files.push({ path: 'kernel/sched/syscalls.c', reason: 'sched_setscheduler, nice, affinity and yield (moved out of core.c in 6.10)' });
  if (atLeast(v, 7, 2)) {
    // 7.2 keeps sched_ext in a folder of its own (build_policy.c includes every file of it); the
    // lines between 6.12 and 7.2 are not verified.
    files.push({ path: 'kernel/sched/ext/ext.c', reason: 'sched_ext, the sixth class (compiled out when CONFIG_SCHED_CLASS_EXT is off)' });
    files.push({ path: 'kernel/sched/ext/idle.c', reason: "sched_ext's built-in idle CPU selection" });
    files.push({ path: 'kernel/sched/ext/cid.c', reason: "sched_ext's CPU ids for BPF schedulers" });
    files.push({ path: 'kernel/sched/ext/arena.c', reason: "sched_ext's BPF arena helpers" });
    for (const h of ['ext.h', 'types.h', 'internal.h', 'cid.h', 'arena.h', 'idle.h'])
      files.push({ path: `kernel/sched/ext/${h}`, reason: h === 'ext.h' ? 'sched_ext hooks that sched.h includes' : 'sched_ext internals that its files include' });
  } else if (atLeast(v, 6, 12)) {
    files.push({ path: 'kernel/sched/ext.c', reason: 'sched_ext, the sixth class (compiled out when CONFIG_SCHED_CLASS_EXT is off)' });
    files.push({ path: 'kernel/sched/ext.h', reason: 'sched_ext hooks that sched.h includes' });
  }
  return files;
}

/**
 * The sleep paths that stay in the kernel (boundary-yaml.md, kernelFunctions):
 * the same in every line, but preempt_schedule_common, which Debian's 6.12
 * build inlines (no callable copy to keep; the analysis refuses it there).
 */
export function kernelFunctions(v: [number, number]): FileEntry[] {
  const sleep = 'a path tasks sleep or are preempted through: a sleeping task then has only kernel code on its stack';
  const names: string[] = ['schedule', 'schedule_idle', 'schedule_preempt_disabled', 'preempt_schedule', ...(atLeast(v, 6, 12) ? [] : ['preempt_schedule_common']), 'preempt_schedule_notrace', 'preempt_schedule_irq', '__cond_resched', '__cond_resched_lock', '__cond_resched_rwlock_read', '__cond_resched_rwlock_write', 'io_schedule', 'io_schedule_timeout'];
  if (atLeast(v, 6, 7)) names.push('rt_mutex_schedule'); // rtmutexes sleep in it since 6.7
  return [...names.map((path) => ({ path, reason: sleep })), { path: 'cpu_startup_entry', reason: "each CPU's idle task lives in it forever" }, { path: 'do_idle', reason: 'the idle loop itself (cpu_startup_entry calls it forever)' }];
}

const q = (s: string) => JSON.stringify(s);

/** Takes the kernel line ("6.12"); gives the text of its default boundary.yaml. */
export function defaultBoundaryYaml(line: string): string {
  const v = parseLine(line) ?? [6, 1];
  const files = boundaryFiles(v);
  const units = atLeast(v, 5, 18) ? [] : files.filter((f) => f.path.endsWith('.c')).map((f) => f.path);
  return [
    `# Where the scheduler module is cut out of Linux ${line}: the default of the kernel generator for this`,
    '# layout (plugins/plugsched/src/generators/kernel/default-boundary.ts). Format: plugins/plugsched/docs/boundary-yaml.md.',
    '# The interfaces are derived by analyze; add overrides (interfaces, excludeInterfaces) with a reason only',
    '# where dist/kernels/<id>/boundary/summary.md shows the derived set is not what this line needs.',
    '',
    'files:',
    ...files.map((f) => `  - { path: ${f.path}, reason: ${q(f.reason)} }`),
    '',
    ...(units.length > 0 ? ['# Before 5.18 each scheduler file is a translation unit of its own.', `units: [${units.join(', ')}]`, ''] : []),
    '# Syscall entry wrappers: every scheduler syscall is an interface.',
    'interfacePrefixes: [__x64_sys_, __ia32_sys_, __ia32_compat_sys_, __x64_compat_sys_, __arm64_sys_, __arm64_compat_sys_]',
    '',
    '# The paths a task goes to sleep through stay in the kernel (the springboard, plugins/plugsched/docs/runtime.md).',
    'kernelFunctions:',
    ...kernelFunctions(v).map((k) => `  - { function: ${k.path}, reason: ${q(k.reason)} }`),
    '',
    "# The module keeps its own copy of these (they describe the module's own code).",
    'privateVariables: [sysctl_sched_features, sched_feat_keys, sched_feat_names]',
    '',
    '# Re-exposes the few internals the kernel hides from modules (#ifdef MODULE) that the scheduler uses.',
    'moduleCompat: module-compat.h',
    '',
  ].join('\n');
}

/** The module-compat.h of a new line: what the 6.1 and 6.12 lines need, guarded by the config options it depends on. */
export const DEFAULT_MODULE_COMPAT = `/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced into every object of the scheduler module (-include).
 *
 * The kernel hides a few internals from modules with #ifdef MODULE: the
 * scheduler, now built as a module, still uses them exactly as the kernel's
 * own copy does. Re-expose them here, and nothing else.
 */
#ifndef _PLUGSCHED_MODULE_COMPAT_H
#define _PLUGSCHED_MODULE_COMPAT_H

#include <linux/preempt.h>

/* include/linux/preempt.h #undefs these for modules. */
#ifdef CONFIG_PREEMPT_COUNT
#ifndef sched_preempt_enable_no_resched
#define sched_preempt_enable_no_resched() \\
do { \\
	barrier(); \\
	preempt_count_dec(); \\
} while (0)
#endif
#ifndef preempt_enable_no_resched
#define preempt_enable_no_resched() sched_preempt_enable_no_resched()
#endif
#ifndef preempt_enable_no_resched_notrace
#define preempt_enable_no_resched_notrace() \\
do { \\
	barrier(); \\
	__preempt_count_dec(); \\
} while (0)
#endif
#else /* !CONFIG_PREEMPT_COUNT: no preemption count to drop */
#ifndef sched_preempt_enable_no_resched
#define sched_preempt_enable_no_resched() barrier()
#endif
#ifndef preempt_enable_no_resched
#define preempt_enable_no_resched() barrier()
#endif
#ifndef preempt_enable_no_resched_notrace
#define preempt_enable_no_resched_notrace() barrier()
#endif
#endif /* CONFIG_PREEMPT_COUNT */

#ifndef preempt_check_resched
#ifdef CONFIG_PREEMPTION
#define preempt_check_resched() \\
do { \\
	if (should_resched(0)) \\
		__preempt_schedule(); \\
} while (0)
#else
#define preempt_check_resched() do { } while (0)
#endif
#endif

#ifdef CONFIG_X86
/* arch/x86/include/asm/tlbflush.h declares this only #ifndef MODULE; asm/tlb.h uses it. */
struct mm_struct;
extern void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			       unsigned long end, unsigned int stride_shift,
			       _Bool freed_tables);
#endif

#endif /* _PLUGSCHED_MODULE_COMPAT_H */
`;
