import { join } from 'node:path';

/**
 * The directories of the workspace's tools/ that targets compile, copy or ship.
 * Plugin code reaches tools/ only through toolPath, with the directory as a
 * string literal: target inference reads those calls to hash what each
 * executor really uses (plugin/code-inputs.ts), and the input mutation test
 * checks that nothing reaches tools/ another way.
 */
export type ToolDir = 'gcc-collector' | 'installer' | 'runtime' | 'vm';

/** tools/<dir>/<rest...> of a workspace. */
export function toolPath(workspaceRoot: string, dir: ToolDir, ...rest: string[]): string {
  return join(workspaceRoot, 'tools', dir, ...rest);
}
