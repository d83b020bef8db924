import { isPlugschedError } from '../util/errors';

/**
 * What `load` returns, or null when the file it reads is missing or invalid.
 * For graph inference and workspace scans: a plugin that throws takes every
 * nx command down, so a bad file is left to the targets that load it, which
 * report it in full. Anything but a PlugschedError is a bug and is thrown.
 */
export function tryLoad<T>(load: () => T): T | null {
  try {
    return load();
  } catch (e) {
    if (isPlugschedError(e)) return null;
    throw e;
  }
}
