/**
 * Turn a file-scope variable definition into the declaration that makes the
 * module use the kernel's copy instead of its own.
 */

/** DEFINE_X(...) macros and what declares the same object. */

const TYPE_OF_DEFINE: Record<string, string> = {
  DEFINE_MUTEX: 'struct mutex',
  DEFINE_SPINLOCK: 'spinlock_t',
  DEFINE_RAW_SPINLOCK: 'raw_spinlock_t',
  LIST_HEAD: 'struct list_head',
  DEFINE_STATIC_KEY_FALSE: 'struct static_key_false',
  DEFINE_STATIC_KEY_TRUE: 'struct static_key_true',
  DEFINE_WAIT_BIT: 'struct wait_bit_queue_entry',
  DECLARE_WAIT_QUEUE_HEAD: 'struct wait_queue_head',
  DEFINE_RATELIMIT_STATE: 'struct ratelimit_state',
  DECLARE_WORK: 'struct work_struct',
  DECLARE_DELAYED_WORK: 'struct delayed_work',
  DEFINE_IDA: 'struct ida',
  DEFINE_SEMAPHORE: 'struct semaphore',
  DECLARE_RWSEM: 'struct rw_semaphore',
  DEFINE_STATIC_PERCPU_RWSEM: 'struct percpu_rw_semaphore',
};

/** Split "a, b(c, d), e" at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** Index of the first "=" outside brackets, or -1. */
function topLevelAssign(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '=' && depth === 0 && s[i + 1] !== '=' && !'!<>='.includes(s[i - 1] ?? '')) return i;
  }
  return -1;
}

export type ExternResult = { ok: true; text: string } | { ok: false; why: string };

/**
 * `item` is the whole definition text (up to and including ";"). Returns the
 * extern declaration of `name`, or why it cannot be made.
 */
export function externDeclaration(item: string, name: string): ExternResult {
  const text = item.trim().replace(/;$/, '').trim();
  // "static __maybe_unused DEFINE_MUTEX(uclamp_mutex)" (7.2) too
  const macro = /^(?:static\s+)?(?:__maybe_unused\s+)?([A-Z_][A-Z0-9_]*)\s*\(([\s\S]*)\)\s*(?:=[\s\S]*)?$/.exec(text);
  if (macro && /^[A-Z_0-9]+$/.test(macro[1])) {
    const [, m, rawArgs] = macro;
    const args = splitArgs(rawArgs);
    if (/^DEFINE_PER_CPU/.test(m) && args.length === 2 && args[1] === name) return { ok: true, text: `${m.replace(/^DEFINE_/, 'DECLARE_')}(${args[0]}, ${name});` };
    if (/^DEFINE_STATIC_KEY_(FALSE|TRUE)(_RO)?$/.test(m) && args[0] === name) return { ok: true, text: `DECLARE_STATIC_KEY_${/TRUE/.test(m) ? 'TRUE' : 'FALSE'}(${name});` };
    // DEFINE_STATIC_CALL*(name, func) defines the key __SCK__<name> (and the trampoline __SCT__<name>).
    if (/^DEFINE_STATIC_CALL(_NULL|_RET0)?$/.test(m) && args.length === 2 && (name === args[0] || name === `__SCK__${args[0]}`))
      return { ok: true, text: `DECLARE_STATIC_CALL(${args[0]}, ${args[1]});` };
    const type = TYPE_OF_DEFINE[m];
    if (type !== undefined && args[0] === name) return { ok: true, text: `extern ${type} ${name};` };
    return { ok: false, why: `it is defined by the macro ${m}(), which has no known declaration form` };
  }
  if (/^\s*(typedef|struct|union|enum)\s+\w+\s*\{/.test(text) && !text.includes(name)) return { ok: false, why: 'the item is a type definition' };
  const eq = topLevelAssign(text);
  const decl = (eq >= 0 ? text.slice(0, eq) : text).trim();
  if (!new RegExp(`\\b${name}\\b`).test(decl)) return { ok: false, why: `the definition does not name ${name}` };
  if (splitArgs(decl).length > 1) return { ok: false, why: 'several variables are defined in one declaration' };
  const withoutStatic = decl.replace(/\bstatic\s+/g, '').replace(/\b__initdata\b\s*/g, '').trim();
  return { ok: true, text: `extern ${withoutStatic};` };
}

/**
 * The extern declaration for a tentative definition of `name` ("static const struct
 * seq_operations sched_debug_sops;", a forward declaration ahead of the real definition), or null
 * when `item` is not one. Left as it is, it would define a zero-filled copy in the module once the
 * real definition has become an extern declaration: in C the static one then wins.
 */
export function tentativeToExtern(item: string, name: string): string | null {
  const text = item.trim();
  if (!text.endsWith(';') || /^(extern|typedef)\b/.test(text) || /[=(){}]/.test(text)) return null;
  const decl = text.replace(/;$/, '').trim();
  if (splitArgs(decl).length > 1) return null;
  if (!new RegExp(`\\b${name}\\s*(\\[[^\\]]*\\])?$`).test(decl)) return null;
  return `extern ${decl.replace(/\bstatic\s+/g, '').trim()};`;
}
