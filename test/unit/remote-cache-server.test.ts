import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheServer, type CacheServer } from '../../tools/remote-cache/server';

let server: CacheServer;
let dir: string;
const auth = { authorization: 'Bearer t0ken' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nx-cache-server-'));
  server = await startCacheServer({ dir, token: 't0ken' });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the storage server for Nx's self-hosted remote cache protocol", () => {
  it('stores a record once and serves it back', async () => {
    const body = Buffer.from('tar bytes');
    expect((await fetch(`${server.url}/v1/cache/abc123`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}/v1/cache/abc123`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body })).status).toBe(200);
    const got = await fetch(`${server.url}/v1/cache/abc123`, { headers: auth });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(body);
    expect((await fetch(`${server.url}/v1/cache/abc123`, { method: 'PUT', headers: auth, body: Buffer.from('other') })).status).toBe(409);
  });

  it('refuses a wrong or missing token, and paths outside /v1/cache/<hash>', async () => {
    expect((await fetch(`${server.url}/v1/cache/abc123`)).status).toBe(403);
    expect((await fetch(`${server.url}/v1/cache/abc123`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    expect((await fetch(`${server.url}/v1/cache/..%2Fx`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}/v1/cache/abc123`, { method: 'DELETE', headers: auth })).status).toBe(405);
  });
});
