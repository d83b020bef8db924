/** Pure helpers that read facts out of kernel files' text. */

/** "6.1.192" from a kernel Makefile's VERSION/PATCHLEVEL/SUBLEVEL lines, or null. */
export function makefileVersion(makefile: string): string | null {
  const get = (k: string) => new RegExp(`^${k}\\s*=\\s*(\\d+)\\s*$`, 'm').exec(makefile)?.[1];
  const v = get('VERSION');
  const p = get('PATCHLEVEL');
  const s = get('SUBLEVEL');
  return v !== undefined && p !== undefined && s !== undefined ? `${v}.${p}.${s}` : null;
}

/**
 * Rewrite a Makefile's `include /absolute/path` lines that point inside the
 * unpacked root so they work from wherever the root is. `makefileDir` and the
 * result are relative to the root. Returns null when nothing needs changing.
 */
export function relocateMakefile(text: string, makefileDir: string): string | null {
  let changed = false;
  const out = text.replace(/^([ \t]*-?include[ \t]+)\/(\S+)[ \t]*$/gm, (_m, head: string, target: string) => {
    changed = true;
    return `${head}$(dir $(lastword $(MAKEFILE_LIST)))${relativeFrom(makefileDir, target)}`;
  });
  return changed ? out : null;
}

/** Path of `to` as seen from directory `fromDir` (both relative to the same root). */
export function relativeFrom(fromDir: string, to: string): string {
  const a = fromDir.split('/').filter((x) => x !== '' && x !== '.');
  const b = to.split('/').filter((x) => x !== '' && x !== '.');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const up = a.slice(i).map(() => '..');
  return [...up, ...b.slice(i)].join('/') || '.';
}

/** A System.map with real content (Debian's image package ships a one-line placeholder). */
export function isRealSystemMap(text: string): boolean {
  return text.split('\n').filter((l) => /^[0-9a-f]+ [A-Za-z] \S+/.test(l)).length > 1000;
}
