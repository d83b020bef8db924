import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodes, createNodesV2 } from '../../plugins/plugsched/src/index';
import { compileInputsCommand } from '../../plugins/plugsched/src/plugin/code-inputs';

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
      // the plugin code and npm packages its executor really uses (test/unit/target-inputs.test.ts checks them)
      expect(t.inputs).toContain(`{workspaceRoot}/plugins/plugsched/src/executors/${name}/executor.ts`);
      expect(t.inputs?.find((i) => typeof i === 'object' && 'externalDependencies' in i)).toMatchObject({ externalDependencies: expect.arrayContaining(['nx']) });
    }
    expect(project?.targets?.devel.dependsOn).toEqual(['fetch']);
    for (const [name, dir] of [['collect', 'collect'], ['analyze', 'boundary'], ['extract', 'mod']]) {
      expect(project?.targets?.[name].cache).toBe(true);
      expect(project?.targets?.[name].outputs).toEqual([`{workspaceRoot}/dist/kernels/{projectName}/${dir}`]);
    }
    for (const name of ['analyze', 'extract']) expect(project?.targets?.[name].inputs).toContain('boundaryConfig');
    // collect needs only boundary.yaml's units and files, which its runtime input prints with the compilers' identity
    expect(project?.targets?.collect.inputs).not.toContain('boundaryConfig');
    expect(project?.targets?.collect.inputs).toContainEqual({ runtime: compileInputsCommand('debian-6.1-cloud-amd64') });
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
  it('infers apply-patches, module and vm-test targets and depends on the kernel the yaml names', async () => {
    mkdirSync(join(ws, 'kernels', 'debian-6.1-cloud-amd64'), { recursive: true });
    writeFileSync(join(ws, 'kernels', 'debian-6.1-cloud-amd64', 'kernel.yaml'), 'distro: debian\n');
    mkdirSync(join(ws, 'schedulers', 'my-sched'), { recursive: true });
    writeFileSync(join(ws, 'schedulers', 'my-sched', 'scheduler.yaml'), 'kernel: debian-6.1-cloud-amd64\nversion: 1.0.0\n');
    const results = await createNodes[1](['schedulers/my-sched/scheduler.yaml'], {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
    const p = results[0][1].projects?.['schedulers/my-sched'];
    expect(p?.name).toBe('my-sched');
    expect(p?.implicitDependencies).toEqual(['debian-6.1-cloud-amd64']);
    expect(Object.keys(p?.targets ?? {}).sort()).toEqual(['apply-patches', 'bench', 'build', 'edit', 'host-test', 'module', 'save', 'vm-test', 'watch']);
    // the developer loop: never cached, watch runs until stopped
    for (const t of ['edit', 'save', 'watch']) expect(p?.targets?.[t].cache).toBe(false);
    expect(p?.targets?.edit.dependsOn).toEqual(['^extract']);
    expect(p?.targets?.watch.continuous).toBe(true);
    expect(p?.targets?.['apply-patches'].dependsOn).toEqual(['^extract']);
    expect(p?.targets?.['apply-patches'].inputs).toContainEqual({ dependentTasksOutputFiles: '**/*', transitive: false });
    expect(p?.targets?.module.inputs).toContain('{workspaceRoot}/kernels/debian-6.1-cloud-amd64/kernel.yaml');
    expect(p?.targets?.module.outputs).toEqual(['{workspaceRoot}/dist/schedulers/{projectName}/scheduler.ko']);
    expect(p?.targets?.['vm-test'].dependsOn).toEqual(['build']);
    expect(p?.targets?.['vm-test'].outputs).toEqual(['{workspaceRoot}/dist/schedulers/{projectName}/vm-test.json', '{workspaceRoot}/dist/schedulers/{projectName}/vm-test.log']);
    // a measurement: never cached, never beside another task (docs/bench.md)
    expect(p?.targets?.bench).toMatchObject({ cache: false, parallelism: false, dependsOn: ['module'] });
  });

  it('infers a project without a kernel dependency from a bad scheduler.yaml or an unknown kernel, and never throws', async () => {
    const files = { 'bad-yaml': 'kernel: [unclosed\n', 'no-version': 'kernel: debian-6.1-cloud-amd64\n', 'unknown-kernel': 'kernel: debian-9.9\nversion: 1.0.0\n' };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(ws, 'schedulers', name), { recursive: true });
      writeFileSync(join(ws, 'schedulers', name, 'scheduler.yaml'), text);
    }
    const results = await createNodes[1](Object.keys(files).map((n) => `schedulers/${n}/scheduler.yaml`), {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
    for (const [name] of Object.entries(files)) {
      const p = results.find(([f]) => f === `schedulers/${name}/scheduler.yaml`)?.[1].projects?.[`schedulers/${name}`];
      expect(p?.name, name).toBe(name);
      // an implicit dependency on a project that does not exist fails every nx command
      expect(p?.implicitDependencies ?? [], name).toEqual([]);
    }
  });
});

describe('kernel projects', () => {
  it("hash the boundary config kernel.yaml names, and the default one when kernel.yaml is bad", async () => {
    const sha = 'a'.repeat(64);
    mkdirSync(join(ws, 'kernels', 'shared'), { recursive: true });
    writeFileSync(
      join(ws, 'kernels', 'shared', 'kernel.yaml'),
      `distro: debian\nline: "6.1"\nversion: 6.1.192-2\nrelease: 6.1.0-56-cloud-amd64\nflavour: cloud-amd64\narch: amd64\nsource: deb\nboundary: ../debian-6.1-cloud-amd64/boundary.yaml\npackages:\n  - { role: source, name: linux-source-6.1, sha256: ${sha} }\n`,
    );
    mkdirSync(join(ws, 'kernels', 'broken'), { recursive: true });
    writeFileSync(join(ws, 'kernels', 'broken', 'kernel.yaml'), 'boundary: [unclosed\n');
    const results = await createNodes[1](['kernels/shared/kernel.yaml', 'kernels/broken/kernel.yaml'], {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
    expect(results[0][1].projects?.['kernels/shared']?.namedInputs?.boundaryConfig).toContain('{workspaceRoot}/kernels/debian-6.1-cloud-amd64/boundary.yaml');
    expect(results[1][1].projects?.['kernels/broken']?.namedInputs?.boundaryConfig).toContain('{workspaceRoot}/kernels/broken/boundary.yaml');
  });
});
