import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKernelConfig } from '../../plugins/plugsched/src/config/kernel-config';
import { isPlugschedError } from '../../plugins/plugsched/src/util/errors';

const ws = mkdtempSync(join(tmpdir(), 'kcfg-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const SHA = 'a'.repeat(64);
const GOOD = `distro: debian
line: "6.1"
version: 6.1.192-2
release: 6.1.0-56-cloud-amd64
flavour: cloud-amd64
arch: amd64
source: deb
packages:
  - { role: source, name: linux-source-6.1, sha256: ${SHA} }
  - { role: headers, name: linux-headers-6.1.0-56-cloud-amd64, sha256: ${SHA} }
  - { role: image, name: linux-image-6.1.0-56-cloud-amd64-unsigned, sha256: ${SHA} }
  - { role: debug, name: linux-image-6.1.0-56-cloud-amd64-dbg, sha256: ${SHA} }
`;

let n = 0;
function load(text: string) {
  const dir = join(ws, 'kernels', `k${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kernel.yaml'), text);
  return loadKernelConfig(join(dir, 'kernel.yaml'), ws);
}

function errorOf(text: string): string {
  try {
    load(text);
  } catch (e) {
    if (isPlugschedError(e)) return e.message;
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

describe('kernel.yaml', () => {
  it('loads a good config with defaults filled in', () => {
    const cfg = load(GOOD);
    expect(cfg.id).toMatch(/^k\d+$/);
    expect(cfg.kernelArch).toBe('x86');
    expect(cfg.packages).toHaveLength(4);
    expect(cfg.packages[0]).toMatchObject({ role: 'source', name: 'linux-source-6.1', version: '6.1.192-2', arch: null, file: null });
    expect(cfg.boundary.endsWith('/boundary.yaml')).toBe(true);
    expect(cfg.file).toMatch(/^kernels\/k\d+\/kernel\.yaml$/);
  });

  const bad: [string, string, RegExp[]][] = [
    ['malformed YAML', GOOD.replace('flavour: cloud-amd64', 'flavour: [cloud'), [/is not valid YAML at line \d+, column \d+/, /kernel\.yaml/]],
    ['unknown key', `${GOOD}mirror: somewhere\n`, [/field "mirror" is not a known key/, /allowed here: .*arch.*/, /Remove it or correct its spelling/]],
    ['unknown key in a package', GOOD.replace('{ role: source,', '{ role: source, shaa: 1,'), [/field "packages\[0\]\.shaa" is not a known key/]],
    ['missing field', GOOD.replace('release: 6.1.0-56-cloud-amd64\n', ''), [/field "release" is missing: The kernel release string \(uname -r\)/, /add it/]],
    ['bad enum', GOOD.replace('source: deb', 'source: git'), [/field "source" is "git"; expected one of: deb, srpm, tarball, dir/]],
    ['unquoted line', GOOD.replace('line: "6.1"', 'line: 6.1'), [/field "line" is number 6\.1; expected string/, /quote it, e.g. "6\.1"/]],
    ['short sha256', GOOD.replace(`name: linux-source-6.1, sha256: ${SHA}`, 'name: linux-source-6.1, sha256: abc'), [/field "packages\[0\]\.sha256" is "abc", which is not valid \(sha256 of the package file: 64 lowercase hex digits/]],
    ['no source package', GOOD.replace(/ {2}- \{ role: source.*\n/, ''), [/has 0 packages with role "source"/, /exactly one source package/]],
    ['two debug packages', `${GOOD}  - { role: debug, name: other-dbg, sha256: ${SHA} }\n`, [/has 2 packages with role "debug"/]],
    ['rpm package without file', GOOD.replace('distro: debian', 'distro: rpm'), [/field "packages\[0\]\.file" is missing/, /RPM-based kernels/]],
    ['a top-level list', '- a\n- b\n', [/field "\(top level\)" is a list; expected object/]],
  ];

  it.each(bad)('rejects %s with a plain-words message', (_name, text, patterns) => {
    const msg = errorOf(text);
    expect(msg).toMatch(/kernels\/k\d+\/kernel\.yaml/);
    for (const p of patterns) expect(msg).toMatch(p);
    expect(msg.split('\n')).toHaveLength(1); // one paragraph
  });

  it('reports every schema problem at once', () => {
    const msg = errorOf(GOOD.replace('source: deb', 'source: git').replace('arch: amd64', 'arch: sparc'));
    expect(msg).toMatch(/"source"/);
    expect(msg).toMatch(/"arch"/);
  });

  it('names a missing file', () => {
    expect(() => loadKernelConfig(join(ws, 'kernels', 'nope', 'kernel.yaml'), ws)).toThrow(/kernels\/nope\/kernel\.yaml cannot be read \(ENOENT\)/);
  });
});
