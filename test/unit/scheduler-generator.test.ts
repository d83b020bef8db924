import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import schedulerGenerator from '../../plugins/plugsched/src/generators/scheduler/generator';
import { treeFiles } from '../../plugins/plugsched/src/generators/tree-files';
import { collectVariantTests } from '../../plugins/plugsched/src/vm/variant-tests';

const WORKSPACE = resolve(__dirname, '..', '..');

describe('scheduler generator', () => {
  it('creates a variant for an existing kernel', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('kernels/debian-6.1-cloud-amd64/kernel.yaml', 'distro: debian\n');
    await schedulerGenerator(tree, { name: 'my-sched', description: 'tries a shorter slice' });
    expect(tree.read('schedulers/my-sched/scheduler.yaml', 'utf8')).toBe(
      '# my-sched: a scheduler variant (format: plugins/plugsched/docs/scheduler-yaml.md).\nkernel: debian-6.1-cloud-amd64\nversion: 0.1.0\ndescription: "tries a shorter slice"\n',
    );
    expect(tree.exists('schedulers/my-sched/patches/.gitkeep')).toBe(true);
    // what executors and inference read back through the scheduler loader
    expect(loadSchedulerConfig('schedulers/my-sched/scheduler.yaml', tree.root, treeFiles(tree))).toMatchObject({ name: 'my-sched', kernel: 'debian-6.1-cloud-amd64', version: '0.1.0', description: 'tries a shorter slice', marker: null, patches: [] });
    expect(tree.read('schedulers/my-sched/README.md', 'utf8')).toContain('npx nx build my-sched');
  });

  it('scaffolds an example VM test that passes the checks vm-test makes before booting', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('kernels/debian-6.1-cloud-amd64/kernel.yaml', 'distro: debian\n');
    await schedulerGenerator(tree, { name: 'my-sched' });
    const text = tree.read('schedulers/my-sched/tests/10-my-sched-runs.sh', 'utf8') as string;
    // checked before the install, while installed and after the rollback, with lib.sh's helpers
    expect(text).toMatch(/^scenario_my_sched_runs\(\) \{\n\tscenario_begin my-sched-runs\n\tcheck builtin-before [\s\S]*\tsched_install; rc=\$\?\n[\s\S]*check variant-runs [\s\S]*\tsched_uninstall; rc=\$\?\n[\s\S]*check builtin-after [\s\S]*\tscenario_end\n\}\n$/m);
    expect(tree.read('schedulers/my-sched/README.md', 'utf8')).toContain('npx nx run my-sched:vm-test --scenarios=live-update,my-sched-runs');
    // what vm-test checks before it boots: the name, busybox sh's syntax check, the function
    const ws = mkdtempSync(join(tmpdir(), 'plugsched-gen-test-'));
    try {
      cpSync(join(WORKSPACE, 'tools', 'vm'), join(ws, 'tools', 'vm'), { recursive: true });
      mkdirSync(join(ws, 'schedulers', 'my-sched', 'tests'), { recursive: true });
      writeFileSync(join(ws, 'schedulers', 'my-sched', 'tests', '10-my-sched-runs.sh'), text);
      expect(collectVariantTests(ws, join(ws, 'schedulers', 'my-sched')).scenarios.map((s) => [s.name, s.inFullRun])).toEqual([['my-sched-runs', true]]);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('refuses an unknown kernel, naming the known ones, and an existing variant', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('kernels/debian-6.1-cloud-amd64/kernel.yaml', 'distro: debian\n');
    await expect(schedulerGenerator(tree, { name: 'x', kernel: 'debian-6.2' })).rejects.toThrow(/no kernel project "debian-6\.2".*Known kernels: debian-6\.1-cloud-amd64/);
    await schedulerGenerator(tree, { name: 'x' });
    await expect(schedulerGenerator(tree, { name: 'x' })).rejects.toThrow(/schedulers\/x already exists/);
    expect(tree.exists('schedulers/debian-6.2')).toBe(false);
  });
});
