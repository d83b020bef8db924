import { PlugschedError } from '../util/errors';

/**
 * The value of a generator's --version option. The nx CLI declares a global
 * boolean --version flag, so `nx g ... --version=6.1.190-1` reaches the
 * generator as `false`; the value the user typed is read back from argv.
 */
export function versionOption(value: unknown, argv: string[], generator: string): string {
  if (typeof value === 'string' && value !== '') return value;
  for (let i = 0; i < argv.length; i++) {
    const eq = /^--version=(.+)$/.exec(argv[i]);
    if (eq) return eq[1];
    if (argv[i] === '--version' && i + 1 < argv.length && !argv[i + 1].startsWith('-')) return argv[i + 1];
  }
  throw new PlugschedError(`nx g @plugsched/nx:${generator}: --version=<Debian package version> is required, e.g. --version=6.1.190-1 ("apt-cache madison linux-source-6.1" lists the versions apt knows).`);
}
