/**
 * The symbol names of a redirected function X, shared by extraction (which
 * writes them), the module build (link-addresses.ts) and, in C, the runtime
 * and symbol-resolve (tools/), which spell them out themselves.
 */

/** The module's body of X: __mod_X. */
export const REDIRECT_BODY_PREFIX = '__mod_';
/** The kernel's copy of X as the module names it, resolved at install time: __orig_X. */
export const REDIRECT_ORIG_PREFIX = '__orig_';
