import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DependencyType, type CreateDependenciesContext, type RawProjectGraphDependency } from '@nx/devkit';
import yaml from 'js-yaml';

/**
 * Static edges scheduler -> kernel, read from each scheduler.yaml's `kernel`
 * field. Bad files are left to the scheduler's own targets to report (a graph
 * plugin that throws would take every nx command down with it).
 */
export function schedulerDependencies(context: CreateDependenciesContext): RawProjectGraphDependency[] {
  const deps: RawProjectGraphDependency[] = [];
  const kernelsByRoot = new Map<string, string>();
  for (const [name, p] of Object.entries(context.projects)) if (p.root.startsWith('kernels/')) kernelsByRoot.set(p.root.split('/').pop() as string, name);
  for (const [name, p] of Object.entries(context.projects)) {
    if (!p.root.startsWith('schedulers/')) continue;
    const file = `${p.root}/scheduler.yaml`;
    const abs = join(context.workspaceRoot, file);
    if (!existsSync(abs)) continue;
    let kernel: unknown;
    try {
      kernel = (yaml.load(readFileSync(abs, 'utf8')) as { kernel?: unknown } | null)?.kernel;
    } catch {
      continue;
    }
    const target = typeof kernel === 'string' ? kernelsByRoot.get(kernel) : undefined;
    if (target !== undefined) deps.push({ source: name, target, type: DependencyType.static, sourceFile: file });
  }
  return deps.sort((a, b) => a.source.localeCompare(b.source));
}
