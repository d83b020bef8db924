import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * The files a config loader reads, by absolute path: the disk (executors and
 * graph inference) or a generator's tree (generators/tree-files.ts), so that
 * every reader of a config file goes through the same loader.
 */
export interface ConfigFiles {
  /** The text of a file, or null when there is none; other read errors are thrown. */
  read(path: string): string | null;
  /** The names in a directory; none when it does not exist. */
  list(dir: string): string[];
}

export const diskFiles: ConfigFiles = {
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  list: (dir) => (existsSync(dir) ? readdirSync(dir) : []),
};
