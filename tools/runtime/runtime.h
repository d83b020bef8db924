/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plugsched-nx runtime: the types shared by the redirect tables of every
 * scheduler file and the live-update code in runtime.c.
 */
#ifndef PLUGSCHED_RUNTIME_H
#define PLUGSCHED_RUNTIME_H

/*
 * One function the module takes over: the kernel's entry point gets a jump
 * to the module's body while the module's scheduler is installed.
 */
struct plugsched_redirect {
	const char *name;
	unsigned long sympos;
	/* the kernel's copy (resolved at install time, see tools/installer) */
	void *orig;
	/* the module's body */
	void *mod;
};

#define __PLUGSCHED_CAT(a, b)	a##b
#define PLUGSCHED_CAT(a, b)	__PLUGSCHED_CAT(a, b)

#endif /* PLUGSCHED_RUNTIME_H */
