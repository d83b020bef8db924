/** Static guest programs (tools/vm/*.c), built once per source into the store. */
import { join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { sha256File } from '../util/hash';
import { run } from '../util/run';
import { materialize } from '../kernel/store';

export async function guestProgram(workspaceRoot: string, name: string): Promise<string> {
  const src = join(workspaceRoot, 'tools', 'vm', `${name}.c`);
  const entry = await materialize({ kind: 'vmtool', recipe: 1, inputs: { name, source: await sha256File(src) } }, async (dir) => {
    const r = await run('gcc', ['-static', '-O2', '-pthread', '-o', join(dir, name), src]);
    if (r.code !== 0) throw new PlugschedError(`Building the guest helper ${name} failed: ${r.stderr.trim()}`);
  });
  return join(entry, name);
}
