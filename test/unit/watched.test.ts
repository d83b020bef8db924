import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWatched } from '../../plugins/plugsched/src/util/watched';

const dir = mkdtempSync(join(tmpdir(), 'plugsched-watched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runWatched', () => {
  it('lets a command that keeps talking run past the silence limit, and keeps its output', async () => {
    const logFile = join(dir, 'talk.log');
    const r = await runWatched('sh', ['-c', 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.3; done'], { timeoutSec: 30, quietSec: 1, logFile });
    expect(r.stopped).toBeNull();
    expect(r.exitCode).toBe(0);
    expect(r.seconds).toBeGreaterThan(1.5);
    expect(readFileSync(logFile, 'utf8')).toBe(r.output);
    expect(r.output).toMatch(/tick 6\n$/);
  });

  it('stops a command that falls silent, and says so', async () => {
    const r = await runWatched('sh', ['-c', 'echo started; sleep 30'], { timeoutSec: 60, quietSec: 1, logFile: join(dir, 'quiet.log') });
    expect(r.stopped).toMatch(/^after \d+ s, the last 1 s with no output$/);
    expect(r.output).toBe('started\n');
  });

  it('stops a command at the time limit however much it says', async () => {
    const r = await runWatched('sh', ['-c', 'while :; do echo busy; sleep 0.1; done'], { timeoutSec: 1, quietSec: 10, logFile: join(dir, 'limit.log') });
    expect(r.stopped).toBe('after 1 s, the time limit');
  });
});

describe('runWatched with a line watch', () => {
  it('feeds it whole lines, split across chunks, and stops the command when it says so', async () => {
    const seen: string[] = [];
    const watch = {
      line: (text: string) => seen.push(text),
      due: () => (seen.includes('stop here') ? 'after a while, the watch said so' : null),
    };
    const r = await runWatched('sh', ['-c', 'printf "one\\nst"; sleep 0.2; printf "op here\\n"; sleep 30'], { timeoutSec: 60, logFile: join(dir, 'watch.log'), watch });
    expect(seen).toEqual(['one', 'stop here']);
    expect(r.stopped).toBe('after a while, the watch said so');
    expect(r.seconds).toBeLessThan(30);
  });
});
