/**
 * Patch file names <-> commit subjects, so edit and save round-trip: patch
 * "0002-shorter-slice.patch" becomes the commit "shorter-slice" and back.
 */

/** "0002-shorter-slice.patch" -> "shorter-slice"; a name without a number keeps its stem. */
export function subjectOfPatch(fileName: string): string {
  return fileName.replace(/\.(patch|diff)$/, '').replace(/^\d+-/, '');
}

/** A commit subject -> a file-name slug: lower case, [a-z0-9-], at most 60 characters. */
export function slug(subject: string): string {
  const s = subject
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s === '' ? 'change' : s;
}

/** The n-th (0-based) patch of a series: "0001-<slug>.patch". */
export function patchFileName(index: number, subject: string): string {
  return `${String(index + 1).padStart(4, '0')}-${slug(subject)}.patch`;
}

/** The free text before a patch's first diff header (its description), trimmed. */
export function patchDescription(text: string): string {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => /^(diff |--- |Index: )/.test(l));
  return lines
    .slice(0, first < 0 ? 0 : first)
    .join('\n')
    .trim();
}

/** A patch file's text: its description, a blank line, the diff. */
export function patchText(description: string, diff: string): string {
  const d = description.trim();
  return `${d === '' ? '' : `${d}\n\n`}${diff.endsWith('\n') ? diff : `${diff}\n`}`;
}
