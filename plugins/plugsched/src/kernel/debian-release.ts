import { PlugschedError } from '../util/errors';
import { compareDebianVersions, satisfies } from './debian-version';

/** One package at one version as apt's metadata describes it. */
export interface AptRecord {
  name: string;
  version: string;
  /** Architecture field: amd64, arm64, all. */
  arch: string;
  sha256: string;
  depends: string;
}

/** What the resolver asks of apt; the edge implementation is apt-cache.ts. */
export interface AptFacts {
  /** Package names starting with `prefix` (apt-cache pkgnames). */
  names(prefix: string): string[];
  /** Every version apt knows of `name`. */
  versions(name: string): string[];
  /**
   * The record of `name` at `version`, or null when apt has none; for the kernel's
   * architecture, or for `arch` when given (the build machine's, for kbuild).
   */
  show(name: string, version: string, arch?: string): AptRecord | null;
  /** The distribution (suite) `name` at `version` comes from, e.g. bookworm. */
  suite(name: string, version: string): string | null;
  /**
   * The apt options these facts were read with (a suite's private apt state, apt-suite.ts), for
   * the commands an error suggests; none: the machine's apt as it is.
   */
  options?: string[];
}

export interface KernelQuery {
  version: string;
  flavour: string;
  arch: string;
  /** Defaults to major.minor of the version. */
  line?: string;
  /**
   * The build machine's architecture. linux-kbuild holds programs (fixdep, modpost) that
   * run while modules are built, so it is taken for this architecture: an arm64 kernel
   * built on amd64 needs amd64's kbuild. Defaults to `arch`.
   */
  hostArch?: string;
}

export interface ResolvedPackage {
  role: 'source' | 'headers' | 'kbuild' | 'image' | 'debug';
  name: string;
  arch: string;
  sha256: string;
  /** Only when it differs from the kernel's version (apt's archive lacks some packages at some releases). */
  version?: string;
}

export interface ResolvedKernel {
  line: string;
  version: string;
  release: string;
  flavour: string;
  arch: string;
  suite: string | null;
  packages: ResolvedPackage[];
}

