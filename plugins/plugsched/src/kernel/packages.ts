import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelConfig, PackageSpec } from '../config/kernel-config';
import { PlugschedError } from '../util/errors';
import { sha256File } from '../util/hash';
import { defaultLogger, type Logger } from '../util/progress';
import { requireTool, run } from '../util/run';
import { dpkgArchitecture } from './apt-cache';
import { aptOptionsFor } from './apt-suite';
import { packageDir } from './locations';

/** A package file present on disk and verified against its pin. */
export interface FetchedPackage {
  role: PackageSpec['role'];
  name: string;
  version: string;
  /** File name (no directory): what the manifest records. */
  fileName: string;
  /** Absolute path, for this process only; never written to an artifact. */
  path: string;
  sha256: string;
  size: number;
}

/** Debian's file name for NAME_VERSION_ARCH.deb (an epoch's ":" is written %3a). */
export function debFilePrefix(name: string, version: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_`;
}

function findLocalDeb(dir: string, spec: PackageSpec): string | null {
  if (!existsSync(dir)) return null;
  const prefix = debFilePrefix(spec.name, spec.version);
  const hits = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.deb') && (spec.arch === null || f === `${prefix}${spec.arch}.deb`))
    .sort();
  return hits.length > 0 ? join(dir, hits[0]) : null;
}

function field(cfg: KernelConfig, spec: PackageSpec, key: string): string {
  return `packages[${cfg.packages.indexOf(spec)}].${key}`;
}

async function verify(path: string, spec: PackageSpec, cfg: KernelConfig, origin: string): Promise<number> {
  const actual = await sha256File(path);
  if (actual !== spec.sha256) {
    throw new PlugschedError(
      `${cfg.file}: field "${field(cfg, spec, 'sha256')}" pins ${spec.name} ${spec.version} to sha256 ${spec.sha256}, but ${origin} has sha256 ${actual}. ` +
        `If the archive really changed this package, check why before updating the pin; if the pin is right, the file is damaged: delete it and run again.`,
    );
  }
  return statSync(path).size;
}

function aptFailure(cfg: KernelConfig, spec: PackageSpec, output: string): PlugschedError {
  const lines = output.split('\n').filter((l) => /^E:|^W: Unable|^Err/.test(l));
  const notFound = /Can't find a matching version|Unable to locate package|has no installation candidate|Version '.*' for '.*' was not found/.test(output);
  if (notFound)
    return new PlugschedError(
      `${cfg.file}: apt cannot find ${spec.name} version ${spec.version} (field "${field(cfg, spec, 'name')}"/"version"). ` +
        `Run "apt-cache policy ${spec.name}" to see the versions apt knows; if the list is old run "apt-get update"; ` +
        `if the archive no longer has this version, put the .deb file into ${packageDir()} (or PLUGSCHED_PACKAGE_DIR), re-pin the kernel to what apt has now with "nx g @plugsched/nx:bump ${cfg.id} --version=${cfg.version}" (apt keeps only the newest build of a package whose name carries no ABI, such as linux-kbuild-${cfg.line}), or move it to an available release with "nx g @plugsched/nx:bump ${cfg.id} --version=<release>". apt said: ${lines.join(' ') || output.trim().split('\n').slice(-2).join(' ')}`,
    );
  return new PlugschedError(`${cfg.file}: "apt-get download ${spec.name}=${spec.version}" failed: ${lines.join(' ') || output.trim().split('\n').slice(-3).join(' ')}. Check that apt works on this machine ("apt-get update"), then run again.`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `.partial-<pid>-<name>`: where a download of process <pid> is made before it is verified. */
function partialDir(dir: string, name: string, pid = process.pid): string {
  return join(dir, `.partial-${pid}-${name}`);
}

/**
 * Remove the partial downloads that a process which has died (an interrupted
 * fetch) left in `dir`; those of live processes are theirs. Returns the names removed.
 */
export function removeStalePartials(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter((f) => {
    const m = /^\.partial-(\d+)-/.exec(f);
    return m !== null && !pidAlive(Number(m[1]));
  });
  for (const f of stale) rmSync(join(dir, f), { recursive: true, force: true });
  return stale;
}

/** The machine's own Debian architecture, asked once. */
let nativeArch: string | null = null;
function dpkgNativeArch(): string {
  nativeArch ??= dpkgArchitecture();
  return nativeArch;
}

/**
 * What apt-get download is asked for: NAME=VERSION for the machine's own architecture and "all",
 * NAME:ARCH=VERSION for a foreign one (an arm64 kernel fetched on amd64).
 */
export function aptRequest(name: string, version: string, arch: string | null, native: string): string {
  return arch !== null && arch !== 'all' && arch !== native ? `${name}:${arch}=${version}` : `${name}=${version}`;
}

/** A foreign architecture apt has not been told about gives "Unable to locate package": say how to add it. */
function foreignArchMissing(cfg: KernelConfig, spec: PackageSpec): PlugschedError | null {
  if (spec.arch === null || spec.arch === 'all' || spec.arch === dpkgNativeArch()) return null;
  const foreign = spawnSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).stdout ?? '';
  if (foreign.split('\n').includes(spec.arch)) return null;
  return new PlugschedError(
    `${cfg.file}: ${spec.name} (field "${field(cfg, spec, 'arch')}") is a ${spec.arch} package, and apt on this ${dpkgNativeArch()} machine does not know the ${spec.arch} architecture. ` +
      `Add it with "dpkg --add-architecture ${spec.arch} && apt-get update" (tools/setup does this when a kernel of that architecture is in the workspace), then run again.`,
  );
}

async function aptDownload(spec: PackageSpec, cfg: KernelConfig, dir: string, log: Logger): Promise<string> {
  requireTool('apt-get', 'apt', `download ${spec.name} for ${cfg.id}`);
  const missingArch = foreignArchMissing(cfg, spec);
  if (missingArch !== null) throw missingArch;
  const request = aptRequest(spec.name, spec.version, spec.arch, dpkgNativeArch());
  removeStalePartials(dir);
  const partial = partialDir(dir, spec.name);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    // a suite the machine's apt does not read comes through a private apt state (apt-suite.ts)
    const suite = aptOptionsFor(cfg.suite ?? undefined, `${cfg.file}: field "suite"`, log);
    log(`fetch: apt-get download ${request}${suite.length > 0 ? ` (from ${cfg.suite})` : ''}`);
    const args = ['-q', '-o', 'APT::Sandbox::User=root', ...suite, 'download', request];
    const r = await run('apt-get', process.getuid?.() === 0 ? args : args.filter((a, i) => i !== 1 && i !== 2), {
      cwd: partial,
      onLine: (l) => /^(Get:|Fetched)/.test(l) && log(`fetch:   ${l.replace(/^Get:\d+ \S+ /, '')}`),
    });
    const got = readdirSync(partial).filter((f) => f.endsWith('.deb'));
    if (r.code !== 0 || got.length !== 1) throw aptFailure(cfg, spec, `${r.stdout}\n${r.stderr}`);
    const tmpFile = join(partial, got[0]);
    await verify(tmpFile, spec, cfg, `the file apt downloaded (${got[0]})`);
    const dest = join(dir, got[0]);
    renameSync(tmpFile, dest);
    return dest;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/**
 * Make one package present and verified: a file named in kernel.yaml, else the
 * local package directory, else apt. Nothing unverified is ever left in the
 * package directory.
 */
export async function ensurePackage(spec: PackageSpec, cfg: KernelConfig, log: Logger = defaultLogger): Promise<FetchedPackage> {
  const dir = packageDir();
  let path: string;
  if (spec.file !== null) {
    if (!existsSync(spec.file))
      throw new PlugschedError(`${cfg.file}: field "${field(cfg, spec, 'file')}" names ${spec.file}, which does not exist. Put the package file there or correct the path (it is relative to kernel.yaml).`);
    path = spec.file;
    await verify(path, spec, cfg, spec.file);
  } else if (cfg.distro !== 'debian') {
    throw new PlugschedError(`${cfg.file}: field "${field(cfg, spec, 'file')}" is missing: only Debian packages can be fetched by name. Give the package file.`);
  } else {
    const local = findLocalDeb(dir, spec);
    if (local !== null) {
      path = local;
      await verify(path, spec, cfg, local);
    } else {
      mkdirSync(dir, { recursive: true });
      path = await aptDownload(spec, cfg, dir, log);
    }
  }
  const fileName = path.split('/').pop() as string;
  return { role: spec.role, name: spec.name, version: spec.version, fileName, path, sha256: spec.sha256, size: statSync(path).size };
}

export async function ensurePackages(cfg: KernelConfig, roles: PackageSpec['role'][] | null, log: Logger = defaultLogger): Promise<FetchedPackage[]> {
  const out: FetchedPackage[] = [];
  for (const spec of cfg.packages) if (roles === null || roles.includes(spec.role)) out.push(await ensurePackage(spec, cfg, log));
  return out;
}
