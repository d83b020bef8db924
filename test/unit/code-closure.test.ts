import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeClosure, codeHash, moduleFacts, PLUGIN_SRC } from '../../plugins/plugsched/src/util/code-closure';

const tmp = mkdtempSync(join(tmpdir(), 'closure-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('moduleFacts', () => {
  it('keeps imports that run and drops type-only ones', () => {
    const f = moduleFacts(
      [
        "import type { A } from './a';",
        "import { type B, c } from './b';",
        "import { type D } from './d';",
        "export * from './e';",
        "export type { F } from './f';",
        "const g = require('./g');",
        "const h = await import('./h');",
        "import yaml from 'js-yaml';",
        "toolPath(root, 'vm', 'lib.sh');",
      ].join('\n'),
    );
    expect(f.imports.sort()).toEqual(['./b', './e', './g', './h', 'js-yaml']);
    expect(f.tools).toEqual(['vm']);
  });

  it('refuses a toolPath whose directory is not a literal it knows', () => {
    expect(() => moduleFacts("toolPath(root, dir, 'x');")).toThrow(/string literal/);
    expect(() => moduleFacts("toolPath(root, 'nope');")).toThrow(/string literal/);
  });
});

describe('codeClosure and codeHash', () => {
  const src = join(tmp, 'src');
  mkdirSync(join(src, 'util'), { recursive: true });
  writeFileSync(join(src, 'main.ts'), "import { b } from './util/b';\nimport type { T } from './util/t';\nexport const a = b;\n");
  writeFileSync(join(src, 'util', 'b.ts'), "import fg from 'fast-glob';\nimport { join } from 'node:path';\nexport const b = [fg, join];\n");
  writeFileSync(join(src, 'util', 't.ts'), 'export type T = number;\n');
  writeFileSync(join(src, 'other.ts'), 'export const o = 1;\n');

  it('follows runtime imports only, and names the npm packages', () => {
    expect(codeClosure(src, ['main.ts'])).toEqual({ files: ['main.ts', 'util/b.ts'], packages: ['fast-glob'], tools: [] });
  });

  it('changes when a file of the closure changes, and only then', () => {
    const before = codeHash({ closures: ['main.ts'] }, undefined, src);
    appendFileSync(join(src, 'other.ts'), '// not in the closure\n');
    appendFileSync(join(src, 'util', 't.ts'), '// types only\n');
    expect(codeHash({ closures: ['main.ts'] }, undefined, src)).toBe(before);
    appendFileSync(join(src, 'util', 'b.ts'), '// a comment is enough\n');
    expect(codeHash({ closures: ['main.ts'] }, undefined, src)).not.toBe(before);
  });

  it('follows an import added to a file whose facts were read before (the facts kept on disk are keyed by the text)', () => {
    writeFileSync(join(src, 'grow.ts'), 'export const g = 1;\n');
    expect(codeClosure(src, ['grow.ts']).files).toEqual(['grow.ts']);
    writeFileSync(join(src, 'grow.ts'), "import './other';\n");
    expect(codeClosure(src, ['grow.ts']).files).toEqual(['grow.ts', 'other.ts']);
    writeFileSync(join(src, 'grow.ts'), 'export const g = 1;\n');
    expect(codeClosure(src, ['grow.ts']).files).toEqual(['grow.ts']);
  });

  it('keys the store entries of the real plugin by its code (a copy with one comment more is another key)', () => {
    const copy = join(tmp, 'plugin-src');
    cpSync(PLUGIN_SRC, copy, { recursive: true });
    const code = { files: ['kernel/source.ts'], closures: ['kernel/unpack.ts'] };
    const before = codeHash(code, undefined, copy);
    expect(before).toBe(codeHash(code));
    appendFileSync(join(copy, 'kernel', 'unpack.ts'), '// changed\n');
    expect(codeHash(code, undefined, copy)).not.toBe(before);
  });
});
