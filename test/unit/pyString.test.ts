// The one Python string decoder against CPython's own results (test/fixtures/python-strings/cases.json,
// written by generate.py beside it): every literal decodes to CPython's value, code unit for code unit,
// or is rejected where CPython rejects it; `\N{…}` decodes every ASCII character's name and alias as CPython
// does and is reported as not decoded for any other name, never read as a wrong character.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asciiCharByName, asciiCharNames } from '../../src/readers/asciiCharNames';
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
    if (named(c) && (c.error !== undefined || /[^\x00-\x7f]/.test(c.str ?? ''))) {
      // CPython refuses the name, or it names a non-ASCII character: not decoded (an unknown name cannot be told
      // from a real one without the full table), never a value
      assert.equal(d.ok, false, c.literal);
      if (!d.ok && c.error === undefined) assert.equal(d.unsupported, true, `${c.literal}: a non-ASCII \\N{…} is reported as not decoded`);
      if (!d.ok && /malformed/.test(c.error ?? '')) assert.notEqual(d.unsupported, true, `${c.literal}: malformed, as CPython says`);
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

test('\\N{…}: every name and alias of the ASCII table is in the CPython table, in both cases, and decodes to its character', () => {
  const namedAscii = new Map<string, string>();
  for (const c of table.cases) {
    const m = /^'\\N\{([^}]*)\}'$/.exec(c.literal);
    if (m && c.str !== undefined && !/[^\x00-\x7f]/.test(c.str)) namedAscii.set(m[1] as string, c.str);
  }
  // the table's names: the 95 printable characters' names, and the aliases of the controls, DELETE and SP
  assert.ok(namedAscii.size >= 2 * (95 + 70), `${namedAscii.size} ASCII names in the CPython table`);
  for (const [name, ch] of asciiCharNames()) {
    assert.equal(namedAscii.get(name), ch, `${name}: CPython's character`);
    assert.equal(namedAscii.get(name.toLowerCase()), ch, `${name.toLowerCase()}: CPython's character`);
  }
  for (const [name, ch] of namedAscii) assert.equal(asciiCharByName(name), ch, `${name}: in the ASCII table`);
  // a value spelled with names reads as the option it is
  assert.deepEqual(decodePyStringLiteral("'\\N{LATIN SMALL LETTER M}ean'"), { ok: true, value: 'mean', bytes: false });
  // in bytes \N is no escape at all
  assert.deepEqual(decodePyStringLiteral("b'\\N{SPACE}'"), { ok: true, value: '\\N{SPACE}', bytes: true });
});

test('the .npy header parser and the analysis read str literals with the same decoder', () => {
  for (const c of table.cases) {
    if (c.str === undefined || (named(c) && /[^\x00-\x7f]/.test(c.str)) || /^[rbuRBU]/.test(c.literal) || c.literal.startsWith("'''") || c.literal.startsWith('"""') || /[\n\r]/.test(c.literal)) continue;
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
