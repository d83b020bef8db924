import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

function cacheHome(): string {
  return process.env.XDG_CACHE_HOME ? resolve(process.env.XDG_CACHE_HOME) : join(homedir(), '.cache');
}

/**
 * Where unpacked kernel trees live: a content-addressed store outside the Nx
 * cache, shared by every workspace on the machine. PLUGSCHED_STORE overrides.
 */
export function storeRoot(): string {
  return process.env.PLUGSCHED_STORE ? resolve(process.env.PLUGSCHED_STORE) : join(cacheHome(), 'plugsched', 'store');
}

/**
 * The local package directory, looked in before apt is asked: put package
 * files here for offline or air-gapped builds. PLUGSCHED_PACKAGE_DIR overrides.
 */
export function packageDir(): string {
  return process.env.PLUGSCHED_PACKAGE_DIR ? resolve(process.env.PLUGSCHED_PACKAGE_DIR) : join(cacheHome(), 'plugsched', 'packages');
}
