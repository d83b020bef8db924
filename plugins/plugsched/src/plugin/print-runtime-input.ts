/**
 * `node -r @swc-node/register plugins/plugsched/src/plugin/print-runtime-input.ts <kernel-id>`:
 * what a kernel's compile steps depend on beyond files, printed for Nx to hash
 * (the runtime input of collect; module and build hash the copy collect writes):
 * - the identity of the compilers they invoke (toolchain/toolchain.ts), for the
 *   compiler the kernel's devel manifest (dist/kernels/<id>/devel.json) names;
 *   the targets' dependencies write or restore that manifest before Nx hashes them;
 * - the part of boundary.yaml the collector uses (the units it compiles and the
 *   files that must exist), so an edit of the interface list does not rerun it.
 * Targets name it with compileInputsCommand (code-inputs.ts). It never fails: what it cannot read it prints, which changes the hash and
 * lets the target itself report the problem.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBoundaryConfig } from '../config/boundary-config';
import { loadKernel } from '../kernel/artifacts';
import type { DevelManifest } from '../kernel/devel';
import { compilerIdentity } from '../toolchain/toolchain';
import { buildRootIdentity, kbuildOf } from '../buildroot/buildroot';

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

async function compilers(workspaceRoot: string, kernelId: string): Promise<string> {
  const manifest = join(workspaceRoot, 'dist', 'kernels', kernelId, 'devel.json');
  if (!existsSync(manifest)) return 'compilers: no devel manifest yet\n';
  const devel = JSON.parse(readFileSync(manifest, 'utf8')) as Pick<DevelManifest, 'compiler' | 'arch'>;
  // a kernel of another suite is compiled in that suite's build root: its pinned packages name the compilers
  const kernel = loadKernel(workspaceRoot, kernelId);
  const root = buildRootIdentity({ suite: kernel.suite, kernelCompiler: devel.compiler ?? null, kbuild: kbuildOf(kernel), file: kernel.file }).key;
  return compilerIdentity(devel.compiler ?? null, devel.arch, root);
}

function collectedLayout(workspaceRoot: string, kernelId: string): string {
  try {
    const b = loadBoundaryConfig(loadKernel(workspaceRoot, kernelId).boundary, workspaceRoot);
    return `units: ${b.units.join(' ')}\nfiles: ${b.modFiles.join(' ')}\nsidecars: ${b.sidecars.map((s) => s.file).join(' ')}\n`;
  } catch (e) {
    return `boundary: ${message(e)}\n`;
  }
}

/** collect's copy of this input, beside its facts; scheduler-targets.ts names it in module's and build's inputs. */
export const COMPILE_INPUTS_FILE = 'compile-inputs.txt';

/**
 * The text this runtime input prints for kernel `kernelId` of the workspace at `workspaceRoot`.
 * collect also writes it beside its facts (compile-inputs.txt), which module and build hash as a
 * dependency output instead of running this command again (docs/caching.md).
 */
export async function compileInputsText(workspaceRoot: string, kernelId: string): Promise<string> {
  let out = collectedLayout(workspaceRoot, kernelId);
  try {
    out += await compilers(workspaceRoot, kernelId);
  } catch (e) {
    out += `compilers: ${message(e)}\n`;
  }
  return out;
}

async function main(kernelId: string | undefined): Promise<void> {
  if (kernelId === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(kernelId)) {
    process.stdout.write('usage: print-runtime-input.ts <kernel-id>\n');
    return;
  }
  process.stdout.write(await compileInputsText(process.cwd(), kernelId));
}

if (require.main === module) void main(process.argv[2]);
