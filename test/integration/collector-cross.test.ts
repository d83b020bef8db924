/** The collector plugin builds against the aarch64 cross compiler's plugin headers and runs inside it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCollector, type Toolchain } from '../../plugins/plugsched/src/boundary/collect';
import { WORKSPACE } from '../support/kernel';

describe('collector for arm64 kernels', () => {
  it('builds for aarch64-linux-gnu-gcc-12 and records facts inside it', async () => {
    const cc = 'aarch64-linux-gnu-gcc-12';
    const version = spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    const tc: Toolchain = { cc, cxx: 'g++-12', arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', version };
    const so = await buildCollector(WORKSPACE, tc, () => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'collector-arm64-'));
    try {
      writeFileSync(join(dir, 'unit.c'), 'static int g(int x) { return x + 1; }\nint h(int y) { return g(y) * 2; }\nint (*p)(int) = h;\n');
      const r = spawnSync(cc, ['-O2', '-c', 'unit.c', `-fplugin=${so}`, '-fplugin-arg-collector-out=.', `-fplugin-arg-collector-srctree=${dir}`], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const unit = JSON.parse(readFileSync(join(dir, 'unit.c.json'), 'utf8'));
      expect(unit.unit).toBe('unit.c');
      expect(unit.functions.map((f: { name: string }) => f.name)).toEqual(['g', 'h']);
      expect(unit.functions[1].calls).toEqual(['g']);
      expect(unit.variables[0]).toMatchObject({ name: 'p', addressTaken: ['h'], defined: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
