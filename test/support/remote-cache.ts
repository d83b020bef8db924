/**
 * Nx's self-hosted remote cache served by nginx through tools/remote-cache/serve (what a team
 * runs), on loopback. In its own process: the tests drive nx with spawnSync, which blocks this
 * process's event loop.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE } from './kernel';

export interface CacheServerProcess {
  url: string;
  /** the store: one file per record, plus nginx's .tmp */
  dir: string;
  /** nginx's access log: one line per request, `"METHOD /uri" status ... role=<write|read|>` */
  accessLog(): string;
  close(): Promise<void>;
}

export interface CacheTokens {
  write?: string[];
  read?: string[];
}

const SERVE = join(WORKSPACE, 'tools', 'remote-cache', 'serve');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Records in the store (nginx's temp directory .tmp left out). */
export function records(dir: string): string[] {
  return readdirSync(dir).filter((f) => !f.startsWith('.'));
}

async function startOnce(dir: string, tokens: CacheTokens, port: number): Promise<CacheServerProcess | 'port taken'> {
  const runDir = mkdtempSync(join(tmpdir(), 'nx-cache-run-'));
  const listen = `127.0.0.1:${port}`;
  const child = spawn('bash', [SERVE, '--dir', dir, '--listen', listen, '--run-dir', runDir], {
    env: { ...process.env, NX_CACHE_WRITE_TOKENS: (tokens.write ?? []).join(' '), NX_CACHE_READ_TOKENS: (tokens.read ?? []).join(' ') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let exited: number | null | undefined;
  const exit = new Promise<void>((r) => child.once('exit', (code) => ((exited = code), r())));
  const url = `http://${listen}`;
  const errorLog = () => (existsSync(join(runDir, 'error.log')) ? readFileSync(join(runDir, 'error.log'), 'utf8') : '');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) {
      rmSync(runDir, { recursive: true, force: true });
      if (/Address already in use/.test(out + errorLog())) return 'port taken';
      throw new Error(`tools/remote-cache/serve exited (${exited}) before answering:\n${out}`);
    }
    try {
      // any answer from nginx will do: without a token it is a refused 404
      const r = await fetch(`${url}/v1/cache/0`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 404 && r.headers.get('x-nx-cache') === 'refused') break;
      throw new Error(`something else answers on ${url}: ${r.status}`);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('something else')) throw e;
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`nginx did not answer on ${url} within 30 s:\n${out}\n${errorLog()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    dir,
    accessLog: () => readFileSync(join(runDir, 'access.log'), 'utf8'),
    close: async () => {
      if (exited === undefined) {
        child.kill('SIGTERM'); // serve exec'd nginx: its master stops its workers and exits
        await exit;
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** nginx serving `dir` on a free loopback port, answering when this resolves. */
export async function startCacheServerProcess(dir: string, tokens: CacheTokens): Promise<CacheServerProcess> {
  if (!existsSync('/usr/sbin/nginx')) throw new Error("nginx is not installed: install Debian's nginx package (bash tools/setup does)");
  // the port is free when picked, and may be taken before nginx binds it: try another
  for (let attempt = 0; attempt < 5; attempt++) {
    const s = await startOnce(dir, tokens, await freePort());
    if (s !== 'port taken') return s;
  }
  throw new Error('nginx found no free loopback port in 5 attempts');
}
