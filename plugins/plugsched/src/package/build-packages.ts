/**
 * Build a variant's RPM (rpmbuild) and .deb (dpkg-deb) from its module and
 * the installer, reproducibly: fixed SOURCE_DATE_EPOCH, clamped mtimes,
 * root-owned files, no build host or path in the result.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { requireTool, run } from '../util/run';
import type { Logger } from '../util/progress';
import { bootDoneUnit, bootDoneUnitName, debControl, debPostinst, debPrerm, packageArch, packageName, payloadDir, rpmSpec, SOURCE_DATE_EPOCH, systemdUnit, unitName, type PackageInput } from './payload';

export interface PackageSources {
  ko: string;
  installer: string;
  resolver: string;
  boundarySummary: string;
}

export interface BuiltPackages {
  rpm: string;
  deb: string;
}

/** Stage the payload under root (absolute paths inside the package, sorted). */
function stage(root: string, p: PackageInput, s: PackageSources): string[] {
  const dir = payloadDir(p.release);
  const put = (path: string, write: (dest: string) => void, mode: number) => {
    const dest = join(root, path);
    mkdirSync(dirname(dest), { recursive: true });
    write(dest);
    chmodSync(dest, mode);
    return path;
  };
  const files = [
    put(`${dir}/scheduler.ko`, (d) => copyFileSync(s.ko, d), 0o644),
    put(`${dir}/plugsched-install`, (d) => copyFileSync(s.installer, d), 0o755),
    put(`${dir}/symbol-resolve`, (d) => copyFileSync(s.resolver, d), 0o755),
    put(`${dir}/boundary-summary.md`, (d) => writeFileSync(d, s.boundarySummary), 0o644),
    put(`${dir}/VERSION`, (d) => writeFileSync(d, `${p.variant} ${p.version} ${p.kernelId} ${p.release}\n`), 0o644),
    put(`/usr/lib/systemd/system/${unitName(p.variant)}`, (d) => writeFileSync(d, systemdUnit(p)), 0o644),
    put(`/usr/lib/systemd/system/${bootDoneUnitName(p.variant)}`, (d) => writeFileSync(d, bootDoneUnit(p)), 0o644),
  ];
  return files.sort();
}

/** Every mtime under dir set to the fixed epoch. */
function clampTimes(dir: string): void {
  for (const e of readdirSync(dir, { recursive: true }) as string[]) utimesSync(join(dir, e), SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
  utimesSync(dir, SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
}

function sizeKiB(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, e));
    if (st.isFile()) bytes += st.size;
  }
  return Math.ceil(bytes / 1024);
}

export async function buildPackages(p: PackageInput, s: PackageSources, outDir: string, log: Logger): Promise<BuiltPackages> {
  requireTool('rpmbuild', 'rpm', 'build the RPM package');
  requireTool('dpkg-deb', 'dpkg', 'build the .deb package');
  const work = mkdtempSync(join(tmpdir(), 'plugsched-pkg-'));
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH), TZ: 'UTC', LC_ALL: 'C' };
  try {
    // RPM
    const top = join(work, 'rpm');
    const buildroot = join(top, 'BUILDROOT');
    const files = stage(buildroot, p, s);
    clampTimes(buildroot);
    mkdirSync(join(top, 'SPECS'), { recursive: true });
    const spec = join(top, 'SPECS', `${packageName(p.variant)}.spec`);
    writeFileSync(spec, rpmSpec(p, files));
    log(`build: rpmbuild ${packageName(p.variant)}-${p.version}`);
    const rpmbuild = run('rpmbuild', [
      '-bb', '--target', packageArch(p).rpm,
      '--define', `_topdir ${top}`,
      '--define', `_builddir ${join(top, 'BUILD')}`,
      '--define', `_rpmdir ${join(top, 'RPMS')}`,
      '--define', '_buildhost plugsched-nx',
      '--define', 'use_source_date_epoch_as_buildtime 1',
      '--define', 'clamp_mtime_to_source_date_epoch 1',
      // gzip level 6, for both packages: a ninth of level 9's time for the module, 1 % larger
      '--define', '_binary_payload w6.gzdio',
      '--buildroot', buildroot,
      '--noclean',
      spec,
    ], { env });
    // awaited below; a staging error before that must not leave its failure unhandled
    rpmbuild.catch(() => undefined);

    // .deb, staged while rpmbuild runs
    const droot = join(work, 'deb');
    stage(droot, p, s);
    mkdirSync(join(droot, 'DEBIAN'), { recursive: true });
    writeFileSync(join(droot, 'DEBIAN', 'control'), debControl(p, sizeKiB(droot)));
    writeFileSync(join(droot, 'DEBIAN', 'postinst'), debPostinst(p), { mode: 0o755 });
    writeFileSync(join(droot, 'DEBIAN', 'prerm'), debPrerm(p), { mode: 0o755 });
    for (const script of ['postinst', 'prerm']) chmodSync(join(droot, 'DEBIAN', script), 0o755);
    clampTimes(droot);
    const debName = `${packageName(p.variant)}_${p.version}+${p.release.replace(/[^A-Za-z0-9.+~]/g, '.')}_${packageArch(p).deb}.deb`;
    log(`build: dpkg-deb ${debName}`);
    const dpkgDeb = run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', droot, join(work, debName)], { env });
    // the two packers side by side (two cores; each mostly gzip of the module)
    const [r, d] = await Promise.all([rpmbuild, dpkgDeb]);
    if (r.code !== 0) throw new PlugschedError(`rpmbuild failed for ${packageName(p.variant)}:\n${r.stderr.split('\n').slice(-15).join('\n')}`);
    const rpms = (readdirSync(join(top, 'RPMS'), { recursive: true }) as string[]).filter((f) => f.endsWith('.rpm'));
    if (rpms.length !== 1) throw new PlugschedError(`rpmbuild made ${rpms.length} packages for ${packageName(p.variant)}; expected one.`);
    if (d.code !== 0) throw new PlugschedError(`dpkg-deb failed for ${packageName(p.variant)}:\n${d.stderr.trim()}`);

    // publish both atomically into outDir
    mkdirSync(outDir, { recursive: true });
    for (const f of readdirSync(outDir)) if (/\.(rpm|deb)$/.test(f)) rmSync(join(outDir, f));
    const rpm = join(outDir, basename(rpms[0]));
    const deb = join(outDir, debName);
    copyFileSync(join(top, 'RPMS', rpms[0]), `${rpm}.tmp`);
    copyFileSync(join(work, debName), `${deb}.tmp`);
    renameSync(`${rpm}.tmp`, rpm);
    renameSync(`${deb}.tmp`, deb);
    return { rpm, deb };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
