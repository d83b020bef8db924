/**
 * apt for another Debian suite through a private state in the store, against
 * the real archive this machine's apt uses: bullseye-security's kernel source
 * package is found without /etc/apt changing; a suite the archive does not
 * serve is refused and leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelConfig } from '../../plugins/plugsched/src/config/kernel-config';
import { parseAptRecord } from '../../plugins/plugsched/src/kernel/apt-cache';
import { suiteApt } from '../../plugins/plugsched/src/kernel/apt-suite';
import { ensurePackage } from '../../plugins/plugsched/src/kernel/packages';
import { tempWorkspace } from '../support/workspace';

let store: string;
const saved = process.env.PLUGSCHED_STORE;
const savedPackages = process.env.PLUGSCHED_PACKAGE_DIR;
const etcApt = () => spawnSync('sh', ['-c', 'cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | sha256sum'], { encoding: 'utf8' }).stdout;

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'plugsched-apt-suite-'));
  process.env.PLUGSCHED_STORE = store;
  process.env.PLUGSCHED_PACKAGE_DIR = join(store, 'packages');
});
afterAll(() => {
  if (saved === undefined) delete process.env.PLUGSCHED_STORE;
  else process.env.PLUGSCHED_STORE = saved;
  if (savedPackages === undefined) delete process.env.PLUGSCHED_PACKAGE_DIR;
  else process.env.PLUGSCHED_PACKAGE_DIR = savedPackages;
  rmSync(store, { recursive: true, force: true });
});

describe('apt for another suite', () => {
  it("finds bullseye-security's linux-source-5.10 through a private apt state, and /etc/apt is unchanged", () => {
    const before = etcApt();
    const lines: string[] = [];
    const options = suiteApt('bullseye-security', 'kernels/test/kernel.yaml: suite', (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/reading the package lists of bullseye-security/);
    const r = spawnSync('apt-cache', [...options, 'madison', 'linux-source-5.10'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/linux-source-5\.10 \| 5\.10\.\d+-\d+ \| \S+ bullseye-security\/main/);
    expect(readFileSync(join(store, 'apt', 'bullseye-security', 'sources.list'), 'utf8')).toMatch(/^deb \[signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] \S+ bullseye-security main\n$/);
    expect(etcApt()).toBe(before);
    // fresh lists are used again without another update
    const again: string[] = [];
    expect(suiteApt('bullseye-security', 'kernels/test/kernel.yaml: suite', (l) => again.push(l))).toEqual(options);
    expect(again).toEqual([]);
  }, 300_000);

  it("fetch downloads a package of a kernel.yaml's suite that the machine's apt does not read, verified against its pin", async () => {
    // the newest linux-config-5.10 bullseye has, read from the archive now (never pinned here: the archive moves)
    const options = suiteApt('bullseye', 'kernels/debian-5.10/kernel.yaml: field "suite"');
    const madison = spawnSync('apt-cache', [...options, 'madison', 'linux-config-5.10'], { encoding: 'utf8' }).stdout;
    const version = madison.split('\n')[0].split('|')[1]?.trim();
    expect(version, madison).toMatch(/^5\.10\./);
    const record = parseAptRecord(spawnSync('apt-cache', [...options, 'show', `linux-config-5.10=${version}`], { encoding: 'utf8' }).stdout);
    const cfg = { id: 'debian-5.10', file: 'kernels/debian-5.10/kernel.yaml', distro: 'debian', suite: 'bullseye', line: '5.10', version, packages: [] } as unknown as KernelConfig;
    const spec = { role: 'debug' as const, name: 'linux-config-5.10', version, arch: record.Architecture, file: null, sha256: record.SHA256 } as unknown as KernelConfig['packages'][number];
    cfg.packages.push(spec);
    const lines: string[] = [];
    const got = await ensurePackage(spec, cfg, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/fetch: apt-get download linux-config-5\.10=5\.10\.\S+ \(from bullseye\)/);
    expect(got.fileName).toMatch(/^linux-config-5\.10_5\.10\.\S+\.deb$/);
    expect(got.sha256).toBe(record.SHA256);
    expect(readdirSync(join(store, 'packages')).filter((f) => f.startsWith('.partial'))).toEqual([]);
  }, 300_000);

  it('nx g @plugsched/nx:kernel --suite=bullseye writes a 5.10 kernel project from that suite, pinned by its sha256s', () => {
    const options = suiteApt('bullseye', 'test');
    const madison = spawnSync('apt-cache', [...options, 'madison', 'linux-source-5.10'], { encoding: 'utf8' }).stdout;
    const version = madison.split('\n')[0].split('|')[1]?.trim();
    const ws = tempWorkspace({ store });
    try {
      const r = ws.nx(['g', '@plugsched/nx:kernel', version, '--suite=bullseye', '--boundaryFrom=debian-6.1-cloud-amd64'], { PLUGSCHED_PACKAGE_DIR: join(store, 'packages') });
      expect(r.code, r.out).toBe(0);
      const yaml = readFileSync(join(ws.dir, 'kernels', 'debian-5.10-cloud-amd64', 'kernel.yaml'), 'utf8');
      expect(yaml).toMatch(/^suite: bullseye$/m);
      expect(yaml).toMatch(new RegExp(`^version: ${version.replace(/[.+]/g, '\\$&')}$`, 'm'));
      expect(yaml).toMatch(/^release: 5\.10\.0-\d+-cloud-amd64$/m);
      for (const role of ['source', 'headers', 'kbuild', 'image', 'debug']) expect(yaml).toContain(`role: ${role}`);
      expect(yaml.match(/sha256: [0-9a-f]{64}$/gm)?.length).toBe(6);
    } finally {
      ws.dispose();
    }
  }, 300_000);

  it('refuses a suite the archive does not serve, naming the field and the suites it does, and writes nothing', () => {
    expect(() => suiteApt('nosuchsuite', 'kernels/test/kernel.yaml: suite')).toThrow(/kernels\/test\/kernel\.yaml: suite: apt cannot read suite "nosuchsuite"[\s\S]*bullseye-security/);
    expect(readdirSync(join(store, 'apt')).sort()).toEqual(['bullseye', 'bullseye-security']);
    expect(existsSync(join(store, 'apt', 'nosuchsuite'))).toBe(false);
  }, 300_000);

  it('refuses a name that is not a suite name before asking apt', () => {
    expect(() => suiteApt('../etc', 'kernels/test/kernel.yaml: suite')).toThrow(/"\.\.\/etc" is not a Debian suite name/);
  });
});
