/**
 * The plugin code a module really runs: the files reached from it through
 * runtime imports (type-only imports do not run and are left out), the npm
 * packages it imports, and the tools/ directories it names through toolPath.
 * Target inference hashes this closure for each executor, and the store keys
 * each entry by the closure of the code that makes it, so a changed line of
 * plugin code reaches every cache key that depends on it and no other.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseSync } from '@swc/core';
import fg from 'fast-glob';
import type { ToolDir } from './tools';

export interface CodeClosure {
  /** Files of the closure, relative to the source root, sorted. */
  files: string[];
  /** npm packages imported anywhere in the closure, sorted. */
  packages: string[];
  /** tools/<dir> directories named by toolPath calls in the closure, sorted. */
  tools: ToolDir[];
}

interface ModuleFacts {
  imports: string[];
  tools: ToolDir[];
}

type Node = Record<string, unknown>;

const BUILTINS = new Set(builtinModules);
const TOOL_DIRS = new Set<string>(['gcc-collector', 'installer', 'runtime', 'vm']);
const factsCache = new Map<string, { stamp: string; facts: ModuleFacts }>();

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null;
}

function stringLiteral(v: unknown): string | null {
  if (!isNode(v)) return null;
  const e = isNode(v.expression) ? v.expression : v;
  return e.type === 'StringLiteral' && typeof e.value === 'string' ? e.value : null;
}

/** Import sources of one declaration that runs (null for type-only ones and non-imports). */
function declarationSource(item: Node): string | null {
  if (item.type !== 'ImportDeclaration' && item.type !== 'ExportAllDeclaration' && item.type !== 'ExportNamedDeclaration') return null;
  if (item.typeOnly === true || !isNode(item.source)) return null;
  const specifiers = Array.isArray(item.specifiers) ? (item.specifiers as Node[]) : [];
  if (specifiers.length > 0 && specifiers.every((s) => s.isTypeOnly === true)) return null;
  return typeof item.source.value === 'string' ? item.source.value : null;
}

/** require(), import() and toolPath() calls anywhere in the tree. */
function walkCalls(node: unknown, facts: ModuleFacts): void {
  if (Array.isArray(node)) {
    for (const n of node) walkCalls(n, facts);
    return;
  }
  if (!isNode(node)) return;
  if (node.type === 'CallExpression' && isNode(node.callee) && Array.isArray(node.arguments)) {
    const callee = node.callee;
    const args = node.arguments as unknown[];
    const name = callee.type === 'Identifier' ? callee.value : callee.type === 'Import' ? 'import' : null;
    if (name === 'require' || name === 'import') {
      const s = stringLiteral(args[0]);
      if (s !== null) facts.imports.push(s);
    } else if (name === 'toolPath') {
      const s = stringLiteral(args[1]);
      if (s === null || !TOOL_DIRS.has(s)) throw new Error(`toolPath needs one of ${[...TOOL_DIRS].join(', ')} as a string literal (got ${s ?? 'an expression'})`);
      facts.tools.push(s as ToolDir);
    }
  }
  for (const [k, v] of Object.entries(node)) if (k !== 'span' && typeof v === 'object') walkCalls(v, facts);
}

/** What one source file imports and which tools/ directories it names. */
export function moduleFacts(source: string): ModuleFacts {
  const facts: ModuleFacts = { imports: [], tools: [] };
  const ast = parseSync(source, { syntax: 'typescript' }) as unknown as { body: Node[] };
  for (const item of ast.body) {
    const s = declarationSource(item);
    if (s !== null) facts.imports.push(s);
  }
  walkCalls(ast.body, facts);
  return facts;
}

/**
 * Facts of a source text kept on disk between processes, keyed by the text, this file (the code
 * that reads facts) and the parser's version: every nx command infers the targets again, and
 * parsing the plugin's sources was a quarter of a second of each. A key names the bytes it was
 * made from, so an entry cannot be stale; a damaged or missing one is parsed again.
 */
const FACTS_DIR = join(tmpdir(), `plugsched-code-facts-${process.getuid?.() ?? 'user'}`);
let factsSalt: string | undefined;

function salt(): string {
  if (factsSalt === undefined) {
    let parser = '';
    try {
      parser = (JSON.parse(readFileSync(require.resolve('@swc/core/package.json'), 'utf8')) as { version?: string }).version ?? '';
    } catch {
      parser = 'unknown';
    }
    factsSalt = createHash('sha256').update(readFileSync(__filename)).update(`\0@swc/core ${parser}\0`).digest('hex');
  }
  return factsSalt;
}

