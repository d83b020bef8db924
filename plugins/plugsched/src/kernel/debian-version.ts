/**
 * Debian version ordering (deb-version(7)): [epoch:]upstream[-revision],
 * compared part by part; within a part, non-digit runs compare with "~" before
 * everything (even the end) and letters before other characters, digit runs
 * compare as numbers. Written out here because no kept npm package does only
 * this; dpkg --compare-versions is the reference the unit tests follow.
 */
function order(c: string): number {
  if (c === '~') return -1;
  if (c === '') return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !/\d/.test(a[i])) || (j < b.length && !/\d/.test(b[j]))) {
      const ca = i < a.length && !/\d/.test(a[i]) ? a[i] : '';
      const cb = j < b.length && !/\d/.test(b[j]) ? b[j] : '';
      const d = order(ca) - order(cb);
      if (d !== 0) return Math.sign(d);
      if (ca !== '') i++;
      if (cb !== '') j++;
      if (ca === '' && cb === '') break;
    }
    let na = '';
    let nb = '';
    while (i < a.length && /\d/.test(a[i])) na += a[i++];
    while (j < b.length && /\d/.test(b[j])) nb += b[j++];
    const d = Number(na || '0') - Number(nb || '0');
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function split(v: string): [number, string, string] {
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ''];
}

/** <0, 0, >0 as dpkg orders the two versions. */
export function compareDebianVersions(a: string, b: string): number {
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  if (ea !== eb) return Math.sign(ea - eb);
  return comparePart(ua, ub) || comparePart(ra, rb);
}

/** Does `version` satisfy a Debian relation such as ">= 6.1.190-1"? */
export function satisfies(version: string, op: string, wanted: string): boolean {
  const c = compareDebianVersions(version, wanted);
  switch (op) {
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '>>':
      return c > 0;
    case '<<':
      return c < 0;
    default:
      return false;
  }
}
