/** Generators in a real temp workspace, through the nx CLI. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

let ws: TempWorkspace;
beforeAll(() => {
  ws = tempWorkspace();
});
afterAll(() => ws?.dispose());

describe('nx g @plugsched/nx:scheduler', () => {
  it('documents itself', () => {
    const r = ws.nx(['g', '@plugsched/nx:scheduler', '--help']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/--kernel/);
    expect(r.out).toMatch(/--kernel\s+The kernel project/);
  });

  it('makes a variant that becomes a project with its targets, depending on its kernel', () => {
    const r = ws.nx(['g', '@plugsched/nx:scheduler', 'my-sched', '--description=tries a shorter slice']);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(ws.dir, 'schedulers', 'my-sched', 'scheduler.yaml'), 'utf8')).toContain('kernel: debian-6.1-cloud-amd64');
    const show = ws.nx(['show', 'project', 'my-sched', '--json']);
    expect(show.code, show.out).toBe(0);
    const project = JSON.parse(show.out.slice(show.out.indexOf('{'), show.out.lastIndexOf('}') + 1));
    expect(Object.keys(project.targets).sort()).toEqual(['apply-patches', 'bench', 'build', 'edit', 'host-test', 'module', 'save', 'vm-test', 'watch']);
    const graph = ws.nx(['graph', '--file=graph.json']);
    expect(graph.code, graph.out).toBe(0);
    const deps = JSON.parse(readFileSync(join(ws.dir, 'graph.json'), 'utf8')).graph.dependencies['my-sched'];
    expect(deps.map((d: { target: string }) => d.target)).toContain('debian-6.1-cloud-amd64');
  });

  it('refuses an unknown kernel with the known ones, and writes nothing', () => {
    const r = ws.nx(['g', '@plugsched/nx:scheduler', 'other', '--kernel=debian-6.2']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no kernel project "debian-6\.2".*Known kernels: debian-6\.1-cloud-amd64/);
  });
});
