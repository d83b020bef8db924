import { relative } from 'node:path';
import type { Tree } from '@nx/devkit';
import type { ConfigFiles } from '../config/config-files';

/** A generator's tree as the config loaders read it: the workspace with the generator's pending changes. */
export function treeFiles(tree: Tree): ConfigFiles {
  const inTree = (path: string) => relative(tree.root, path);
  return {
    read: (path) => tree.read(inTree(path), 'utf8'),
    list: (dir) => (tree.exists(inTree(dir)) ? tree.children(inTree(dir)) : []),
  };
}