function isFacts(v: unknown): v is ModuleFacts {
  return isNode(v) && Array.isArray(v.imports) && v.imports.every((x) => typeof x === 'string') && Array.isArray(v.tools) && v.tools.every((x) => typeof x === 'string' && TOOL_DIRS.has(x));
}

function storedFacts(source: string): ModuleFacts {
  const key = createHash('sha256').update(salt()).update(source).digest('hex');
  const file = join(FACTS_DIR, `${key}.json`);
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (isFacts(v)) return v;
  } catch {
    // not there yet (or damaged): parse
  }
  const facts = moduleFacts(source);
  try {
    mkdirSync(FACTS_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(facts));
    renameSync(tmp, file);
  } catch {
    // a cache only: a read-only or full temporary directory costs the parse next time
  }
  return facts;
}

function cachedFacts(file: string): ModuleFacts {
  const st = statSync(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = factsCache.get(file);
  if (hit?.stamp === stamp) return hit.facts;
  let facts: ModuleFacts = { imports: [], tools: [] };
  try {
    if (!file.endsWith('.json')) facts = storedFacts(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  factsCache.set(file, { stamp, facts });
  return facts;
}

/** A relative import as Node resolves it for the plugin's sources (.ts, .json, index.ts). */
function resolveRelative(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new Error(`${from}: cannot resolve the import "${spec}"`);
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The closure of the given modules (paths relative to srcRoot). */
export function codeClosure(srcRoot: string, entries: string[]): CodeClosure {
  const files = new Set<string>();
  const packages = new Set<string>();
  const tools = new Set<ToolDir>();
  const todo = entries.map((e) => resolve(srcRoot, e));
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const facts = cachedFacts(file);
    for (const t of facts.tools) tools.add(t);
    for (const spec of facts.imports) {
      if (spec.startsWith('.')) todo.push(resolveRelative(file, spec));
      else if (!spec.startsWith('node:') && !BUILTINS.has(spec)) packages.add(packageName(spec));
    }
  }
  return {
    files: [...files].map((f) => relative(srcRoot, f)).sort(),
    packages: [...packages].sort(),
    tools: [...tools].sort(),
  };
}

/** The plugin's own src/ directory. */
export const PLUGIN_SRC = resolve(__dirname, '..');

/** tools/<dir> of a workspace (the one place besides util/tools.ts that names tools/: it hashes any of them). */
function toolsDir(workspaceRoot: string, dir: ToolDir): string {
  return join(workspaceRoot, 'tools', dir);
}

/** Every file under tools/<dir> (relative to that directory), sorted. */
export function toolFiles(workspaceRoot: string, dir: ToolDir): string[] {
  return fg.sync('**/*', { cwd: toolsDir(workspaceRoot, dir), dot: true, onlyFiles: true }).sort();
}

/** What makes a store entry: modules with everything they import, single files, tools/ directories. */
export interface MakingCode {
  /** Plugin modules (relative to src/) taken with their whole closure. */
  closures?: string[];
  /** Plugin modules taken alone (their imports are not part of what is made). */
  files?: string[];
  tools?: ToolDir[];
}

/**
 * A hash of the code that makes something. Used as the "recipe" of store
 * entries in place of hand-bumped numbers, so an entry made by other code is
 * another entry.
 */
export function codeHash(code: MakingCode, workspaceRoot?: string, srcRoot = PLUGIN_SRC): string {
  const closure = codeClosure(srcRoot, code.closures ?? []);
  const files = [...new Set([...closure.files, ...(code.files ?? [])])].sort();
  const tools = [...new Set([...closure.tools, ...(code.tools ?? [])])].sort();
  if (tools.length > 0 && workspaceRoot === undefined) throw new Error(`codeHash: the code uses tools/${tools[0]}: pass the workspace root`);
  const h = createHash('sha256');
  for (const f of files) h.update(`src/${f}\0`).update(readFileSync(join(srcRoot, f))).update('\0');
  for (const dir of tools)
    for (const f of toolFiles(workspaceRoot as string, dir)) h.update(`tools/${dir}/${f}\0`).update(readFileSync(join(toolsDir(workspaceRoot as string, dir), f))).update('\0');
  return h.digest('hex');
}
