// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the test hook fail_at (docs/runtime.md, "Faults").
 * While it names a step, every install and rollback fails at that step as
 * if the kernel had refused it there, each try, so that a test sees that
 * every failure leaves the kernel as it was: the step's own error path
 * runs, not a copy of it. Empty, the default, in production.
 *
 *   recheck  an entry's check before an install that is not the first
 *   ftrace   ftrace refusing the handler of the entries redirected through it
 *   walk     the stack walk before stop_machine finding a busy task
 *   alloc    the parking room or the text alias not allocated
 *   verify   an entry found changed under stop_machine, before any write
 *   stacks   the stack check under stop_machine finding a busy task
 *   park     the runqueues not fitting the parking room
 *   write    an entry not reading back what was written (all written: undone)
 */
static char fail_at[16];
module_param_string(fail_at, fail_at, sizeof(fail_at), 0600);
MODULE_PARM_DESC(fail_at, "test hook: fail every install and rollback at this step (recheck, ftrace, walk, alloc, verify, stacks, park, write)");

/* Is the test hook set to this step? Any context (stop_machine too). */
static bool plugsched_fault(const char *step)
{
	return READ_ONCE(fail_at[0]) && sysfs_streq(fail_at, step);
}
