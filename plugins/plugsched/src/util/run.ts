import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { PlugschedError } from './errors';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Is `tool` on PATH? */
export function haveTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1" >/dev/null 2>&1`, 'sh', tool]).status === 0;
}

/** Throw a clear error when a required host tool is missing. */
export function requireTool(tool: string, debianPackage: string, why: string): void {
  if (!haveTool(tool))
    throw new PlugschedError(`The tool "${tool}" is missing; it is needed to ${why}. Install it with "apt-get install ${debianPackage}" (or run tools/setup, which installs every tool plugsched-nx needs).`);
}

/**
 * Run a command and collect its output. `onLine` sees each line of stdout and
 * stderr as it comes (for progress); the result keeps the last 200 lines.
 */
export function run(cmd: string, args: string[], opts: SpawnOptions & { onLine?: (line: string) => void } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    const collect = (sink: string[]) => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) {
          sink.push(l);
          if (sink.length > 200) sink.shift();
          opts.onLine?.(l);
        }
      };
    };
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout: out.join('\n'), stderr: err.join('\n') }));
  });
}
