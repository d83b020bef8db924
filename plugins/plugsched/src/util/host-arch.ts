/** The kernel architecture (make ARCH=) of the machine this runs on; everything else is cross-built. */
export type KernelArch = 'x86' | 'arm64';

export function hostKernelArch(): KernelArch {
  return process.arch === 'arm64' ? 'arm64' : 'x86';
}

/** Is code for `arch` this machine's own (no cross compiler, cross objdump or foreign-architecture emulator)? */
export function isHostArch(arch: KernelArch): boolean {
  return arch === hostKernelArch();
}
