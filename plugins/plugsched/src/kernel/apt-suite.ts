/**
 * apt for a Debian suite other than the machine's own (bullseye-security,
 * trixie, sid, ...), without touching /etc/apt: a private sources list, lists
 * and cache under the store, signed by the installed debian-archive-keyring.
 * The archive's address is the one the machine's apt already uses (read from
 * `apt-cache policy`), never written here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { requireTool } from '../util/run';
import { storeRoot } from './locations';

/** One source apt reads: `500 <uri> <suite>/<component> <arch> Packages` of `apt-cache policy`. */
export interface AptOrigin {
  uri: string;
  suite: string;
  component: string;
}

export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The suites of Debian's archive the issue names, for messages (the archive serves them all). */
export const KNOWN_SUITES = ['bullseye', 'bullseye-security', 'bookworm', 'bookworm-security', 'trixie', 'trixie-security', 'sid'];

/** The origins in `apt-cache policy` output (no package named), sorted and without duplicates. */
export function parsePolicyOrigins(text: string): AptOrigin[] {
  const seen = new Map<string, AptOrigin>();
  for (const line of text.split('\n')) {
    const m = /^\s*-?\d+\s+(\S+:\/\/\S+)\s+([^/\s]+)\/(\S+)\s+\S+\s+Packages$/.exec(line);
    if (!m) continue;
    const o = { uri: m[1].replace(/\/+$/, ''), suite: m[2], component: m[3] };
    seen.set(`${o.uri} ${o.suite} ${o.component}`, o);
  }
  return [...seen.values()].sort((a, b) => `${a.uri} ${a.suite} ${a.component}`.localeCompare(`${b.uri} ${b.suite} ${b.component}`));
}

/**
 * The sources.list for `suite`, from the machine's own origins: a security
 * suite from the archive that serves the machine's `<codename>-security`,
 * any other from the one that serves `<codename>`, a stable codename with its
 * security suite beside it. Pure.
 */
export function suiteSourcesList(origins: AptOrigin[], hostCodename: string, suite: string, keyring = DEBIAN_KEYRING): string {
  const security = /-security$/.test(suite);
  const want = security ? `${hostCodename}-security` : hostCodename;
  const from = origins.find((o) => o.suite === want && o.component === 'main');
  const hostSecurity = origins.find((o) => o.suite === `${hostCodename}-security` && o.component === 'main');
  if (!from) {
    throw new PlugschedError(
      `apt on this machine has no source for "${want}" (main) to take the Debian archive's address from, so suite "${suite}" cannot be reached. ` +
        `"apt-cache policy" lists: ${origins.map((o) => `${o.suite}/${o.component}`).join(', ') || 'nothing'}. Add the machine's Debian sources (debian.sources) and run "apt-get update".`,
    );
  }
  const line = (uri: string, name: string) => `deb [signed-by=${keyring}] ${uri} ${name} main\n`;
  // a stable codename's kernels are updated in its security suite: a kernel.yaml says "bullseye" for both
  const withSecurity = !security && !/-/.test(suite) && !['sid', 'unstable', 'experimental'].includes(suite) && hostSecurity;
  return line(from.uri, suite) + (withSecurity ? line(hostSecurity.uri, `${suite}-security`) : '');
}

/** apt-get / apt-cache options that read and write only the private state in `dir`. */
export function privateAptOptions(dir: string): string[] {
  return [
    '-o', `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`,
  ];
}

/** The machine's own Debian codename (bookworm), from /etc/os-release ('' when it names none). */
export function hostCodename(osRelease = '/etc/os-release'): string {
  try {
    return osReleaseCodename(readFileSync(osRelease, 'utf8'));
  } catch {
    return '';
  }
}

/** VERSION_CODENAME of an os-release file's text ('' when it has none). Pure. */
export function osReleaseCodename(text: string): string {
  const m = /^VERSION_CODENAME=["']?([^"'\s]*)["']?\s*$/m.exec(text);
  return m ? m[1] : '';
}

/**
 * Is `suite` the distribution this machine runs (its os-release codename, or one of that
 * codename's -security/-updates/-backports suites)? Its installed toolchain is that suite's.
 * Read from the file, no process: it is asked while Nx hashes targets.
 */
