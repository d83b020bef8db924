import { createHash } from 'node:crypto';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNITS, loadBoundaryConfig } from '../../plugins/plugsched/src/config/boundary-config';
import { defaultBoundaryYaml } from '../../plugins/plugsched/src/generators/kernel/default-boundary';
import { bumpGeneratorWith, patchReport, variantsOf } from '../../plugins/plugsched/src/generators/bump/generator';
import { kernelGeneratorWith } from '../../plugins/plugsched/src/generators/kernel/generator';
import type { AptFacts } from '../../plugins/plugsched/src/kernel/debian-release';
import { ARCHIVE, ENTRIES, archive } from '../support/apt-archive';
import { WORKSPACE } from '../support/kernel';

const SHA = 'a'.repeat(64);

/** A sha256-shaped stand-in for a synthetic archive's label (the kernel loader checks the form). */
const hex = (label: string) => createHash('sha256').update(label).digest('hex');

/** The archive with sha256s of the real form, so that the kernel.yaml the generators write loads. */
function hexPinned(apt: AptFacts): AptFacts {
  return {
    ...apt,
    show: (name, version, arch) => {
      const r = apt.show(name, version, arch);
      return r && { ...r, sha256: hex(r.sha256) };
    },
  };
}

function workspaceWith6192() {
  const tree = createTreeWithEmptyWorkspace();
  tree.write(
    'kernels/debian-6.1-cloud-amd64/kernel.yaml',
    `distro: debian\nline: "6.1"\nversion: 6.1.192-2\nrelease: 6.1.0-56-cloud-amd64\nflavour: cloud-amd64\narch: amd64\nsource: deb\nboundary: boundary.yaml\npackages:\n  - { role: source, name: linux-source-6.1, sha256: ${SHA} }\n`,
  );
  tree.write('kernels/debian-6.1-cloud-amd64/boundary.yaml', 'files: []\nmoduleCompat: module-compat.h\n');
  tree.write('kernels/debian-6.1-cloud-amd64/module-compat.h', '/* compat */\n');
  tree.write('schedulers/a/scheduler.yaml', 'kernel: debian-6.1-cloud-amd64\nversion: 1.0.0\n');
  tree.write('schedulers/b/scheduler.yaml', 'kernel: debian-6.1-cloud-amd64-other\nversion: 1.0.0\n');
  return tree;
}

