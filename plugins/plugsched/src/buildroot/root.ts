/** How a program of a build root is run: the host's toolchain, or a chroot of a suite's (buildroot.ts). */
import type { SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { haveTool, run, type RunResult } from '../util/run';
import { inRootCommand, type MappedBind } from './recipe';

export interface BuildRoot {
  /** "host", or "<suite> <store key>". */
  name: string;
  /** The root directory (host: "/"). */
  dir: string;
  /** Run a program of the root; `env` is added to the root's clean environment (host: to this process's). */
  run(cmd: string, args: string[], opts?: { env?: Record<string, string>; onLine?: (line: string) => void }): Promise<RunResult>;
  /** Is `tool` on the root's PATH? */
  haveTool(tool: string): boolean;
  /** A path inside the root as this machine sees it. */
  hostPath(path: string): string;
}

/** The machine's own toolchain. */
export const HOST_ROOT: BuildRoot = {
  name: 'host',
  dir: '/',
  run: (cmd, args, opts = {}) => run(cmd, args, { env: { ...process.env, ...opts.env }, onLine: opts.onLine } as SpawnOptions & { onLine?: (l: string) => void }),
  haveTool,
  hostPath: (p) => p,
};

/** A build root made at `dir` (a store entry). */
export function chrootRoot(name: string, dir: string, binds: string[], mapped: MappedBind[] = []): BuildRoot {
  return {
    name,
    dir,
    run: (cmd, args, opts = {}) => {
      const [c, ...a] = inRootCommand(dir, binds, cmd, args, opts.env, mapped);
      return run(c, a, { onLine: opts.onLine });
    },
    haveTool: (tool) => ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'].some((d) => existsSync(join(dir, d, tool))),
    hostPath: (p) => join(dir, p),
  };
}