export function isMachineSuite(suite: string, osRelease = '/etc/os-release'): boolean {
  const codename = hostCodename(osRelease);
  return codename !== '' && suite.replace(/-(security|updates|backports)$/, '') === codename;
}

/** Lists newer than this are used as they are. */
const FRESH_HOURS = 12;

let origins: AptOrigin[] | undefined;

/**
 * The sources the machine's own apt reads, from one `apt-cache policy` per
 * process: /etc/apt does not change under a build, and a fetch asks for every
 * package it downloads.
 */
function machineOrigins(): AptOrigin[] {
  if (origins === undefined) {
    const policy = spawnSync('apt-cache', ['policy'], { encoding: 'utf8', maxBuffer: 16 << 20 });
    origins = parsePolicyOrigins(policy.stdout ?? '');
  }
  return origins;
}

/**
 * apt for `suite`: its private directory under the store, updated when its
 * lists are missing or older than FRESH_HOURS. `what` names the file and field
 * asking, for the error. Returns the options for apt-get and apt-cache.
 */
export function suiteApt(suite: string, what: string, log?: (line: string) => void): string[] {
  if (!/^[a-z][a-z0-9-]*$/.test(suite)) throw new PlugschedError(`${what}: "${suite}" is not a Debian suite name (lowercase letters, digits and dashes, e.g. bullseye-security). Suites the archive serves include ${KNOWN_SUITES.join(', ')}.`);
  requireTool('apt-get', 'apt', `read the package lists of ${suite}`);
  if (!existsSync(DEBIAN_KEYRING)) throw new PlugschedError(`${DEBIAN_KEYRING} is missing: install it with "apt-get install debian-archive-keyring", then run again (it checks ${suite}'s signatures).`);
  const dir = join(storeRoot(), 'apt', suite);
  const stamp = join(dir, 'updated');
  if (existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < FRESH_HOURS * 3600_000) return privateAptOptions(dir);
  const sources = suiteSourcesList(machineOrigins(), hostCodename(), suite);
  // built beside the final directory and moved into place once apt-get update succeeded
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(work, 'cache', 'archives', 'partial'), { recursive: true });
  writeFileSync(join(work, 'sources.list'), sources);
  log?.(`apt: reading the package lists of ${suite} (a private apt state in the store; /etc/apt is not touched)`);
  // the store may sit in a directory apt's download user cannot enter: fetch as root, as apt-get download does here
  const r = spawnSync('apt-get', [...privateAptOptions(work), '-o', 'APT::Sandbox::User=root', 'update'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  // a suite the archive lacks: "E: The repository ... does not have a Release file"; a bad signature: "W: GPG error" / "E: ... not signed"
  const failed = r.status !== 0 || /^(E:|Err:|W: GPG error)/m.test(out);
  if (failed) {
    rmSync(work, { recursive: true, force: true });
    const why = out.split('\n').filter((l) => /^(E:|Err:|W: GPG)/.test(l)).slice(0, 2).join(' ') || out.trim().split('\n').slice(-2).join(' ');
    throw new PlugschedError(`${what}: apt cannot read suite "${suite}" from the Debian archive this machine uses (${why.trim()}). Check the name: the archive serves ${KNOWN_SUITES.join(', ')} among others.`);
  }
  writeFileSync(join(work, 'updated'), `${suite}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(storeRoot(), 'apt'), { recursive: true });
  renameSync(work, dir);
  return privateAptOptions(dir);
}

/** The suites the machine's own apt reads (bookworm, bookworm-security, ...), from `apt-cache policy`. */
export function hostSuites(): string[] {
  return [...new Set(machineOrigins().map((o) => o.suite))].sort();
}

/**
 * Options for apt-get and apt-cache that reach `suite`: none when the
 * machine's apt reads it already (or no suite is given), else the private
 * state of suiteApt. A kernel.yaml's suite names the distribution, so
 * "bookworm" also covers bookworm-security and bookworm-updates.
 */
export function aptOptionsFor(suite: string | undefined, what: string, log?: (line: string) => void): string[] {
  if (!suite) return [];
  const host = hostSuites();
  if (host.includes(suite) || host.some((h) => h.replace(/-(security|updates|backports)$/, '') === suite)) return [];
  return suiteApt(suite, what, log);
}
