/**
 * Link-time addresses for a kernel whose kallsyms lists functions only
 * (CONFIG_KALLSYMS_ALL off, as in Debian's arm64 cloud kernel): the module's
 * undefined kernel symbols, variables included, looked up in the debug
 * vmlinux and carried in the module's .plugsched.linkaddrs section. At
 * install time symbol-resolve moves them by the KASLR slide of _text
 * (tools/installer/symbol-resolve.c). Pure: symbols in, lines out.
 */
import { REDIRECT_ORIG_PREFIX } from '../extract/redirect-prefixes';

export interface KernelSymbol {
  name: string;
  addr: bigint;
}

/**
 * "name hexaddr" lines, sorted by name, for every undefined name the kernel defines (__orig_X
 * means the kernel's X), and _text and _stext (anchors of the KASLR slide; arm64's kallsyms lists only _stext). A name the kernel defines more than
 * once is taken at its sympos (1-based, address order, as kallsyms counts) or left out when the
 * module names no position (symbol-resolve then leaves it to the module loader, which refuses it by name).
 */
export function linkAddressLines(undefinedNames: string[], kernel: KernelSymbol[], sympos: Map<string, number>): string[] {
  const byName = new Map<string, bigint[]>();
  for (const s of kernel) byName.set(s.name, [...(byName.get(s.name) ?? []), s.addr]);
  const wanted = new Set(undefinedNames.map((n) => (n.startsWith(REDIRECT_ORIG_PREFIX) ? n.slice(REDIRECT_ORIG_PREFIX.length) : n)).filter(Boolean));
  wanted.add('_text');
  wanted.add('_stext');
  const lines: string[] = [];
  for (const name of [...wanted].sort()) {
    const addrs = (byName.get(name) ?? []).slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const pos = sympos.get(name) ?? 0;
    const addr = addrs.length === 1 ? addrs[0] : pos >= 1 && pos <= addrs.length ? addrs[pos - 1] : undefined;
    if (addr !== undefined) lines.push(`${name} ${addr.toString(16).padStart(16, '0')}`);
  }
  return lines;
}

/** "name pos" lines of a .plugsched.sympos section. */
export function parseSympos(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line.trim());
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}
