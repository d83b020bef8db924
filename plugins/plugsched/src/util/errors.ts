/**
 * An error meant for a person: one paragraph that names the file, the field
 * and the fix. Executors print `message` as is and exit non-zero; anything
 * else thrown is a bug and is shown with its stack.
 */
export class PlugschedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlugschedError';
  }
}

export function isPlugschedError(e: unknown): e is PlugschedError {
  return e instanceof PlugschedError;
}
