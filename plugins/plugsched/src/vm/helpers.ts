/**
 * Static guest programs, built once per source into the store: a name means
 * tools/vm/<name>.c; a path (tools/installer/symbol-resolve.c) is taken as is.
 */
import { basename, join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { sha256File } from '../util/hash';
import { run } from '../util/run';
import { materialize } from '../kernel/store';

export async function guestProgram(workspaceRoot: string, nameOrPath: string): Promise<string> {
  const src = nameOrPath.includes('/') ? join(workspaceRoot, nameOrPath) : join(workspaceRoot, 'tools', 'vm', `${nameOrPath}.c`);
  const name = basename(src, '.c');
  const entry = await materialize({ kind: 'vmtool', recipe: 1, inputs: { name, source: await sha256File(src) } }, async (dir) => {
    const r = await run('gcc', ['-static', '-O2', '-pthread', '-o', join(dir, name), src]);
    if (r.code !== 0) throw new PlugschedError(`Building the guest helper ${name} failed: ${r.stderr.trim()}`);
  });
  return join(entry, name);
}
