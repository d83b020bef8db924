/**
 * fetch -> source -> devel of the real Debian 6.1 kernel through the real nx
 * CLI, in a throw-away workspace with an empty store and an empty Nx cache.
 * Packages come from the shared local package directory (apt fills it once).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { develTree, loadKernel } from '../../plugins/plugsched/src/kernel/artifacts';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const KERNEL = 'debian-6.1-cloud-amd64';
let store: string;
let ws: TempWorkspace;

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'plugsched-store-'));
  ws = tempWorkspace({ store });
});
afterAll(() => {
  ws?.dispose();
  rmSync(store, { recursive: true, force: true });
});

function manifest(step: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ws.dir, 'dist', 'kernels', KERNEL, `${step}.json`), 'utf8'));
}

describe('kernel acquisition (real Debian 6.1 packages)', () => {
  it('runs fetch, source and devel from an empty store', () => {
    const r = ws.nx(['run-many', '-t', 'source', 'devel', '-p', KERNEL, '--parallel=1']);
    expect(r.out, r.out).toMatch(/Successfully ran targets source, devel/);
    expect(r.code).toBe(0);
    const fetch = manifest('fetch') as { packages: { name: string; sha256: string; file: string }[] };
    expect(fetch.packages.map((p) => p.name).sort()).toEqual([
      'linux-headers-6.1.0-56-cloud-amd64', 'linux-headers-6.1.0-56-common', 'linux-image-6.1.0-56-cloud-amd64-dbg',
      'linux-image-6.1.0-56-cloud-amd64-unsigned', 'linux-kbuild-6.1', 'linux-source-6.1',
    ]);
    const source = manifest('source') as { store: string; kernelVersion: string };
    expect(source.kernelVersion).toBe('6.1.192');
    expect(existsSync(join(store, source.store, 'tree', 'kernel', 'sched', 'core.c'))).toBe(true);
    const devel = manifest('devel') as { store: string; vmlinux: string; buildDir: string; systemMap: string };
    const root = join(store, devel.store, 'root');
    expect(existsSync(join(root, devel.vmlinux))).toBe(true);
    expect(existsSync(join(root, devel.buildDir, 'Module.symvers'))).toBe(true);
    // the real System.map (from the -dbg package), not the image package's placeholder
    expect(readFileSync(join(root, devel.systemMap), 'utf8')).toMatch(/ t __schedule\n/);
    // manifests are small, sorted and free of absolute paths
    for (const step of ['fetch', 'source', 'devel']) {
      const text = readFileSync(join(ws.dir, 'dist', 'kernels', KERNEL, `${step}.json`), 'utf8');
      expect(text).not.toContain(store);
      expect(text).not.toContain(ws.dir);
    }
  }, 600_000);

  it('is an Nx cache hit the second time', () => {
    const r = ws.nx(['run-many', '-t', 'source', 'devel', '-p', KERNEL, '--parallel=1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Nx read the output from the cache instead of running the command for 3 out of 3 tasks/);
  }, 600_000);

  it('re-materializes a deleted store entry for the next consumer', async () => {
    const devel = manifest('devel') as { store: string; buildDir: string };
    rmSync(join(store, devel.store), { recursive: true, force: true });
    const r = ws.nx(['run', `${KERNEL}:devel`]);
    expect(r.code).toBe(0); // a cache hit: the manifest comes back, the tree does not
    process.env.PLUGSCHED_STORE = store;
    try {
      const tree = await develTree(ws.dir, KERNEL, () => undefined);
      expect(tree.manifest.store).toBe(devel.store);
      expect(existsSync(join(tree.buildDir, 'Module.symvers'))).toBe(true);
    } finally {
      delete process.env.PLUGSCHED_STORE;
    }
  }, 600_000);

  it('builds a one-file module against the stored devel tree', async () => {
    process.env.PLUGSCHED_STORE = store;
    const tree = await develTree(ws.dir, KERNEL, () => undefined).finally(() => delete process.env.PLUGSCHED_STORE);
    const dir = mkdtempSync(join(tmpdir(), 'hello-mod-'));
    try {
      writeFileSync(join(dir, 'hello.c'), '#include <linux/module.h>\nstatic int __init hello_init(void) { pr_info("hello\\n"); return 0; }\nstatic void __exit hello_exit(void) { }\nmodule_init(hello_init);\nmodule_exit(hello_exit);\nMODULE_LICENSE("GPL");\n');
      writeFileSync(join(dir, 'Kbuild'), 'obj-m := hello.o\n');
      const make = spawnSync('make', ['-C', tree.buildDir, `M=${dir}`, 'modules'], { encoding: 'utf8' });
      expect(make.status, make.stderr).toBe(0);
      const vermagic = spawnSync('modinfo', ['-F', 'vermagic', join(dir, 'hello.ko')], { encoding: 'utf8' });
      expect(vermagic.stdout.split(' ')[0]).toBe('6.1.0-56-cloud-amd64');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('fails clearly on a wrong sha256 and leaves no store entry or manifest', () => {
    const bad = 'debian-6.1-wrong-sha';
    cpSync(join(ws.dir, 'kernels', KERNEL), join(ws.dir, 'kernels', bad), { recursive: true });
    const file = join(ws.dir, 'kernels', bad, 'kernel.yaml');
    // the kbuild pin (packages[3]) as shipped: its version is its own when the archive lacks it at the kernel's
    const kbuild = loadKernel(ws.dir, KERNEL).packages[3];
    expect(kbuild.name).toBe('linux-kbuild-6.1');
    writeFileSync(file, readFileSync(file, 'utf8').replace(kbuild.sha256, 'deadbeef'.repeat(8)));
    const before = readdirSync(store).sort();
    const r = ws.nx(['run', `${bad}:devel`]);
    expect(r.code).not.toBe(0);
    const pinned = `pins linux-kbuild-6.1 ${kbuild.version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to sha256 (deadbeef){8}, but .* has sha256 ${kbuild.sha256.slice(0, 8)}`;
    expect(r.out).toMatch(new RegExp(`kernels/debian-6\\.1-wrong-sha/kernel\\.yaml: field "packages\\[3\\]\\.sha256" ${pinned}`));
    expect(readdirSync(store).sort()).toEqual(before);
    expect(existsSync(join(ws.dir, 'dist', 'kernels', bad, 'fetch.json'))).toBe(false);
    expect(existsSync(join(ws.dir, 'dist', 'kernels', bad, 'devel.json'))).toBe(false);
  }, 600_000);

  it('fails clearly when apt does not know the version', () => {
    const bad = 'debian-6.1-no-such-version';
    cpSync(join(ws.dir, 'kernels', KERNEL), join(ws.dir, 'kernels', bad), { recursive: true });
    const file = join(ws.dir, 'kernels', bad, 'kernel.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('version: 6.1.192-2', 'version: 6.1.999-9'));
    const emptyPackageDir = mkdtempSync(join(tmpdir(), 'pkgs-'));
    const r = ws.nx(['run', `${bad}:fetch`], { PLUGSCHED_PACKAGE_DIR: emptyPackageDir });
    rmSync(emptyPackageDir, { recursive: true, force: true });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/kernel\.yaml: apt cannot find linux-source-6\.1 version 6\.1\.999-9 .*apt-cache policy linux-source-6\.1/);
    expect(r.out).toMatch(/re-pin the kernel to what apt has now with "nx g @plugsched\/nx:bump debian-6\.1-no-such-version --version=6\.1\.999-9"/);
  }, 600_000);

  it('loads the shipped kernel.yaml', () => {
    const cfg = loadKernel(ws.dir, KERNEL);
    expect(cfg.release).toBe('6.1.0-56-cloud-amd64');
    expect(cfg.packages.every((p) => /^[0-9a-f]{64}$/.test(p.sha256))).toBe(true);
  });
});
