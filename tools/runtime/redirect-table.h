/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included at the end of every scheduler file that defines redirected
 * functions, after extraction defined:
 *   PLUGSCHED_FILE_ID         the file's identifier (fair, rt, core, ...)
 *   PLUGSCHED_FILE_REDIRECTS  PLUGSCHED_REDIRECT(body, orig, "name", sympos) ...
 * PLUGSCHED_REDIRECT_EXTERN marks bodies made by a macro (SYSCALL_DEFINE):
 * nothing declares the kernel's copy, so it is declared here.
 * Emits plugsched_redirects_<id>[] and its length for runtime.c.
 * Included more than once per translation unit (build_policy.c), hence no guard.
 */
#include "runtime.h"

#define PLUGSCHED_REDIRECT(body_, orig_, name_, pos_)
#define PLUGSCHED_REDIRECT_EXTERN(body_, orig_, name_, pos_) extern char orig_[];
PLUGSCHED_FILE_REDIRECTS
#undef PLUGSCHED_REDIRECT
#undef PLUGSCHED_REDIRECT_EXTERN

#define PLUGSCHED_REDIRECT(body_, orig_, name_, pos_) \
	{ .name = name_, .sympos = pos_, .orig = (void *)orig_, .mod = (void *)body_ },
#define PLUGSCHED_REDIRECT_EXTERN PLUGSCHED_REDIRECT
const struct plugsched_redirect PLUGSCHED_CAT(plugsched_redirects_, PLUGSCHED_FILE_ID)[] = {
	PLUGSCHED_FILE_REDIRECTS
};
const unsigned int PLUGSCHED_CAT(plugsched_nr_redirects_, PLUGSCHED_FILE_ID) =
	ARRAY_SIZE(PLUGSCHED_CAT(plugsched_redirects_, PLUGSCHED_FILE_ID));
#undef PLUGSCHED_REDIRECT
#undef PLUGSCHED_REDIRECT_EXTERN

#undef PLUGSCHED_FILE_REDIRECTS
#undef PLUGSCHED_FILE_ID
