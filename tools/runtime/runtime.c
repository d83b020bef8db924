// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the live update of the scheduler.
 *
 * Included at the end of the extracted kernel/sched/core.c, so it sees the
 * scheduler's own types and static helpers (struct rq, enqueue_task, ...).
 * Each part is a file of its own:
 *   patch-common.c what every architecture's entry redirection asks the kernel
 *   patch-x86.c    jumps at the kernel's function entries (x86-64)
 *   patch-arm64.c  branches at the kernel's function entries (arm64)
 *   stack-check.c  no task inside code that changes
 *   classes.c      the sched_class tables
 *   requeue.c      every queued task moves to the arriving scheduler
 *   features.c     sched features carried over
 *   sympos.c       which same-named kernel symbols the module means (installer)
 *   control.c      install, rollback, sysfs, module init and exit
 */
#include "runtime.h"

#include "patch-common.c"
#if defined(CONFIG_X86_64)
#include "patch-x86.c"
#elif defined(CONFIG_ARM64)
#include "patch-arm64.c"
#else
#error "plugsched-nx: the runtime supports x86-64 and arm64"
#endif
#include "stack-check.c"
#include "classes.c"
#include "requeue.c"
#include "features.c"
#include "sympos.c"
#include "control.c"
