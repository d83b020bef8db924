// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the module's sympos table.
 *
 * The module names kernel functions that the kernel has several local
 * copies of (two static functions of the same name in different files).
 * sympos.h, generated at extraction from the kernel's vmlinux, says which
 * copy: its position among the same-named symbols in kallsyms order, from 1,
 * as livepatch counts. The lines go into a section that is not loaded
 * (.plugsched.sympos, "name pos" per line), where the installer's
 * symbol-resolve reads them before insmod.
 */
#define PLUGSCHED_SYMPOS(name, pos) ".ascii \"" #name " " #pos "\\n\"\n"

asm(".pushsection .plugsched.sympos, \"\", @progbits\n"
#include "sympos.h"
    ".popsection\n");

#undef PLUGSCHED_SYMPOS