/** "a (>= 1), b | c (= 2)" -> [[{name a, op >=, version 1}], [{b}, {c ...}]] */
export function parseDepends(depends: string): { name: string; op: string | null; version: string | null }[][] {
  return depends
    .split(',')
    .map((group) => group.trim())
    .filter((g) => g !== '')
    .map((group) =>
      group.split('|').map((alt) => {
        const m = /^\s*([^\s(:]+)(?::\S+)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?/.exec(alt) as RegExpExecArray;
        return { name: m[1], op: m[2] ?? null, version: m[3] ?? null };
      }),
    );
}

const known = (apt: AptFacts, name: string) => {
  const vs = [...apt.versions(name)].sort(compareDebianVersions);
  return vs.length > 0 ? `apt knows ${vs.join(', ')}` : 'apt knows no version of it';
};

function cannot(q: KernelQuery, apt: AptFacts, what: string): PlugschedError {
  const opts = (apt.options ?? []).map((o) => ` ${o}`).join('');
  return new PlugschedError(
    `Debian kernel ${q.version} (${q.flavour}, ${q.arch}) cannot be assembled from apt's metadata: ${what}. ` +
      `Check the version with "apt-cache${opts} madison linux-source-${lineOf(q)}"; if apt's lists are old run "apt-get${opts} update"; ` +
      `for another architecture run "dpkg --add-architecture ${q.arch} && apt-get${opts} update" first.`,
  );
}

function lineOf(q: KernelQuery): string {
  if (q.line) return q.line;
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(q.version);
  if (!m) throw new PlugschedError(`"${q.version}" is not a kernel package version (expected something like 6.1.192-2).`);
  return `${m[1]}.${m[2]}`;
}

function record(apt: AptFacts, q: KernelQuery, name: string, version: string, why: string, arch?: string): AptRecord {
  const r = apt.show(name, version, arch);
  if (!r) throw cannot(q, apt, `${name} at ${version} (${why}) is not in the archive (${known(apt, name)})`);
  return r;
}

/**
 * The version a dependency of the headers package is met with: the exact one
 * for "=", the oldest satisfying one for other relations (what the archive
 * holds closest to the kernel), the kernel's own version or the newest for an
 * unversioned dependency.
 */
function dependencyVersion(apt: AptFacts, q: KernelQuery, dep: { name: string; op: string | null; version: string | null }, needer: string): string {
  const versions = [...apt.versions(dep.name)].sort(compareDebianVersions);
  if (dep.op === null || dep.version === null) {
    if (versions.includes(q.version)) return q.version;
    const newest = versions.at(-1);
    if (newest === undefined) throw cannot(q, apt, `${needer} needs ${dep.name}, which apt does not know`);
    return newest;
  }
  const ok = versions.filter((v) => satisfies(v, dep.op as string, dep.version as string));
  if (ok.length === 0) throw cannot(q, apt, `${needer} needs ${dep.name} (${dep.op} ${dep.version}) and ${known(apt, dep.name)}`);
  return ok[0];
}

/**
 * Resolve a Debian kernel release from apt's metadata: linux-source-<line> at
 * the version, the flavour's headers package at that version (which names the
 * ABI, hence uname -r), the common headers and kbuild packages it depends on
 * (kbuild is not built at every release: the oldest version satisfying the
 * dependency is taken), the unsigned image (or the signed one) and the debug
 * image. Pure: every fact comes from `apt`.
 */
export function resolveDebianKernel(q: KernelQuery, apt: AptFacts): ResolvedKernel {
  const line = lineOf(q);
  const v = q.version;
  const source = record(apt, q, `linux-source-${line}`, v, 'the kernel source');
  const suffix = `-${q.flavour}`;
  const headerNames = apt
    .names(`linux-headers-${line}`)
    .filter((n) => n.endsWith(suffix))
    .filter((n) => n.slice('linux-headers-'.length, -suffix.length).startsWith(`${line}.`))
    .filter((n) => apt.show(n, v) !== null)
    .sort();
  if (headerNames.length === 0) throw cannot(q, apt, `no linux-headers-${line}.*${suffix} package exists at version ${v} (is the flavour "${q.flavour}" right?)`);
  if (headerNames.length > 1) throw cannot(q, apt, `several headers packages exist at version ${v}: ${headerNames.join(', ')}`);
  const headers = record(apt, q, headerNames[0], v, 'the flavour headers');
  const release = headers.name.slice('linux-headers-'.length);
  const packages: ResolvedPackage[] = [];
  const add = (role: ResolvedPackage['role'], r: AptRecord) => packages.push({ role, name: r.name, arch: r.arch, sha256: r.sha256, ...(r.version !== v ? { version: r.version } : {}) });
  add('source', source);
  add('headers', headers);
  let kbuild = false;
  for (const group of parseDepends(headers.depends)) {
    const dep = group[0];
    if (dep.name.startsWith('linux-headers-') && dep.name.endsWith('-common')) add('headers', record(apt, q, dep.name, dependencyVersion(apt, q, dep, headers.name), `needed by ${headers.name}`));
    if (dep.name.startsWith('linux-kbuild-')) {
      const host = q.hostArch !== undefined && q.hostArch !== q.arch ? q.hostArch : undefined;
      add('kbuild', record(apt, q, dep.name, dependencyVersion(apt, q, dep, headers.name), `needed by ${headers.name}${host ? `, for ${host} where modules are built` : ''}`, host));
      kbuild = true;
    }
  }
  if (!kbuild) throw cannot(q, apt, `${headers.name} names no linux-kbuild package among its dependencies (${headers.depends})`);
  // sid (2026) splits the image: linux-image-<release> is then an empty package depending on
  // linux-binary-<release>, which holds the vmlinuz (in /usr/lib/modules/<release>/).
  const image = apt.show(`linux-image-${release}-unsigned`, v) ?? apt.show(`linux-binary-${release}`, v) ?? apt.show(`linux-image-${release}`, v);
  if (!image) throw cannot(q, apt, `none of linux-image-${release}-unsigned, linux-binary-${release} and linux-image-${release} exists at ${v}`);
  add('image', image);
  add('debug', record(apt, q, `linux-image-${release}-dbg`, v, 'the debug vmlinux the boundary analysis reads'));
  return { line, version: v, release, flavour: q.flavour, arch: q.arch, suite: apt.suite(source.name, v), packages };
}
