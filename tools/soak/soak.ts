/**
 * npm run soak: install/rollback cycles of a scheduler variant in one QEMU VM under 1000 threads
 * and the fork storm, the console judged as vm-test judges it, the results in SOAK.md.
 * Not part of npm test or CI (it runs for an hour or more). The module is built through nx
 * (<variant>:module, as npm run bench builds), the guest is the vm-test guest (runLiveUpdate) with
 * tools/vm/soak.sh as its only scenario, and it stops by itself (cycles done, --minutes, failures
 * in a row, and the VM's silence and time limits).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import { develTree, loadKernel } from '../../plugins/plugsched/src/kernel/artifacts';
import { runLiveUpdate } from '../../plugins/plugsched/src/vm/live-update';
import { isPlugschedError } from '../../plugins/plugsched/src/util/errors';
import { parseSoakArgs, soakCommandLine, SOAK_HELP, SoakUsageError, type SoakOptions } from './options';
import { parseSoakConsole, renderSoak, soakClean, troubleCounts } from './report';

const ROOT = resolve(__dirname, '..', '..');

function variantsOf(root: string): string[] {
  const dir = join(root, 'schedulers');
  return existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'scheduler.yaml'))).sort() : [];
}

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** The commit the soak ran from, and whether the checkout had changes not committed. */
function commitLine(): string {
  const head = git(['rev-parse', '--short=12', 'HEAD']) || 'unknown';
  const subject = git(['log', '-1', '--format=%s']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', 'plugins', 'tools', 'kernels', 'schedulers']) !== '';
  return `${head}${subject ? ` ("${subject}")` : ''}${dirty ? ', with changes not committed in plugins/, tools/, kernels/ or schedulers/' : ''}`;
}

/** The VM's outer time limit: generous, since the guest stops itself and silence catches a hang. */
export function soakTimeoutSec(o: Pick<SoakOptions, 'cycles' | 'minutes'>): number {
  const cycling = o.minutes > 0 ? o.minutes * 60 : o.cycles * 120;
  return 900 + cycling;
}

async function main(argv: string[]): Promise<number> {
  const variants = variantsOf(ROOT);
  const o = parseSoakArgs(argv, variants);
  if (o.help) {
    process.stdout.write(SOAK_HELP);
    return 0;
  }
  const scheduler = loadSchedulerConfig(join('schedulers', o.variant, 'scheduler.yaml'), ROOT);
  const kernel = loadKernel(ROOT, scheduler.kernel);
  process.stdout.write(`soak: building ${o.variant}'s module (nx run ${o.variant}:module)\n`);
  const build = spawnSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['run', `${o.variant}:module`, '--outputStyle=static'], { cwd: ROOT, env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' }, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (build.status !== 0) throw new Error(`nx run ${o.variant}:module failed:\n${build.stdout.split('\n').slice(-30).join('\n')}\n${build.stderr}`);
  const ko = join(ROOT, 'dist', 'schedulers', o.variant, 'scheduler.ko');
  if (!existsSync(ko)) throw new Error(`nx run ${o.variant}:module succeeded but left no dist/schedulers/${o.variant}/scheduler.ko`);
  const devel = await develTree(ROOT, scheduler.kernel, (l) => process.stdout.write(`${l}\n`));
  // the commit that runs, read now: a commit made while the soak runs is not what it tested
  const commit = commitLine();
  const config = readFileSync(devel.config, 'utf8');
  const memMiB = 2048;
  const work = mkdtempSync(join(tmpdir(), 'plugsched-soak-'));
  const logFile = join(work, 'soak-console.log');
  const keptLog = join(ROOT, 'dist', 'soak', 'soak-console.log');
  const every = Math.min(10, Math.max(1, Math.round(o.cycles / 50)));
  process.stdout.write(`soak: ${o.cycles} cycles of ${o.variant} on ${devel.kernelRelease} in QEMU, ${o.cpus} vCPUs, ${o.threads} threads and the fork storm (${o.stormWorkers} workers)${o.minutes ? `, at most ${o.minutes} minutes of cycling` : ''}; progress every ${every} cycles; console: dist/soak/soak-console.log\n`);
  // progress: the guest's PROGRESS lines, read from the console copy as it grows
  let seen = 0;
  let booted = false;
  const t0 = Date.now();
  const progress = setInterval(() => {
    if (!existsSync(logFile)) return;
    const text = readFileSync(logFile, 'utf8');
    const lines = text.slice(seen).split('\n');
    const complete = lines.slice(0, -1);
    seen += complete.reduce((n, l) => n + l.length + 1, 0);
    for (const l of complete) {
      const m = /PLUGSCHED-SOAK (PROGRESS (\d+) of (\d+)|FAIL .*|END .*)/.exec(l);
      if (m === null) continue;
      const min = ((Date.now() - t0) / 60000).toFixed(1);
      process.stdout.write(m[2] ? `soak: cycle ${m[2]} of ${m[3]} (${min} min)\n` : `soak: ${m[1].replace(/\r$/, '')}\n`);
    }
    if (!booted && /PLUGSCHED-BOOTED/.test(text)) {
      booted = true;
      process.stdout.write('soak: the guest booted\n');
    }
  }, 5000);
  try {
    const { run } = await runLiveUpdate({
      workspaceRoot: ROOT,
      devel,
      ko,
      cpus: o.cpus,
      memMiB,
      scenarios: ['soak'],
      // the soak script is not a vm-test scenario (tools/vm/scenarios): it comes in the way a variant's own test does
      tests: { variant: scheduler.name, version: scheduler.version, scenarios: [{ name: 'soak', file: 'soak.sh', inFullRun: false, src: join(ROOT, 'tools', 'vm', 'soak.sh') }], probes: [] },
      workDir: work,
      logFile,
      timeoutSec: soakTimeoutSec(o),
      tcg: o.tcg,
      // every oops or WARN is counted with its cycle (SOAK.md); the soak's own rule stops it (5 failed cycles in a row)
      keepGoingAfterTrouble: true,
      env: {
        SOAK_CYCLES: String(o.cycles),
        SOAK_MINUTES: String(o.minutes),
        SOAK_THREADS: String(o.threads),
        SOAK_STORM_WORKERS: String(o.stormWorkers),
        SOAK_RELOAD_EVERY: String(o.reloadEvery),
        SOAK_PROGRESS_EVERY: String(every),
        // no latency probe: the soak measures the runtime's own downtime
        LATPROBE_PERIOD_US: '0',
      },
    });
    clearInterval(progress);
    mkdirSync(dirname(keptLog), { recursive: true });
    writeFileSync(keptLog, run.console);
    const facts = parseSoakConsole(run.console);
    const command = soakCommandLine(argv);
    const cpu = cpus();
    const md = renderSoak(facts, {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      command,
      variant: scheduler.name,
      variantVersion: scheduler.version,
      kernelId: kernel.id,
      kernelRelease: devel.kernelRelease,
      kernelVersion: kernel.version,
      commit,
      machine: { cores: cpu.length, model: cpu[0]?.model.trim() ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30) },
      accel: run.accel,
      tcg: o.tcg,
      cpus: o.cpus,
      memMiB,
      seconds: run.seconds,
      stopped: run.stopped,
      kmemleak: /^CONFIG_DEBUG_KMEMLEAK=y/m.test(config),
      note: o.note,
      reloadEvery: o.reloadEvery,
    });
    const out = join(ROOT, o.out);
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, `${md}\n`);
    renameSync(tmp, out);
    const c = troubleCounts(facts);
    process.stdout.write(`soak: ${facts.end?.done ?? facts.cycles.length} of ${o.cycles} cycles, ${facts.cycles.filter((x) => !x.ok).length} failed, ${facts.busy.length} busy retries; ${c.oops} oops, ${c.warn} WARN, ${c.stall} stalls, ${c.lockup} lockups; ${soakClean(facts) ? 'clean' : 'NOT clean'}; wrote ${o.out}\n`);
    if (!soakClean(facts)) {
      for (const r of facts.verdict.reasons) process.stdout.write(`soak:   ${r}\n`);
      return 1;
    }
    return 0;
  } finally {
    clearInterval(progress);
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof SoakUsageError || isPlugschedError(e)) process.stderr.write(`${(e as Error).message}\n`);
      else process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(e instanceof SoakUsageError ? 2 : 1);
    },
  );
}