describe('kernel generator', () => {
  it("writes kernel.yaml from apt's facts and copies the line's boundary config", () => {
    const tree = workspaceWith6192();
    kernelGeneratorWith(tree, { version: '6.1.190-1', name: 'debian-6.1.190' }, ARCHIVE);
    const yaml = tree.read('kernels/debian-6.1.190/kernel.yaml', 'utf8') ?? '';
    expect(yaml).toMatch(/^release: 6\.1\.0-54-cloud-amd64$/m);
    expect(yaml).toContain('sha256: sha-linux-image-6.1.0-54-cloud-amd64-dbg-6.1.190-1');
    expect(tree.read('kernels/debian-6.1.190/boundary.yaml', 'utf8')).toBe('files: []\nmoduleCompat: module-compat.h\n');
    expect(tree.read('kernels/debian-6.1.190/module-compat.h', 'utf8')).toBe('/* compat */\n');
  });

  it('refuses an existing id, an unknown --boundaryFrom and an unknown release, writing nothing', () => {
    const tree = workspaceWith6192();
    expect(() => kernelGeneratorWith(tree, { version: '6.1.190-1' }, ARCHIVE)).toThrow(/kernels\/debian-6\.1-cloud-amd64 already exists\. Move it to another version with "nx g @plugsched\/nx:bump/);
    const empty = createTreeWithEmptyWorkspace();
    expect(() => kernelGeneratorWith(empty, { version: '6.1.190-1', boundaryFrom: 'nope' }, ARCHIVE)).toThrow(/--boundaryFrom=nope: kernels\/nope\/kernel\.yaml does not exist/);
    expect(() => kernelGeneratorWith(tree, { version: '6.1.191-1', name: 'x' }, ARCHIVE)).toThrow(/cannot be assembled/);
    expect(tree.exists('kernels/x')).toBe(false);
    expect(empty.exists('kernels')).toBe(false);
  });

  it('gives a line with no boundary config the default for its layout, with no interface list', () => {
    const empty = createTreeWithEmptyWorkspace();
    kernelGeneratorWith(empty, { version: '6.1.190-1' }, ARCHIVE);
    const text = empty.read('kernels/debian-6.1-cloud-amd64/boundary.yaml', 'utf8') ?? '';
    expect(empty.read('kernels/debian-6.1-cloud-amd64/module-compat.h', 'utf8')).toContain('#define preempt_enable_no_resched()');
    const dir = mkdtempSync(join(tmpdir(), 'default-boundary-'));
    try {
      writeFileSync(join(dir, 'boundary.yaml'), text);
      const cfg = loadBoundaryConfig(join(dir, 'boundary.yaml'), dir);
      // the files of the shipped 6.1 boundary, in the 5.18+ layout (the default units), and no interface overrides
      const shipped = loadBoundaryConfig('kernels/debian-6.1-cloud-amd64/boundary.yaml', WORKSPACE);
      expect(cfg.modFiles).toEqual(shipped.modFiles);
      expect(cfg.kernelFunctions.map((k) => k.name)).toEqual(shipped.kernelFunctions.map((k) => k.name));
      expect(cfg.units).toEqual(DEFAULT_UNITS);
      expect(cfg.interfaces).toEqual([]);
      expect(cfg.excludedInterfaces).toEqual([]);
      writeFileSync(join(dir, 'b612.yaml'), defaultBoundaryYaml('6.12'));
      const b612 = loadBoundaryConfig(join(dir, 'b612.yaml'), dir);
      const shipped612 = loadBoundaryConfig('kernels/debian-6.12-cloud-amd64/boundary.yaml', WORKSPACE);
      expect(b612.modFiles).toEqual(shipped612.modFiles);
      expect(b612.kernelFunctions.map((k) => k.name)).toEqual(shipped612.kernelFunctions.map((k) => k.name));
      // before 5.18 every scheduler file is a unit of its own
      writeFileSync(join(dir, 'b510.yaml'), defaultBoundaryYaml('5.10'));
      const b510 = loadBoundaryConfig(join(dir, 'b510.yaml'), dir);
      expect(b510.units).toContain('kernel/sched/rt.c');
      expect(b510.units).not.toContain('kernel/sched/build_policy.c');
      expect(b510.modFiles).not.toContain('kernel/sched/syscalls.c');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bump generator', () => {
  it("moves a kernel within its line and lists that kernel's variants", () => {
    const tree = workspaceWith6192();
    expect(variantsOf(tree, 'debian-6.1-cloud-amd64')).toEqual(['a']);
    expect(bumpGeneratorWith(tree, { kernel: 'debian-6.1-cloud-amd64', version: '6.1.190-1' }, ARCHIVE)).toEqual(['a']);
    const yaml = tree.read('kernels/debian-6.1-cloud-amd64/kernel.yaml', 'utf8') ?? '';
    expect(yaml).toMatch(/^version: 6\.1\.190-1$/m);
    expect(yaml).toMatch(/^boundary: boundary\.yaml$/m);
    expect(yaml).toContain('name: linux-kbuild-6.1\n    version: 6.1.192-2');
  });

  it('at the same version, re-pins what left the archive and otherwise changes nothing', () => {
    const tree = workspaceWith6192();
    const entries: typeof ENTRIES = [...ENTRIES, ['linux-image-6.1.0-56-cloud-amd64-dbg', '6.1.192-2', 'amd64']];
    kernelGeneratorWith(tree, { version: '6.1.192-2', name: 'k' }, hexPinned(archive(entries)));
    tree.write('schedulers/on-k/scheduler.yaml', 'kernel: k\nversion: 1.0.0\n');
    const pinned = tree.read('kernels/k/kernel.yaml', 'utf8') ?? '';
    expect(bumpGeneratorWith(tree, { kernel: 'k', version: '6.1.192-2' }, hexPinned(archive(entries)))).toEqual([]);
    expect(tree.read('kernels/k/kernel.yaml', 'utf8')).toBe(pinned);
    // the archive keeps only the newest linux-kbuild-6.1: 6.1.192-2 gone, 6.1.192-3 in
    const moved = archive([...entries.filter(([n, v]) => !(n === 'linux-kbuild-6.1' && v === '6.1.192-2')), ['linux-kbuild-6.1', '6.1.192-3', 'amd64']]);
    expect(bumpGeneratorWith(tree, { kernel: 'k', version: '6.1.192-2' }, hexPinned(moved))).toEqual([]); // sources unchanged: no patch check
    const kbuild = (pin: string) => `name: linux-kbuild-6.1\n${pin}    arch: amd64\n    sha256: `;
    expect(pinned).toContain(`${kbuild('')}${hex('sha-linux-kbuild-6.1-6.1.192-2')}\n`);
    expect(tree.read('kernels/k/kernel.yaml', 'utf8')).toBe(
      pinned.replace(`${kbuild('')}${hex('sha-linux-kbuild-6.1-6.1.192-2')}`, `${kbuild('    version: 6.1.192-3\n')}${hex('sha-linux-kbuild-6.1-6.1.192-3')}`),
    );
  });

  it('refuses another line, an unknown kernel and a non-Debian kernel', () => {
    const tree = workspaceWith6192();
    expect(() => bumpGeneratorWith(tree, { kernel: 'debian-6.1-cloud-amd64', version: '6.12.117-1~deb12u1' }, ARCHIVE)).toThrow(/not a release of the 6\.1 line .*nx g @plugsched\/nx:kernel/);
    expect(() => bumpGeneratorWith(tree, { kernel: 'nope', version: '6.1.190-1' }, ARCHIVE)).toThrow(/no kernel project "nope".*Known kernels: debian-6\.1-cloud-amd64/);
    tree.write('kernels/rpm-k/kernel.yaml', `distro: rpm\nsource: srpm\nline: "6.1"\nversion: 6.1.190-1\nrelease: 6.1.190-1.x86_64\nflavour: default\narch: x86_64\npackages:\n  - { role: source, file: kernel-6.1.190-1.src.rpm, sha256: ${SHA} }\n`);
    expect(() => bumpGeneratorWith(tree, { kernel: 'rpm-k', version: '6.1.190-1' }, ARCHIVE)).toThrow(/needs "distro: debian" and "source: deb"/);
    expect(tree.read('kernels/debian-6.1-cloud-amd64/kernel.yaml', 'utf8')).toMatch(/^version: 6\.1\.192-2$/m);
  });

  it("reads kernel.yaml and scheduler.yaml through their loaders: a bad kernel.yaml is the loader's error, a bad scheduler.yaml is no variant", () => {
    const tree = workspaceWith6192();
    tree.write('kernels/bad/kernel.yaml', 'distro: debian\nline: 6.1\n');
    expect(() => bumpGeneratorWith(tree, { kernel: 'bad', version: '6.1.190-1' }, ARCHIVE)).toThrow(/kernels\/bad\/kernel\.yaml is not valid: .*field "line" is number 6\.1; expected string/);
    tree.write('schedulers/c/scheduler.yaml', 'kernel: debian-6.1-cloud-amd64\nversion: not-a-version\n');
    tree.write('schedulers/d/scheduler.yaml', '# quoted\nkernel: "debian-6.1-cloud-amd64"\nversion: 2.0.0\n');
    expect(variantsOf(tree, 'debian-6.1-cloud-amd64')).toEqual(['a', 'd']);
  });

  it("picks the patch paragraph out of a failed run's output", () => {
    const out = '\u001b[31m> nx run x:apply-patches\u001b[0m\nsome noise\nschedulers/x/patches/0001-a.patch does not apply to the extracted scheduler of k: kernel/sched/core.c hunk #1 failed. ...\nmore\n';
    expect(patchReport(out)).toBe('schedulers/x/patches/0001-a.patch does not apply to the extracted scheduler of k: kernel/sched/core.c hunk #1 failed. ...');
  });
});
