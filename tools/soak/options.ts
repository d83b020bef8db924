/**
 * The command line of npm run soak. Pure: argv in, options or a one-paragraph error out.
 */

export interface SoakOptions {
  help: boolean;
  cycles: number;
  variant: string;
  /** Stop cycling after this many minutes (0: no limit). */
  minutes: number;
  cpus: number;
  threads: number;
  stormWorkers: number;
  /** Every this many cycles the module is unloaded and loaded again (1: every cycle). */
  reloadEvery: number;
  tcg: 'multi' | 'single';
  /** Where the report goes, relative to the workspace. */
  out: string;
  /** A sentence for the report: why this many cycles (e.g. the time there was). */
  note: string | null;
}

export const SOAK_DEFAULTS: Omit<SoakOptions, 'help'> = {
  cycles: 1000,
  variant: 'scheduler-x86',
  minutes: 0,
  cpus: 2,
  threads: 1000,
  stormWorkers: 4,
  reloadEvery: 10,
  tcg: 'multi',
  out: 'SOAK.md',
  note: null,
};

export const SOAK_HELP = `npm run soak -- [options]

Install and roll back a scheduler variant over and over in one QEMU VM under ${SOAK_DEFAULTS.threads} spinner
threads and the fork storm (tools/vm/forkstorm.c), judge the console (oops, WARN, stalls, lockups),
and write the report (SOAK.md): cycles done and failed, busy retries, downtime, memory before and after.
The module is built first through nx (<variant>:module). Not part of npm test or CI.

  --cycles=N          install/rollback cycles (default ${SOAK_DEFAULTS.cycles})
  --variant=NAME      scheduler variant, a folder of schedulers/ (default ${SOAK_DEFAULTS.variant})
  --minutes=M         stop cycling after M minutes even if cycles remain (default: no limit)
  --cpus=N            vCPUs of the VM (default ${SOAK_DEFAULTS.cpus})
  --threads=N         spinner threads (default ${SOAK_DEFAULTS.threads})
  --storm-workers=N   fork storm workers, 1..64 (default ${SOAK_DEFAULTS.stormWorkers})
  --reload-every=K    switch through sysfs, and every K-th cycle unload the module and load it again
                      through plugsched-install (default ${SOAK_DEFAULTS.reloadEvery}; 1: every cycle through the installer)
  --tcg=multi|single  TCG threading when KVM is not usable (default multi; scheduler-612-x86 needs single)
  --out=FILE          the report, relative to the workspace (default ${SOAK_DEFAULTS.out})
  --note=TEXT         a sentence for the report, e.g. why fewer cycles than the default were run
  --help              this text
`;

export class SoakUsageError extends Error {}

const INT_OPTS: Record<string, { key: 'cycles' | 'minutes' | 'cpus' | 'threads' | 'stormWorkers' | 'reloadEvery'; min: number; max: number }> = {
  cycles: { key: 'cycles', min: 1, max: 1_000_000 },
  minutes: { key: 'minutes', min: 0, max: 10_000 },
  cpus: { key: 'cpus', min: 1, max: 64 },
  threads: { key: 'threads', min: 1, max: 30_000 },
  'storm-workers': { key: 'stormWorkers', min: 1, max: 64 },
  'reload-every': { key: 'reloadEvery', min: 1, max: 1_000_000 },
};

/** argv (after the script's name) -> options; a bad option is a SoakUsageError saying what to write instead. */
export function parseSoakArgs(argv: string[], variants: string[]): SoakOptions {
  const o: SoakOptions = { help: false, ...SOAK_DEFAULTS };
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      o.help = true;
      continue;
    }
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (m === null) throw new SoakUsageError(`npm run soak: "${arg}" is not an option: options are written --name=value (e.g. --cycles=20); see npm run soak -- --help.`);
    const [, name, value] = m;
    const int = INT_OPTS[name];
    if (int !== undefined) {
      if (!/^\d+$/.test(value) || Number(value) < int.min || Number(value) > int.max)
        throw new SoakUsageError(`npm run soak: --${name}=${value} is not valid: --${name} takes a whole number from ${int.min} to ${int.max} (e.g. --${name}=${SOAK_DEFAULTS[int.key] || 20}).`);
      o[int.key] = Number(value);
    } else if (name === 'variant') {
      if (!variants.includes(value)) throw new SoakUsageError(`npm run soak: --variant=${value} is not a scheduler variant of this workspace: the variants are ${variants.join(', ')} (folders of schedulers/ with a scheduler.yaml).`);
      o.variant = value;
    } else if (name === 'tcg') {
      if (value !== 'multi' && value !== 'single') throw new SoakUsageError(`npm run soak: --tcg=${value} is not valid: --tcg is multi or single.`);
      o.tcg = value;
    } else if (name === 'out') {
      if (value === '' || value.startsWith('/') || value.split('/').includes('..')) throw new SoakUsageError(`npm run soak: --out=${value} is not valid: --out is a file name relative to the workspace, inside it (e.g. --out=SOAK.md).`);
      o.out = value;
    } else if (name === 'note') {
      if (value.trim() === '' || /[\n\r]/.test(value)) throw new SoakUsageError(`npm run soak: --note is empty or has a line break: --note takes one sentence for the report (e.g. --note="300 cycles: what fitted before the deadline").`);
      o.note = value.trim();
    } else {
      throw new SoakUsageError(`npm run soak: unknown option --${name}: the options are --cycles, --variant, --minutes, --cpus, --threads, --storm-workers, --reload-every, --tcg, --out, --note and --help (npm run soak -- --help).`);
    }
  }
  return o;
}

/**
 * The command line as the report shows it: the --note text is the report's own "why this many
 * cycles" line, so here it is only named.
 */
export function soakCommandLine(argv: string[]): string {
  const shown = argv.map((a) => (/^--note=/.test(a) ? '--note=...' : a));
  return ['npm run soak', ...(shown.length > 0 ? ['--', ...shown] : [])].join(' ');
}
