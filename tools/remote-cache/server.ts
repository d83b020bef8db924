/**
 * A small storage server for Nx's self-hosted remote cache protocol
 * (GET/PUT /v1/cache/{hash}, tar archives as application/octet-stream,
 * optional bearer token): Nx itself does the caching, this only stores.
 * Enough for tests and a small team; a real deployment can put any server
 * that speaks the same protocol behind the same two environment variables.
 *
 *   node -r @swc-node/register tools/remote-cache/server.ts --dir /srv/nx-cache --port 3000 [--host 0.0.0.0]
 *   (token from NX_CACHE_SERVER_TOKEN; none means no authentication)
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

export interface CacheServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface CacheServerOptions {
  dir: string;
  /** Bearer token required on every request; null for none. */
  token: string | null;
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

function end(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain' });
  res.end(text);
}

function handle(o: CacheServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const m = /^\/v1\/cache\/([A-Za-z0-9._-]+)$/.exec(req.url ?? '');
  if (!m || m[1].startsWith('.')) return end(res, 404, 'not found');
  if (o.token !== null && req.headers.authorization !== `Bearer ${o.token}`) return end(res, 403, 'access forbidden');
  const file = join(o.dir, m[1]);
  if (req.method === 'GET') {
    if (!existsSync(file)) return end(res, 404, 'not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
    o.log?.(`GET ${m[1]}`);
    return;
  }
  if (req.method === 'PUT') {
    // a record is never overwritten: the same hash means the same outputs
    if (existsSync(file)) {
      req.resume();
      return end(res, 409, 'cannot override an existing record');
    }
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const out = createWriteStream(tmp);
    req.pipe(out);
    out.on('finish', () => {
      renameSync(tmp, file);
      o.log?.(`PUT ${m[1]}`);
      end(res, 200, 'ok');
    });
    out.on('error', () => {
      rmSync(tmp, { force: true });
      end(res, 500, 'could not store the record');
    });
    req.on('aborted', () => rmSync(tmp, { force: true }));
    return;
  }
  end(res, 405, 'method not allowed');
}

export function startCacheServer(o: CacheServerOptions): Promise<CacheServer> {
  mkdirSync(o.dir, { recursive: true });
  const server = createServer((req, res) => handle(o, req, res));
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      const a = server.address() as AddressInfo;
      resolvePromise({
        url: `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`,
        server,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  if (process.argv.includes('--help')) {
    process.stdout.write('Usage: server.ts --dir <storage dir> [--port 3000] [--host 127.0.0.1]\nA storage server for Nx\'s self-hosted remote cache (GET/PUT /v1/cache/<hash>). Token: NX_CACHE_SERVER_TOKEN.\nClients: NX_SELF_HOSTED_REMOTE_CACHE_SERVER=<url> NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=<token> nx build ...\n');
    process.exit(0);
  }
  const dir = arg('dir');
  if (!dir) {
    process.stderr.write('server.ts: --dir <storage dir> is required (see --help).\n');
    process.exit(2);
  }
  startCacheServer({ dir: resolve(dir), token: process.env.NX_CACHE_SERVER_TOKEN || null, port: Number(arg('port') ?? 3000), host: arg('host') ?? '127.0.0.1', log: (l) => process.stdout.write(`${l}\n`) }).then((s) =>
    process.stdout.write(`nx remote cache: ${s.url} storing in ${resolve(dir)}${process.env.NX_CACHE_SERVER_TOKEN ? ' (bearer token required)' : ' (no token)'}\n`),
  );
}
