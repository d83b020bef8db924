/**
 * The plugin and the tests type-check under the workspace's strict settings
 * (tsconfig.base.json). Nx and vitest load TypeScript through swc, which strips
 * types without checking them: this is where a type error shows.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

describe('typescript', () => {
  it('type-checks the plugin and the tests with no errors', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'plugins', 'plugsched', 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);
});
