/**
 * Nx's self-hosted remote cache against the real server a team runs (nginx through
 * tools/remote-cache/serve) and the real nx CLI, over loopback, on a workspace with one trivial
 * cached target: no kernel build. The kernel pipeline's share of the cache is proven in
 * scheduler-module.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE } from '../support/kernel';
import { records, startCacheServerProcess, type CacheServerProcess } from '../support/remote-cache';

const RW = 'rw-token-0123456789';
const RO = 'ro-token-0123456789';
let cache: CacheServerProcess;
let store: string;
const dirs: string[] = [];

/** A fresh workspace (own path, own local cache) whose one target writes its input and a nonce. */
function workspace(input: string) {
  const dir = mkdtempSync(join(tmpdir(), 'nx-cache-ws-'));
  dirs.push(dir);
  symlinkSync(join(WORKSPACE, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"name":"cache-ws","version":"0.0.0","private":true}\n');
  writeFileSync(join(dir, 'nx.json'), '{}\n');
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'input.txt'), `${input}\n`);
  writeFileSync(
    join(dir, 'app', 'project.json'),
    JSON.stringify({
      name: 'app',
      targets: {
        make: {
          executor: 'nx:run-commands',
          cache: true,
          inputs: ['{projectRoot}/input.txt'],
          outputs: ['{workspaceRoot}/dist/app'],
          // the nonce tells a restored output from a re-run
          options: { command: 'mkdir -p dist/app && (cat app/input.txt; od -An -N8 -tx8 /dev/urandom) > dist/app/out.txt', cwd: '.' },
        },
      },
    }),
  );
  const nx = (token: string) => {
    const r = spawnSync(join(WORKSPACE, 'node_modules', '.bin', 'nx'), ['run', 'app:make', '--output-style=stream'], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        FORCE_COLOR: '0',
        NX_SKIP_NX_CACHE: undefined,
        NX_CACHE_DIRECTORY: join(dir, '.nx', 'cache'),
        NX_WORKSPACE_DATA_DIRECTORY: join(dir, '.nx', 'workspace-data'),
        NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url,
        NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token,
      },
    });
    return { code: r.status ?? 1, out: `${r.stdout}\n${r.stderr}` };
  };
  return { dir, nx, out: () => readFileSync(join(dir, 'dist', 'app', 'out.txt'), 'utf8') };
}

const put = (hash: string, token: string | null, body: string) =>
  fetch(`${cache.url}/v1/cache/${hash}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
const get = (hash: string, token: string | null) => fetch(`${cache.url}/v1/cache/${hash}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  store = mkdtempSync(join(tmpdir(), 'nx-cache-store-'));
  cache = await startCacheServerProcess(store, { write: [RW], read: [RO] });
});
afterAll(async () => {
  await cache?.close();
  for (const d of [store, ...dirs]) if (d) rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  for (const r of records(store)) rmSync(join(store, r));
});

describe("nginx as Nx's remote cache (tools/remote-cache)", { timeout: 120_000 }, () => {
  it('a read-write token fills the cache; a fresh workspace elsewhere gets a remote hit with the same output', () => {
    const a = workspace('one');
    const r1 = a.nx(RW);
    expect(r1.code, r1.out).toBe(0);
    expect(r1.out).not.toMatch(/\[remote cache\]/);
    expect(records(store)).toHaveLength(1);
    const b = workspace('one');
    const r2 = b.nx(RO);
    expect(r2.code, r2.out).toBe(0);
    expect(r2.out).toMatch(/> nx run app:make\s+\[remote cache\]/);
    expect(b.out()).toBe(a.out());
    // a different input is a different record
    const c = workspace('two');
    expect(c.nx(RW).code).toBe(0);
    expect(c.out()).not.toBe(a.out());
    expect(records(store)).toHaveLength(2);
  });

  it('a read-only token stores nothing (nginx answers its PUT 403) and its build still succeeds (its hits: the test above)', () => {
    const a = workspace('read-only');
    const r = a.nx(RO);
    expect(r.code, r.out).toBe(0);
    expect(records(store)).toEqual([]);
    expect(cache.accessLog()).toMatch(/"PUT \/v1\/cache\/\d+" 403 .* role=read$/m);
  });

  it('a wrong token is refused (nothing read, nothing written) and the build still succeeds from local work', () => {
    const a = workspace('wrong-token');
    const r = a.nx('not-a-token-of-this-cache');
    expect(r.code, r.out).toBe(0);
    expect(cache.accessLog()).toMatch(/"GET \/v1\/cache\/\d+" 404 .* role=refused$/m);
    expect(cache.accessLog()).toMatch(/"PUT \/v1\/cache\/\d+" 403 .* role=refused$/m);
    expect(records(store)).toEqual([]);
  });

  it('speaks the protocol: 404 miss, 200 stored, 409 never overwritten, 403 read-only, refused without a known token', async () => {
    expect((await get('123', RO)).status).toBe(404);
    expect((await put('123', RO, 'x')).status).toBe(403);
    const unknownPut = await put('123', null, 'x');
    expect(unknownPut.status).toBe(403);
    expect(unknownPut.headers.get('x-nx-cache')).toBe('refused');
    const refused = await get('123', 'wrong-token-123');
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-nx-cache')).toBe('refused');
    expect(refused.headers.get('content-type')).toBe('text/plain'); // else Nx calls the server misconfigured
    expect((await put('123', RW, 'first')).status).toBe(200);
    expect((await put('123', RW, 'second')).status).toBe(409);
    const got = await get('123', RO);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(await got.text()).toBe('first');
    expect(readFileSync(join(store, '123'), 'utf8')).toBe('first');
    // nothing outside /v1/cache/<hash>, no other method
    expect((await fetch(`${cache.url}/v1/cache/123`, { method: 'DELETE', headers: { authorization: `Bearer ${RW}` } })).status).toBe(405);
    expect((await get('.tmp', RW)).status).toBe(404);
    expect((await put('..%2F..%2Fescape', RW, 'x')).status).toBe(404);
    expect(records(store)).toEqual(['123']);
  });
});
