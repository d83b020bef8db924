/** Synthetic apt metadata for unit tests of the kernel resolver and generators. */
import type { AptFacts, AptRecord } from '../../plugins/plugsched/src/kernel/debian-release';

/** A small synthetic archive: name -> version -> record. */
export function archive(entries: [string, string, string, string?][]): AptFacts {
  const db = new Map<string, Map<string, AptRecord>>();
  for (const [name, version, arch, depends] of entries) {
    if (!db.has(name)) db.set(name, new Map());
    db.get(name)?.set(version, { name, version, arch, sha256: `sha-${name}-${version}`, depends: depends ?? '' });
  }
  return {
    names: (prefix) => [...db.keys()].filter((n) => n.startsWith(prefix)).sort(),
    versions: (name) => [...(db.get(name)?.keys() ?? [])],
    show: (name, version) => db.get(name)?.get(version) ?? null,
    suite: () => 'bookworm',
  };
}

export const ARCHIVE = archive([
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
]);
