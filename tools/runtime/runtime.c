// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the live update of the scheduler.
 *
 * Included at the end of the extracted kernel/sched/core.c, so it sees the
 * scheduler's own types and static helpers (struct rq, enqueue_task, ...).
 * Each part is a file of its own:
 *   arch.h         what every architecture provides to redirect the entries
 *   fault-inject.c the test hook that fails a chosen step of every switch
 *   patch-common.c the entry redirection's generic part, over arch.h
 *   patch-x86.c    jumps at the kernel's function entries (x86-64)
 *   patch-arm64.c  branches at the kernel's function entries (arm64)
 *   stack-check.c  no task inside code that changes
 *   stack-ran.c    tracepoints record the tasks that run or appear after the walk began
 *   stack-precheck.c the same, once before stop_machine: only what ran since is walked again
 *   classes.c      the sched_class tables
 *   ftrace-entries.c the few entries that go to the module through an ftrace handler
 *   requeue.c      every queued task moves to the arriving scheduler
 *   features.c     sched features carried over
 *   sympos.c       which same-named kernel symbols the module means (installer)
 *   handover.c     upgrade in one switch: taking over from the running build
 *   scx-guard.c    no switch while a sched_ext BPF scheduler is attached
 *   control.c      install, rollback, sysfs, module init and exit
 */

/*
 * Every message of the runtime starts with "plugsched: ". core.c included
 * linux/printk.h long before this point, and pr_fmt with it (its own or the
 * default, hence the #undef); pr_info() and the others expand pr_fmt where
 * they are called, so this definition prefixes only the messages below it:
 * the runtime's.
 */
#undef pr_fmt
#define pr_fmt(fmt) "plugsched: " fmt

#include "runtime.h"
#include "arch.h"

#include "fault-inject.c"
#include "patch-common.c"
#if defined(CONFIG_X86_64)
#include "patch-x86.c"
#elif defined(CONFIG_ARM64)
#include "patch-arm64.c"
#endif
#include "stack-check.c"
#include "stack-ran.c"
#include "stack-precheck.c"
#include "classes.c"
#include "ftrace-entries.c"
#include "requeue.c"
#include "features.c"
#include "sympos.c"
#include "scx-guard.c"
#include "handover.c"
#include "nmi-test.c"
#include "control.c"
#include "livepatch-guard.c"
