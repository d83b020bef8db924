import { spawnSync } from 'node:child_process';
import { requireTool } from '../util/run';
import type { AptFacts, AptRecord } from './debian-release';

function aptCacheIn(args: string[], options: string[] = []): string {
  const r = spawnSync('apt-cache', [...options, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return r.status === 0 ? r.stdout : '';
}

/** Fields of the first record of `apt-cache show` output. */
export function parseAptRecord(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let key: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') {
      if (Object.keys(out).length > 0) break;
      continue;
    }
    const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
    if (m) {
      key = m[1];
      out[key] = m[2];
    } else if (key && /^\s/.test(line)) out[key] += `\n${line.trim()}`;
  }
  return out;
}

/** "name | version | <archive url> bookworm-security/main amd64 Packages" -> suite per version. */
export function parseMadison(text: string): { name: string; version: string; suite: string | null }[] {
  return text
    .split('\n')
    .map((l) => l.split('|').map((s) => s.trim()))
    .filter((f) => f.length >= 3)
    .map(([name, version, where]) => {
      const dist = /\s(\S+?)\/\S+\s+\S+\s+(?:Packages|Sources)$/.exec(where);
      return { name: name.replace(/:.*$/, ''), version, suite: dist ? dist[1].replace(/-(security|updates|backports|proposed-updates)$/, '') : null };
    });
}

/** The build machine's Debian architecture (dpkg --print-architecture). */
export function dpkgArchitecture(): string {
  return spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout?.trim() || 'amd64';
}

/**
 * AptFacts read from this machine's apt lists (apt-cache; no network). `arch` is the kernel's
 * architecture; `options` point apt-cache at another suite's private state (apt-suite.ts).
 */
export function aptCacheFacts(arch: string, options: string[] = []): AptFacts {
  const aptCache = (args: string[]) => aptCacheIn(args, options);
  requireTool('apt-cache', 'apt', "read apt's package metadata");
  const native = dpkgArchitecture();
  const q = (name: string, a = arch) => (a === native ? name : `${name}:${a}`);
  const madison = new Map<string, { version: string; suite: string | null }[]>();
  /** One apt-cache call for many packages (each call costs most of a second); unqualified names list every architecture. */
  const prime = (names: string[]) => {
    const todo = names.filter((n) => !madison.has(n));
    if (todo.length === 0) return;
    for (const n of todo) madison.set(n, []);
    for (const r of parseMadison(aptCache(['madison', ...todo]))) madison.get(r.name)?.push({ version: r.version, suite: r.suite });
  };
  const rows = (name: string) => {
    prime([name]);
    return madison.get(name) ?? [];
  };
  return {
    options,
    names: (prefix) => {
      const names = aptCache(['pkgnames', prefix]).split('\n').map((s) => s.trim()).filter((s) => s !== '').sort();
      prime(names);
      return names;
    },
    versions: (name) => [...new Set(rows(name).map((r) => r.version))],
    suite: (name, version) => rows(name).find((r) => r.version === version)?.suite ?? null,
    show: (name, version, forArch = arch): AptRecord | null => {
      if (forArch === arch && !rows(name).some((r) => r.version === version)) return null;
      // NAME:ARCH for a foreign architecture's package; an "Architecture: all" package answers only to NAME
      const f = parseAptRecord(aptCache(['show', `${q(name, forArch)}=${version}`]) || aptCache(['show', `${name}=${version}`]));
      if (!f.SHA256) return null;
      return { name, version, arch: f.Architecture ?? forArch, sha256: f.SHA256, depends: f.Depends ?? '' };
    },
  };
}
