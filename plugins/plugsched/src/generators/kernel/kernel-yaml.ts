import type { ResolvedKernel } from '../../kernel/debian-release';

/** kernels/<id>/kernel.yaml for a resolved Debian kernel (the format of docs/kernel-yaml.md). */
export function debianKernelYaml(k: ResolvedKernel, boundary = 'boundary.yaml'): string {
  const kind = k.flavour.endsWith(`-${k.arch}`) ? `${k.flavour.slice(0, -(k.arch.length + 1))} ` : '';
  const lines = [
    `# Debian ${k.suite ?? ''}${k.suite ? "'s " : ''}${k.line} ${kind}kernel for ${k.arch} (uname -r ${k.release}).`,
    '# Format: plugins/plugsched/docs/kernel-yaml.md. Every package is fetched with apt-get download',
    '# NAME=VERSION (NAME:ARCH=VERSION for a foreign architecture; or taken from the local',
    "# package directory) and checked against its sha256 before use; the hashes are the ones",
    "# in apt's own metadata.",
    ...(k.packages.some((p) => p.role === 'kbuild' && p.arch !== k.arch && p.arch !== 'all')
      ? ['# linux-kbuild is the build machine\'s: its programs run while modules are built.']
      : []),
    'distro: debian',
    ...(k.suite ? [`suite: ${k.suite}`] : []),
    `line: "${k.line}"`,
    `version: ${k.version}`,
    `release: ${k.release}`,
    `flavour: ${k.flavour}`,
    `arch: ${k.arch}`,
    'source: deb',
    `boundary: ${boundary}`,
    'packages:',
  ];
  for (const p of k.packages) {
    lines.push(`  - role: ${p.role}`, `    name: ${p.name}`);
    if (p.version !== undefined) lines.push(`    version: ${p.version}`);
    lines.push(`    arch: ${p.arch}`, `    sha256: ${p.sha256}`);
  }
  return `${lines.join('\n')}\n`;
}
