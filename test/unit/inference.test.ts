import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodes, createNodesV2 } from '../../plugins/plugsched/src/index';

const ws = mkdtempSync(join(tmpdir(), 'infer-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe('createNodes', () => {
  it('is exported under both names with a narrow glob', () => {
    expect(createNodesV2).toBe(createNodes);
    expect(createNodes[0]).toBe('{kernels/*/kernel.yaml,schedulers/*/scheduler.yaml}');
  });

  it('makes one kernel project per folder with cached fetch/source/devel targets', async () => {
    for (const id of ['debian-6.1-cloud-amd64', 'debian-6.12-cloud-arm64']) {
      mkdirSync(join(ws, 'kernels', id), { recursive: true });
      writeFileSync(join(ws, 'kernels', id, 'kernel.yaml'), 'distro: debian\n');
    }
    const files = ['kernels/debian-6.1-cloud-amd64/kernel.yaml', 'kernels/debian-6.12-cloud-arm64/kernel.yaml'];
    const results = await createNodes[1](files, {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
    expect(results.map(([f]) => f)).toEqual(files);
    const project = results[0][1].projects?.['kernels/debian-6.1-cloud-amd64'];
    expect(project?.name).toBe('debian-6.1-cloud-amd64');
    expect(Object.keys(project?.targets ?? {}).sort()).toEqual(['analyze', 'collect', 'devel', 'explain', 'extract', 'fetch', 'source']);
    for (const name of ['fetch', 'source', 'devel']) {
      const t = project?.targets?.[name] ?? {};
      expect(t.cache).toBe(true);
      expect(t.executor).toBe(`@plugsched/nx:${name}`);
      expect(t.outputs).toEqual([`{workspaceRoot}/dist/kernels/{projectName}/${name}.json`]);
      expect(t.inputs).toContain('kernelConfig');
      expect(t.inputs).toContainEqual({ externalDependencies: ['nx'] });
    }
    expect(project?.targets?.devel.dependsOn).toEqual(['fetch']);
    for (const [name, dir] of [['collect', 'collect'], ['analyze', 'boundary'], ['extract', 'mod']]) {
      expect(project?.targets?.[name].cache).toBe(true);
      expect(project?.targets?.[name].outputs).toEqual([`{workspaceRoot}/dist/kernels/{projectName}/${dir}`]);
      expect(project?.targets?.[name].inputs).toContain('boundaryConfig');
    }
    expect(project?.targets?.collect.inputs).toContainEqual({ runtime: 'gcc-12 --version' });
    // extract reads collect's facts: through the task graph, never as a (gitignored) dist/ file input
    expect(project?.targets?.extract.inputs).toContainEqual({ dependentTasksOutputFiles: '**/collect/*.json', transitive: true });
    for (const t of Object.values(project?.targets ?? {})) for (const i of t.inputs ?? []) expect(String(i)).not.toMatch(/dist\//);
    expect(project?.targets?.explain.cache).toBe(false);
    expect(project?.namedInputs?.boundaryConfig).toContain('{workspaceRoot}/kernels/debian-6.1-cloud-amd64/boundary.yaml');
    expect(project?.namedInputs?.kernelConfig).toEqual(['{projectRoot}/kernel.yaml']);
    // deterministic: no absolute paths leak into the graph
    expect(JSON.stringify(results)).not.toContain(ws);
  });
});

describe('scheduler projects', () => {
  it('infers sources, module and vm-test targets and depends on the kernel the yaml names', async () => {
    const { createDependencies } = await import('../../plugins/plugsched/src/index');
    mkdirSync(join(ws, 'schedulers', 'my-sched'), { recursive: true });
    writeFileSync(join(ws, 'schedulers', 'my-sched', 'scheduler.yaml'), 'kernel: debian-6.1-cloud-amd64\nversion: 1.0.0\n');
    const results = await createNodes[1](['schedulers/my-sched/scheduler.yaml'], {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
    const p = results[0][1].projects?.['schedulers/my-sched'];
    expect(p?.name).toBe('my-sched');
    expect(Object.keys(p?.targets ?? {}).sort()).toEqual(['build', 'edit', 'module', 'save', 'sources', 'vm-test', 'watch']);
    // the developer loop: never cached, watch runs until stopped
    for (const t of ['edit', 'save', 'watch']) expect(p?.targets?.[t].cache).toBe(false);
    expect(p?.targets?.edit.dependsOn).toEqual(['^extract']);
    expect(p?.targets?.watch.continuous).toBe(true);
    expect(p?.targets?.sources.dependsOn).toEqual(['^extract']);
    expect(p?.targets?.sources.inputs).toContainEqual({ dependentTasksOutputFiles: '**/*', transitive: false });
    expect(p?.targets?.module.inputs).toContain('{workspaceRoot}/kernels/debian-6.1-cloud-amd64/kernel.yaml');
    expect(p?.targets?.module.outputs).toEqual(['{workspaceRoot}/dist/schedulers/{projectName}/scheduler.ko']);
    expect(p?.targets?.['vm-test'].dependsOn).toEqual(['build']);
    expect(p?.targets?.['vm-test'].outputs).toEqual(['{workspaceRoot}/dist/schedulers/{projectName}/vm-test.json', '{workspaceRoot}/dist/schedulers/{projectName}/vm-test.log']);
    const deps = await createDependencies({}, {
      workspaceRoot: ws,
      nxJsonConfiguration: {},
      externalNodes: {},
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      projects: { 'my-sched': { root: 'schedulers/my-sched' }, 'debian-6.1-cloud-amd64': { root: 'kernels/debian-6.1-cloud-amd64' } },
    });
    expect(deps).toEqual([{ source: 'my-sched', target: 'debian-6.1-cloud-amd64', type: 'static', sourceFile: 'schedulers/my-sched/scheduler.yaml' }]);
  });
});
