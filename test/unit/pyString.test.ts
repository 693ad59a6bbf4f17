// The one Python string decoder against CPython's own results (test/fixtures/python-strings/cases.json,
// written by generate.py beside it): every literal decodes to CPython's value, code unit for code unit,
// or is rejected where CPython rejects it; `\N{…}` is the one escape reported as not decoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePyStringLiteral } from '../../src/readers/pyString';
import { parsePyLiteral } from '../../src/readers/pyliteral';
import { evaluate } from '../../src/analysis/literals';
import { parsePython } from '../../src/analysis/pyTree';
import { fixturesDir } from './helpers/paths';

interface Case {
  literal: string;
  str?: string;
  bytes?: number[];
  error?: string;
}

const table = JSON.parse(readFileSync(join(fixturesDir, 'python-strings', 'cases.json'), 'utf8')) as { python: string; cases: Case[] };
const units = (s: string) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));
const named = (c: Case) => /\\N\{[^}]*\}/.test(c.literal) && !/^r|^b|^rb/i.test(c.literal);

test(`the table is CPython ${table.python}'s and covers octal, hex, \\u, \\U, \\N and surrogates`, () => {
  assert.ok(table.cases.length > 200);
  for (const needle of ['\\0', '\\777', '\\x4', '\\U00110000', '\\ud800', '\\N{DEGREE SIGN}']) {
    assert.ok(table.cases.some((c) => c.literal.includes(needle)), needle);
  }
});

test('decodePyStringLiteral gives CPython’s value or CPython’s refusal for every literal of the table', () => {
  let decoded = 0;
  for (const c of table.cases) {
    const d = decodePyStringLiteral(c.literal);
    if (named(c)) {
      assert.equal(d.ok, false, c.literal);
      if (!d.ok && c.error === undefined) assert.equal(d.unsupported, true, `${c.literal}: a well-formed \\N{…} is reported as not decoded`);
      continue;
    }
    if (c.error !== undefined) {
      assert.equal(d.ok, false, `${c.literal}: CPython says ${c.error}`);
      assert.notEqual(d.unsupported, true, c.literal);
      continue;
    }
    assert.ok(d.ok, `${c.literal}: ${d.ok ? '' : d.error}`);
    if (c.bytes) {
      assert.equal(d.bytes, true, c.literal);
      assert.deepEqual(units(d.value), c.bytes, c.literal);
    } else {
      assert.equal(d.bytes, false, c.literal);
      assert.deepEqual(units(d.value), units(c.str as string), c.literal);
    }
    decoded++;
  }
  assert.ok(decoded > 150);
});

test('the .npy header parser and the analysis read str literals with the same decoder', () => {
  for (const c of table.cases) {
    if (c.str === undefined || named(c) || /^[rbuRBU]/.test(c.literal) || c.literal.startsWith("'''") || c.literal.startsWith('"""') || /[\n\r]/.test(c.literal)) continue;
    const viaHeader = parsePyLiteral(`{${c.literal}: 1}`) as { dict: Map<string, unknown> };
    assert.deepEqual(units([...viaHeader.dict.keys()][0] as string), units(c.str), `header ${c.literal}`);
    const tree = parsePython(`x = ${c.literal}\n`);
    const node = tree.topNode.firstChild?.lastChild;
    assert.ok(node);
    const v = evaluate(node, { src: `x = ${c.literal}\n`, qualify: () => null });
    assert.deepEqual(units(v as string), units(c.str), `analysis ${c.literal}`);
  }
  // `\0`, the escape the analysis once read as the character '0'.
  const src = "x = 'a\\0b\\101'\n";
  assert.equal(evaluate(parsePython(src).topNode.firstChild?.lastChild as never, { src, qualify: () => null }), 'a\u0000bA');
});

test('an invalid escape in a .npy header names the problem', () => {
  assert.throws(() => parsePyLiteral("{'a\\x4': 1}"), /truncated \\xXX escape/);
});
