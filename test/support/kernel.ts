/**
 * Real kernel artifacts for tests: the workspace's default kernel, fetched and
 * unpacked into the shared store on first use (cached between runs).
 */
import { resolve } from 'node:path';
import { develTree as workspaceDevelTree, sourceTree as workspaceSourceTree } from '../../plugins/plugsched/src/kernel/artifacts';
import type { DevelTree } from '../../plugins/plugsched/src/kernel/devel';
import type { SourceTree } from '../../plugins/plugsched/src/kernel/source';

export const WORKSPACE = resolve(__dirname, '..', '..');
export const DEFAULT_KERNEL = 'debian-6.1-cloud-amd64';

const log = (line: string) => process.stderr.write(`[kernel] ${line}\n`);

let devel: Promise<DevelTree> | undefined;
let source: Promise<SourceTree> | undefined;

/** The default kernel's devel tree: { root, buildDir, kernelRelease, vmlinux, systemMap, vmlinuz, config, arch }. */
export function develTree(): Promise<DevelTree> {
  devel ??= workspaceDevelTree(WORKSPACE, DEFAULT_KERNEL, log);
  return devel;
}

/** The default kernel's pristine source: { tree, manifest }. Read-only: build out of tree. */
export function sourceTree(): Promise<SourceTree & { root: string }> {
  source ??= workspaceSourceTree(WORKSPACE, DEFAULT_KERNEL, log);
  return source.then((s) => ({ ...s, root: resolve(s.tree, '..') }));
}
