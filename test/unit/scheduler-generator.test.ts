import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import schedulerGenerator from '../../plugins/plugsched/src/generators/scheduler/generator';
import { treeFiles } from '../../plugins/plugsched/src/generators/tree-files';

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

  it('refuses an unknown kernel, naming the known ones, and an existing variant', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('kernels/debian-6.1-cloud-amd64/kernel.yaml', 'distro: debian\n');
    await expect(schedulerGenerator(tree, { name: 'x', kernel: 'debian-6.2' })).rejects.toThrow(/no kernel project "debian-6\.2".*Known kernels: debian-6\.1-cloud-amd64/);
    await schedulerGenerator(tree, { name: 'x' });
    await expect(schedulerGenerator(tree, { name: 'x' })).rejects.toThrow(/schedulers\/x already exists/);
    expect(tree.exists('schedulers/debian-6.2')).toBe(false);
  });
});
