/**
 * tools/remote-cache/server.ts in its own process: the tests drive nx with
 * spawnSync, which blocks this process's event loop, so a server living here
 * could never answer nx.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE } from './kernel';

export interface CacheServerProcess {
  url: string;
  close(): Promise<void>;
}

export function startCacheServerProcess(dir: string, token: string): Promise<CacheServerProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(WORKSPACE, 'tools', 'remote-cache', 'server.ts'), '--dir', dir, '--port', '0'], {
    cwd: WORKSPACE,
    env: { ...process.env, NX_CACHE_SERVER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cache server did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /nx remote cache: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          close: () =>
            new Promise((r) => {
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`the cache server exited (${code}):\n${out}`)));
  });
}
