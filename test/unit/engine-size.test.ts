// The engine reads in one sitting: no function in src/engine is longer than 120 lines, except one whose body is a
// single flat switch (a table of cases reads like a table). Measured on the TypeScript syntax tree, so a long
// function cannot hide in a method, an arrow or a nested function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './helpers/paths';

const MAX_LINES = 120;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Functions of a source text longer than `max` lines (name, first line, length), flat switches apart. */
function longFunctions(fileName: string, text: string, max: number): { name: string; line: number; lines: number }[] {
  const src = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: { name: string; line: number; lines: number }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const first = src.getLineAndCharacterOfPosition(n.getStart()).line;
      const lines = src.getLineAndCharacterOfPosition(n.getEnd()).line - first + 1;
      const body = n.body as ts.Node;
      const flatSwitch = ts.isBlock(body) && body.statements.length === 1 && ts.isSwitchStatement(body.statements[0]!);
      if (lines > max && !flatSwitch) {
        const name = n.name && ts.isIdentifier(n.name) ? n.name.text : '(anonymous)';
        found.push({ name, line: first + 1, lines });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return found;
}

test('the measure sees a long function, and lets a flat switch be', () => {
  const long = `function f(x: number) {\n${'  x++;\n'.repeat(130)}  return x;\n}\n`;
  assert.deepEqual(longFunctions('a.ts', long, MAX_LINES), [{ name: 'f', line: 1, lines: 133 }]);
  const nested = `class A {\n  m() {\n    const g = () => {\n${'      1;\n'.repeat(125)}    };\n  }\n}\n`;
  assert.deepEqual(
    longFunctions('b.ts', nested, MAX_LINES).map((f) => f.name),
    ['m', '(anonymous)'],
  );
  const table = `function t(k: string) {\n  switch (k) {\n${'    case "a": return 1;\n'.repeat(130)}  }\n}\n`;
  assert.deepEqual(longFunctions('c.ts', table, MAX_LINES), []);
});

test(`no function in src/engine is longer than ${MAX_LINES} lines`, () => {
  const over = tsFiles(join(repoRoot, 'src', 'engine')).flatMap((f) =>
    longFunctions(f, readFileSync(f, 'utf8'), MAX_LINES).map((l) => `${relative(repoRoot, f)}:${l.line} ${l.name} (${l.lines} lines)`),
  );
  assert.deepEqual(over, [], `split these into named steps:\n${over.join('\n')}`);
});
