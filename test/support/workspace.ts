/**
 * A throw-away copy of this workspace for tests that run the real `nx` CLI:
 * its own Nx cache, its own dist/, and (when asked) its own kernel store.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE } from './kernel';

export interface TempWorkspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  nx(args: string[], extraEnv?: NodeJS.ProcessEnv): { code: number; out: string };
  dispose(): void;
}

export function tempWorkspace(opts: { store?: string; kernels?: string[]; schedulers?: string[] } = {}): TempWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'plugsched-ws-'));
  for (const f of ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', '.gitignore', '.env']) cpSync(join(WORKSPACE, f), join(dir, f));
  cpSync(join(WORKSPACE, 'plugins'), join(dir, 'plugins'), { recursive: true });
  cpSync(join(WORKSPACE, 'tools'), join(dir, 'tools'), { recursive: true });
  for (const k of opts.kernels ?? ['debian-6.1-cloud-amd64']) cpSync(join(WORKSPACE, 'kernels', k), join(dir, 'kernels', k), { recursive: true });
  for (const s of opts.schedulers ?? []) cpSync(join(WORKSPACE, 'schedulers', s), join(dir, 'schedulers', s), { recursive: true });
  symlinkSync(join(WORKSPACE, 'node_modules'), join(dir, 'node_modules'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_SKIP_NX_CACHE: undefined,
    NX_CACHE_DIRECTORY: join(dir, '.nx', 'cache'),
    NX_WORKSPACE_DATA_DIRECTORY: join(dir, '.nx', 'workspace-data'),
    NX_TUI: 'false',
    FORCE_COLOR: '0',
    ...(opts.store ? { PLUGSCHED_STORE: opts.store } : {}),
  };
  return {
    dir,
    env,
    nx(args, extraEnv = {}) {
      const r = spawnSync(join(WORKSPACE, 'node_modules', '.bin', 'nx'), args, { cwd: dir, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
      return { code: r.status ?? 1, out: `${r.stdout}\n${r.stderr}` };
    },
    dispose() {
      // A child that outlived its test may still be writing (an nx cache
      // entry on its way out): retry rather than fail the suite on ENOTEMPTY.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
