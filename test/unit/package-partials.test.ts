import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStalePartials } from '../../plugins/plugsched/src/kernel/packages';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'packages-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (and been reaped): no process has it now. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}

function partial(pid: number, name: string): string {
  const p = join(dir, `.partial-${pid}-${name}`);
  mkdirSync(p);
  writeFileSync(join(p, `${name}_1.0_amd64.deb`), 'half a package');
  return p;
}

describe('partial downloads in the package directory', () => {
  it('removes those of dead processes and keeps those of live ones', () => {
    const dead = partial(deadPid(), 'linux-source-6.1');
    const live = partial(process.pid, 'linux-kbuild-6.1');
    writeFileSync(join(dir, 'linux-kbuild-6.1_6.1.192-3_amd64.deb'), 'a verified package');
    expect(removeStalePartials(dir)).toEqual([dead.split('/').pop()]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([`.partial-${process.pid}-linux-kbuild-6.1`, 'linux-kbuild-6.1_6.1.192-3_amd64.deb']);
  });

  it('does nothing when the package directory does not exist yet', () => {
    expect(removeStalePartials(join(dir, 'missing'))).toEqual([]);
  });
});
