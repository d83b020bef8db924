/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for a header that Debian bullseye's gcc-10-plugin-dev (10.2.1-6)
 * does not ship although its config/i386/i386.h includes it (fixed in later
 * GCC packages). i386.h only needs the name of the enum below, as the type of
 * a member of its processor table, which the collector never reads. The
 * Makefile adds this directory to the include path only when the plugin
 * headers lack the real file.
 */
#ifndef PLUGSCHED_I386_CPUINFO_STANDIN_H
#define PLUGSCHED_I386_CPUINFO_STANDIN_H

enum feature_priority {
	P_NONE = 0,
};

#endif
