/**
 * The JSON the GCC collector plugin (tools/gcc-collector) writes, one file per
 * translation unit. This file is the contract between the C++ plugin and the
 * TypeScript analysis: change both together.
 *
 * Conventions
 * - Paths are relative to the kernel source tree root (e.g. "kernel/sched/rt.c",
 *   "kernel/sched/sched.h", "include/linux/sched.h"); never absolute.
 * - Positions are 1-based lines, 1-based columns and 0-based byte offsets into
 *   the file named by `file`.
 * - Every list is sorted (by name, then file, then offset) and every object has
 *   its keys in a fixed order, so two runs give byte-identical output.
 */

export interface SourcePos {
  line: number;
  column: number;
  /** 0-based byte offset into the file. */
  offset: number;
}

export interface SourceRange {
  start: SourcePos;
  /** Position just after the last character of the range. */
  end: SourcePos;
}

export type Linkage = 'static' | 'global';

export interface FieldAccess {
  /** Struct or union tag name ("rq", "task_struct"); anonymous aggregates are "<anon>". */
  struct: string;
  field: string;
}

export interface CollectedFunction {
  name: string;
  /** File that really holds the definition (rt.c inside build_policy.c, or a header). */
  file: string;
  linkage: Linkage;
  weak: boolean;
  /** Declared inline (any form). */
  inline: boolean;
  alwaysInline: boolean;
  /** Section named by an attribute (".init.text", ".sched.text", ...), or null. */
  section: string | null;
  /** True for __init / __exit style definitions (section starts with .init or .exit). */
  init: boolean;
  /**
   * True when the definition comes out of a macro expansion (SYSCALL_DEFINEx,
   * DEFINE_SCHED_CLASS, ...). Positions are then those of the outermost
   * expansion point in `file`.
   */
  fromMacro: boolean;
  /** Location of the function's name in its declarator. */
  name_loc: SourcePos;
  /** The body: from "{" to just after the matching "}". */
  body: SourceRange;
  /** Functions called directly (sorted, unique). */
  calls: string[];
  /** Functions whose address is taken in this body (not in callee position). */
  addressTaken: string[];
  /** Global or file-static variables referenced from this body. */
  varRefs: string[];
  fieldAccesses: FieldAccess[];
}

export interface CollectedVariable {
  name: string;
  file: string;
  linkage: Linkage;
  weak: boolean;
  /** Declared as a per-CPU variable (section .data..percpu*). */
  perCpu: boolean;
  section: string | null;
  fromMacro: boolean;
  name_loc: SourcePos;
  /** Whether this TU has the definition (true) or only an extern declaration (false). */
  defined: boolean;
  /** Functions whose address appears in the static initializer. */
  addressTaken: string[];
}

export interface CollectedUnit {
  /** Format version of this file. */
  format: 1;
  /** The translation unit's main input file, e.g. "kernel/sched/build_policy.c". */
  unit: string;
  functions: CollectedFunction[];
  variables: CollectedVariable[];
}
