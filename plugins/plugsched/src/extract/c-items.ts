/**
 * Top-level items of a C file: every function definition, declaration,
 * variable definition, macro invocation and preprocessor line at file scope,
 * as byte ranges. Extraction edits whole items (delete an __init function,
 * turn a variable definition into an extern declaration), and the compiler
 * only tells where a definition's name and body are, not where it starts.
 *
 * This is a lexer, not a parser: it knows comments, string and character
 * literals, line continuations, preprocessor lines and bracket depth, which is
 * all it takes to find where file-scope items begin and end.
 */

export type ItemKind = 'code' | 'preproc';

export interface CItem {
  kind: ItemKind;
  /** Offset of the item's first character (comments before it are not part of it). */
  start: number;
  /** Offset just after the item (after its ";" or closing "}"; a preprocessor line ends before its newline). */
  end: number;
  /** For a function definition: the offset of the body's "{". */
  bodyStart?: number;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

/** Offset just after a comment starting at i ("/*" or "//"). */
function skipComment(text: string, i: number): number {
  if (text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    return end < 0 ? text.length : end + 2;
  }
  let j = i;
  while (j < text.length && text[j] !== '\n') j += text[j] === '\\' && text[j + 1] === '\n' ? 2 : 1;
  return j;
}

/** Offset just after a string or character literal starting at i. */
function skipLiteral(text: string, i: number): number {
  const quote = text[i];
  let j = i + 1;
  while (j < text.length && text[j] !== quote && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Offset of the newline ending a preprocessor line that starts at i (continuations followed). */
function skipPreproc(text: string, i: number): number {
  let j = i;
  while (j < text.length && text[j] !== '\n') {
    if (text[j] === '\\' && text[j + 1] === '\n') j += 2;
    else if (text[j] === '/' && (text[j + 1] === '*' || text[j + 1] === '/')) j = skipComment(text, j);
    else if (text[j] === '"' || text[j] === "'") j = skipLiteral(text, j);
    else j++;
  }
  return j;
}

function atLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    if (text[j] === '\n') return true;
    if (text[j] !== ' ' && text[j] !== '\t') return false;
  }
  return true;
}

/** Does a "{" at file scope open a function body (rather than an initializer or a type's members)? */
function opensFunctionBody(text: string, itemStart: number, brace: number): boolean {
  const head = text.slice(itemStart, brace);
  // "= {" is an initializer; "struct x {", "union", "enum" without "(" before the brace is a type.
  let depth = 0;
  let sawParen = false;
  for (let k = 0; k < head.length; k++) {
    const c = head[k];
    if (c === '/' && (head[k + 1] === '*' || head[k + 1] === '/')) {
      k = skipComment(head, k) - 1;
      continue;
    }
    if (c === '"' || c === "'") {
      k = skipLiteral(head, k) - 1;
      continue;
    }
    if (c === '(') {
      depth++;
      sawParen = true;
    } else if (c === ')') depth--;
    else if (c === '=' && depth === 0) return false;
  }
  return sawParen;
}

/** Split a C file into its file-scope items. */
export function topLevelItems(text: string): CItem[] {
  const items: CItem[] = [];
  let i = 0;
  let start = -1; // start of the item in progress, -1 when between items
  let depth = 0; // () [] {} nesting inside the item
  let bodyStart: number | undefined;
  let inBody = false;
  const close = (end: number) => {
    items.push({ kind: 'code', start, end, ...(bodyStart !== undefined ? { bodyStart } : {}) });
    start = -1;
    depth = 0;
    bodyStart = undefined;
    inBody = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && (text[i + 1] === '*' || text[i + 1] === '/')) {
      i = skipComment(text, i);
      continue;
    }
    if (c === '#' && atLineStart(text, i)) {
      const end = skipPreproc(text, i);
      if (start < 0) items.push({ kind: 'preproc', start: i, end });
      i = end;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (start < 0) start = i;
    if (c === '"' || c === "'") {
      i = skipLiteral(text, i);
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '{') {
      if (depth === 0 && opensFunctionBody(text, start, i)) {
        bodyStart = i;
        inBody = true;
      }
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && inBody) {
        close(i + 1);
        i++;
        continue;
      }
    } else if (c === ';' && depth === 0) {
      close(i + 1);
      i++;
      continue;
    }
    i++;
  }
  if (start >= 0) items.push({ kind: 'code', start, end: text.length });
  return items;
}

/** The item that contains `offset`, or null. Items are sorted and disjoint. */
export function itemAt(items: CItem[], offset: number): CItem | null {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const it = items[mid];
    if (offset < it.start) hi = mid - 1;
    else if (offset >= it.end) lo = mid + 1;
    else return it;
  }
  return null;
}
