import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import schema from './schemas/kernel.schema.json';
import { diskFiles, type ConfigFiles } from './config-files';
import { validateWithSchema } from './validate';
import { readYamlFile } from './yaml';
import { PlugschedError } from '../util/errors';

export type PackageRole = 'source' | 'headers' | 'kbuild' | 'image' | 'debug';
export type SourceKind = 'deb' | 'srpm' | 'tarball' | 'dir';

export interface KernelYaml {
  distro: 'debian' | 'rpm';
  suite?: string;
  line: string;
  version: string;
  release: string;
  flavour: string;
  arch: 'amd64' | 'arm64' | 'x86_64' | 'aarch64';
  source: SourceKind;
  boundary?: string;
  packages: {
    role: PackageRole;
    name?: string;
    version?: string;
    arch?: string;
    file?: string;
    path?: string;
    sha256: string;
  }[];
}

/** A package with every default filled in. */
export interface PackageSpec {
  role: PackageRole;
  /** Debian package name, or the file's base name for file-given packages. */
  name: string;
  version: string;
  /** Package architecture as in its file name ("all", "amd64", ...), or null when not known. */
  arch: string | null;
  /** Absolute path of a package given as a file in kernel.yaml, or null for apt packages. */
  file: string | null;
  sha256: string;
}

export interface KernelConfig {
  /** Project name: the folder name under kernels/. */
  id: string;
  /** Absolute path of the kernel folder. */
  dir: string;
  /** kernel.yaml path relative to the workspace root, for messages. */
  file: string;
  distro: KernelYaml['distro'];
  /** The Debian suite its packages come from (bookworm, bullseye-security, sid, ...), or null: the machine's apt as it is. */
  suite: string | null;
  line: string;
  version: string;
  release: string;
  flavour: string;
  /** Kernel ARCH (make ARCH=...): x86 or arm64. */
  kernelArch: 'x86' | 'arm64';
  /** Distro spelling of the architecture. */
  arch: KernelYaml['arch'];
  source: SourceKind;
  /** For source: dir, the absolute path of the tree. */
  sourceDir: string | null;
  /** Absolute path of the boundary config. */
  boundary: string;
  packages: PackageSpec[];
}

export const KERNEL_FORMAT_DOC = 'plugins/plugsched/docs/kernel-yaml.md';

function fail(file: string, field: string, what: string, fix: string): never {
  throw new PlugschedError(`${file}: field "${field}" ${what}. ${fix}`);
}

/** Checks the schema cannot express: which roles each source kind needs. */
function checkRoles(y: KernelYaml, file: string): void {
  const count = (role: PackageRole) => y.packages.filter((p) => p.role === role).length;
  y.packages.forEach((p, i) => {
    const at = `packages[${i}]`;
    if (y.distro === 'debian' && p.file === undefined && p.path === undefined && p.name === undefined)
      fail(file, `${at}.name`, 'is missing', 'Give the Debian package name (apt-get download fetches it), or a "file" relative to kernel.yaml.');
    if (y.distro === 'rpm' && p.file === undefined && p.path === undefined)
      fail(file, `${at}.file`, 'is missing', 'RPM-based kernels name their packages as files (SRPM, kernel-devel, debuginfo) relative to kernel.yaml.');
    if (p.path !== undefined && !(p.role === 'source' && y.source === 'dir'))
      fail(file, `${at}.path`, 'is only allowed for the source package of a "source: dir" kernel', 'Use "file" or "name" instead.');
    if (p.sha256 === 'none' && p.path === undefined)
      fail(file, `${at}.sha256`, 'is "none"', 'Every package file must be pinned: put its sha256 here (sha256sum FILE).');
  });
  if (count('source') !== 1) fail(file, 'packages', `has ${count('source')} packages with role "source"`, 'List exactly one source package.');
  if (y.source === 'dir' && y.packages.find((p) => p.role === 'source')?.path === undefined)
    fail(file, 'packages[role=source].path', 'is missing', 'A "source: dir" kernel names its unpacked tree with "path".');
  for (const role of ['image', 'debug', 'kbuild'] as const)
    if (count(role) > 1) fail(file, 'packages', `has ${count(role)} packages with role "${role}"`, `List at most one "${role}" package.`);
}

/** Parse and validate kernels/<id>/kernel.yaml (from the disk, or the `files` a generator sees). */
export function loadKernelConfig(kernelYamlPath: string, workspaceRoot: string, files: ConfigFiles = diskFiles): KernelConfig {
  const abs = resolve(workspaceRoot, kernelYamlPath);
  const dir = dirname(abs);
  const file = relative(workspaceRoot, abs) || abs;
  const y = validateWithSchema<KernelYaml>(schema, readYamlFile(abs, file, files), file, KERNEL_FORMAT_DOC);
  checkRoles(y, file);
  const packages: PackageSpec[] = y.packages
    .filter((p) => p.path === undefined)
    .map((p) => ({
      role: p.role,
      name: p.name ?? basename(p.file as string),
      version: p.version ?? y.version,
      arch: p.arch ?? null,
      file: p.file === undefined ? null : isAbsolute(p.file) ? p.file : join(dir, p.file),
      sha256: p.sha256,
    }));
  const src = y.packages.find((p) => p.role === 'source');
  return {
    id: basename(dir),
    dir,
    file,
    distro: y.distro,
    suite: y.suite ?? null,
    line: y.line,
    version: y.version,
    release: y.release,
    flavour: y.flavour,
    arch: y.arch,
    kernelArch: y.arch === 'amd64' || y.arch === 'x86_64' ? 'x86' : 'arm64',
    source: y.source,
    sourceDir: src?.path === undefined ? null : resolve(dir, src.path),
    boundary: join(dir, y.boundary ?? 'boundary.yaml'),
    packages,
  };
}
