/** Synthetic apt metadata for unit tests of the kernel resolver and generators. */
import type { AptFacts, AptRecord } from '../../plugins/plugsched/src/kernel/debian-release';

/**
 * A small synthetic archive: name -> version -> architecture -> record. `show` answers for the
 * kernel's architecture (`kernelArch`) or the one asked for, falling back to an "all" package.
 */
export function archive(entries: [string, string, string, string?][], kernelArch = 'amd64'): AptFacts {
  const db = new Map<string, Map<string, Map<string, AptRecord>>>();
  for (const [name, version, arch, depends] of entries) {
    if (!db.has(name)) db.set(name, new Map());
    const versions = db.get(name) as Map<string, Map<string, AptRecord>>;
    if (!versions.has(version)) versions.set(version, new Map());
    versions.get(version)?.set(arch, { name, version, arch, sha256: `sha-${name}-${version}${arch === 'amd64' || arch === 'all' ? '' : `-${arch}`}`, depends: depends ?? '' });
  }
  return {
    names: (prefix) => [...db.keys()].filter((n) => n.startsWith(prefix)).sort(),
    versions: (name) => [...(db.get(name)?.keys() ?? [])],
    show: (name, version, arch = kernelArch) => {
      const byArch = db.get(name)?.get(version);
      return byArch?.get(arch) ?? byArch?.get('all') ?? null;
    },
    suite: () => 'bookworm',
  };
}

/** The synthetic archive's packages (amd64, arm64 and all). */
export const ENTRIES: [string, string, string, string?][] = [
  ['linux-source-6.1', '6.1.190-1', 'all'],
  ['linux-source-6.1', '6.1.192-2', 'all'],
  ['linux-headers-6.1.0-54-cloud-amd64', '6.1.190-1', 'amd64', 'linux-headers-6.1.0-54-common (= 6.1.190-1), linux-kbuild-6.1 (>= 6.1.190-1), linux-compiler-gcc-12-x86'],
  ['linux-headers-6.1.0-56-cloud-amd64', '6.1.192-2', 'amd64', 'linux-headers-6.1.0-56-common (= 6.1.192-2), linux-kbuild-6.1 (>= 6.1.192-2)'],
  ['linux-headers-6.1.0-54-amd64', '6.1.190-1', 'amd64', 'linux-headers-6.1.0-54-common (= 6.1.190-1), linux-kbuild-6.1 (>= 6.1.190-1)'],
  ['linux-headers-6.12.9+deb12-cloud-amd64', '6.1.190-1', 'amd64'],
  ['linux-headers-6.1.0-54-common', '6.1.190-1', 'all'],
  ['linux-headers-6.1.0-56-common', '6.1.192-2', 'all'],
  ['linux-kbuild-6.1', '6.1.176-1', 'amd64'],
  ['linux-kbuild-6.1', '6.1.192-2', 'amd64'],
  ['linux-kbuild-6.1', '6.1.200-1', 'amd64'],
  ['linux-image-6.1.0-54-cloud-amd64', '6.1.190-1', 'amd64'],
  ['linux-image-6.1.0-54-cloud-amd64-dbg', '6.1.190-1', 'amd64'],
  ['linux-image-6.1.0-56-cloud-amd64-unsigned', '6.1.192-2', 'amd64'],
  ['linux-image-6.1.0-56-cloud-amd64', '6.1.192-2', 'amd64'],
  ['linux-headers-6.1.0-56-cloud-arm64', '6.1.192-2', 'arm64', 'linux-headers-6.1.0-56-common (= 6.1.192-2), linux-kbuild-6.1 (>= 6.1.192-2)'],
  ['linux-kbuild-6.1', '6.1.192-2', 'arm64'],
  ['linux-image-6.1.0-56-cloud-arm64-unsigned', '6.1.192-2', 'arm64'],
  ['linux-image-6.1.0-56-cloud-arm64-dbg', '6.1.192-2', 'arm64'],
];

export const ARCHIVE = archive(ENTRIES);
