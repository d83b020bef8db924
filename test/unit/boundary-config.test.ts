import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoundaryConfig } from '../../plugins/plugsched/src/config/boundary-config';
import { WORKSPACE } from '../support/kernel';

const dir = mkdtempSync(join(tmpdir(), 'bcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('boundary.yaml', () => {
  it('loads the shipped 6.1 config, sorted and deduplicated', () => {
    const cfg = loadBoundaryConfig('kernels/debian-6.1-cloud-amd64/boundary.yaml', WORKSPACE);
    expect(cfg.file).toBe('kernels/debian-6.1-cloud-amd64/boundary.yaml');
    expect(cfg.modFiles).toContain('kernel/sched/rt.c');
    expect(cfg.modFiles).not.toContain('kernel/sched/cputime.c');
    expect(cfg.outsideFiles).toContain('kernel/sched/cputime.c');
    // interfaces are derived by analyze: the config holds only the overrides, each with its reason
    expect(cfg.interfaces.map((i) => i.name)).toEqual(['try_to_wake_up']);
    expect(cfg.interfaces[0].reason).toMatch(/kprobes and tracers attach to/);
    expect(cfg.excludedInterfaces).toEqual([]);
    expect(cfg.kernelFunctions.map((k) => k.name)).toEqual([...cfg.kernelFunctions.map((k) => k.name)].sort());
    expect(cfg.interfacePrefixes).toContain('__x64_sys_');
    expect(cfg.modFiles.filter((f) => cfg.outsideFiles.includes(f))).toEqual([]);
  });

  it('explains a bad config in plain words', () => {
    const f = join(dir, 'boundary.yaml');
    writeFileSync(f, 'files:\n  - { path: kernel/sched/core.c }\ninterfaces: [{ function: schedule, reason: why }, { function: "bad name", reason: why }]\nexcludeInterfaces: [{ function: x }]\nextra: 1\n');
    let msg = '';
    try {
      loadBoundaryConfig(f, dir);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^boundary\.yaml is not valid: /);
    expect(msg).toMatch(/field "files\[0\]\.reason" is missing: Why the file is \(or is not\) part of the module\./);
    expect(msg).toMatch(/field "interfaces\[1\]\.function" is "bad name", which is not valid/);
    expect(msg).toMatch(/field "excludeInterfaces\[0\]\.reason" is missing/);
    expect(msg).toMatch(/field "extra" is not a known key/);
    expect(msg).toMatch(/See plugins\/plugsched\/docs\/boundary-yaml\.md for the format\.$/);
  });

  it('refuses the hand-listed interface names of the old format, saying how to move to overrides', () => {
    const f = join(dir, 'old.yaml');
    writeFileSync(f, 'files:\n  - { path: kernel/sched/core.c, reason: the core }\ninterfaces: [__schedule, try_to_wake_up, wake_up_new_task, sched_fork]\n');
    expect(() => loadBoundaryConfig(f, dir)).toThrow(/^old\.yaml: field "interfaces" lists bare function names \(__schedule, try_to_wake_up, wake_up_new_task, \.\.\.\), the format from before interfaces were derived\. .*"excludeInterfaces" the derived ones that stay the kernel's\. .*See plugins\/plugsched\/docs\/boundary-yaml\.md\.$/);
  });
});

describe('boundary layout check', () => {
  it('names every boundary file missing from the kernel tree', async () => {
    const { checkLayout } = await import('../../plugins/plugsched/src/boundary/collect-step');
    const tree = mkdtempSync(join(tmpdir(), 'tree-'));
    try {
      const cfg = loadBoundaryConfig('kernels/debian-6.1-cloud-amd64/boundary.yaml', WORKSPACE);
      expect(() => checkLayout(tree, cfg, 'k')).toThrow(/^kernels\/debian-6\.1-cloud-amd64\/boundary\.yaml does not match the source of k: kernel\/sched\/core\.c, .*kernel\/sched\/rt\.c.* do not exist in its tree\. Correct the paths/);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
