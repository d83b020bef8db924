/** Byte-range edits on a source text. */

export interface Edit {
  start: number;
  end: number;
  text: string;
  /** Why (for error messages when two edits collide). */
  why: string;
}

/** Apply non-overlapping edits (insertions at the same offset keep their order). */
export function applyEdits(text: string, edits: Edit[]): string {
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || a.end - b.end || a.i - b.i);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1];
    const cur = sorted[k];
    if (cur.start < prev.end) throw new Error(`overlapping edits: "${prev.why}" [${prev.start},${prev.end}) and "${cur.why}" [${cur.start},${cur.end})`);
  }
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
