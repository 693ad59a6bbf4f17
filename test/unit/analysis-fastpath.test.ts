// The fast path of analyzePython (parse only the logical lines that can matter, see prefilter.ts) must give
// exactly what the full analysis gives: over the fixture corpus, notebook cells, the benchmark's script and
// thousands of randomly cut and edited versions of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePython, readNotebook, stripMagics } from '../../src/analysis/index';
import { reduceSource, reducedView } from '../../src/analysis/prefilter';
import { generateScript } from '../../bench/parse.bench';
import { rng } from './helpers/random';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'python');


function same(src: string, what: string): void {
  assert.deepStrictEqual(analyzePython(src), analyzePython(src, { full: true }), what);
}

function sources(): { name: string; src: string }[] {
  const out: { name: string; src: string }[] = [];
  for (const f of readdirSync(fixtures).sort()) {
    const text = readFileSync(path.join(fixtures, f), 'utf8');
    if (f.endsWith('.py')) out.push({ name: f, src: text });
    else if (f.endsWith('.ipynb')) {
      let cells;
      try {
        cells = readNotebook(text, f).cells;
      } catch {
        continue; // broken.ipynb is not JSON at all
      }
      for (const c of cells) {
        const s = c.kind === 'code' ? stripMagics(c.source) : null;
        if (s !== null) out.push({ name: `${f} cell ${c.index}`, src: s });
      }
    }
  }
  out.push({ name: 'bench 400 lines', src: generateScript(400) });
  return out;
}

/** Snippets that exercise the scanner and the relevance rules: names, bindings, strings, brackets, errors. */
const SNIPPETS = [
  'label_smoothing=0.3', ', ', ')', '(', '[', ']', '{', '}', '\n', '    ', '\t', ':', '=', '==', '#', '"', "'", '"""', "'''", '\\\n', '\\',
  'f"{x}"', "f'{d[\"k\"]:>{w}}'", 'rb"\\x00"', 'u"\\N{DASH}"', '1.', '1_000', '0x1F', '.5e-3', '2j', ';',
  'x = 1\n', 'import torch.nn as nn\n', 'from monai.losses import *\n', 'from monai.losses import DiceCELoss as DCE\n',
  'nn = 3\n', 'F = None\n', 'global nn\n', 'for nn in range(3):\n    pass\n', 'with open(p) as F:\n    pass\n',
  'def DCE():\n    pass\n', 'class F:\n    pass\n', 'self.criterion = object()\n', 'criterion.label_smoothing = 0.2\n',
  'nn.CrossEntropyLoss(', 'DiceCELoss(label_smoothing=0.1)', 'F.cross_entropy(a, b, label_smoothing=2)', 'num_classes = 3\n',
  '.cross_entropy', 'out_channels=1', 'lambda q: q', 'if x:\n', 'else:\n', 'try:\n', 'except E as nn:\n', 'print x\n', '@dec\n',
  'x: int = 2\n', 'a, *b = c\n', '(a, b) = c\n', 'y := 3', '*', '**', 'not ', ' in ', 'yield ', 'await ', 'async ', 'del nn\n',
];

function mutate(src: string, r: () => number): string {
  const at = Math.floor(r() * (src.length + 1));
  const roll = r();
  if (roll < 0.1) return src.slice(0, at); // cut
  if (roll < 0.4 && src.length > 0) return src.slice(0, at) + src.slice(Math.min(src.length, at + 1 + Math.floor(r() * 12)));
  if (roll < 0.5) {
    // Move a line elsewhere (indentation changes meaning).
    const lines = src.split('\n');
    const [line] = lines.splice(Math.floor(r() * lines.length), 1);
    lines.splice(Math.floor(r() * (lines.length + 1)), 0, line ?? '');
    return lines.join('\n');
  }
  return src.slice(0, at) + SNIPPETS[Math.floor(r() * SNIPPETS.length)] + src.slice(at);
}

test('the fast path equals the full analysis on every fixture, notebook cell and the benchmark script', () => {
  const all = sources();
  assert.ok(all.length >= 12, `${all.length} sources`);
  for (const { name, src } of all) same(src, name);
  const bench = generateScript(5000);
  same(bench, 'bench 5000 lines');
});

test('the fast path really skips most of the benchmark script (and keeps every loss call)', () => {
  const bench = generateScript(5000);
  const r = reduceSource(bench);
  assert.ok(r, 'the scanner understood the benchmark script');
  const kept = r.ranges.reduce((s, x) => s + x.to - x.from, 0);
  assert.ok(kept < 0.5 * bench.length, `kept ${kept} of ${bench.length} characters`);
  const view = reducedView(r);
  assert.equal(view.length, bench.length);
  assert.equal(view.split('\n').length, bench.split('\n').length, 'line breaks kept');
  assert.equal(analyzePython(bench).calls.length, 382);
});

test('the fast path equals the full analysis on randomly cut and edited scripts', () => {
  const base = sources();
  let versions = 0;
  let reduced = 0;
  for (const [k, { name, src: original }] of base.entries()) {
    const r = rng(4242 + k);
    const steps = name.startsWith('bench') ? 80 : 250;
    let src = original;
    for (let step = 0; step < steps; step++) {
      src = r() < 0.2 ? mutate(original, r) : mutate(src, r);
      same(src, `${name}, edit ${step}:\n${src}`);
      versions++;
      if (reduceSource(src) !== null) reduced++;
    }
  }
  assert.ok(versions > 3500, `${versions} versions`);
  // Not a vacuous comparison: most versions go through the reduced parse.
  assert.ok(reduced > versions / 5, `${reduced} of ${versions} versions reduced`);
});

test('scripts assembled from random statements at random depths', () => {
  const r = rng(99);
  const pool = [
    'import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', 'from monai.losses import DiceCELoss as DCE',
    'from monai.losses import *', 'x = nn.CrossEntropyLoss(label_smoothing=0.1)', 'y = DCE(to_onehot_y=True, label_smoothing=0.2)',
    'x.label_smoothing = 0.3', 'y.cross_entropy.label_smoothing = 0.4', 'self.loss = nn.CrossEntropyLoss()', 'self.loss.label_smoothing = 0.1',
    'nn = object()', 'F = None', 'DCE = list', 'global nn', 'loss = F.cross_entropy(a, b, label_smoothing=eps)', 'NUM_CLASSES = 3',
    'net = UNet(out_channels=4)', 'z = [i for i in range(3) if i]', 's = "nn.CrossEntropyLoss(label_smoothing=0.1)"', 'pass', 'return x',
    'w = torch.tensor([1.0, 2.0])', 'c = nn.CrossEntropyLoss(weight=w)', 'DiceLoss(label_smoothing=0.1)', 'print(f"{x!r:>10}")',
  ];
  const headers = ['def f(self, nn=None):', 'class M(nn.Module):', 'if cond:', 'for F in items:', 'with ctx() as DCE:', 'try:', 'else:', 'except Exception as e:', 'while True:', 'def __init__(self):'];
  let n = 0;
  for (let s = 0; s < 300; s++) {
    const lines: string[] = [];
    let depth = 0;
    const count = 3 + Math.floor(r() * 25);
    for (let i = 0; i < count; i++) {
      const pad = '    '.repeat(depth);
      if (r() < 0.3) {
        lines.push(pad + (headers[Math.floor(r() * headers.length)] as string));
        depth++;
        lines.push('    '.repeat(depth) + (pool[Math.floor(r() * pool.length)] as string));
      } else lines.push(pad + (pool[Math.floor(r() * pool.length)] as string));
      if (depth > 0 && r() < 0.3) depth -= 1 + Math.floor(r() * depth);
    }
    const src = lines.join('\n') + '\n';
    same(src, src);
    n++;
  }
  assert.equal(n, 300);
});

test('statements at the edge of the scanner and of the subset grammar: same syntax errors as lezer reports', () => {
  // Each alone, after an import (so that a loss line exists), and inside a function body.
  const statements = [
    'with a as b.c, d as e[0]:\n    pass\n', 'x = (yield)\n', 'f(*a, *b, **c, **d)\n', 'x = a,\n', 'a, = c\n', 'return a,\n',
    'for x, in y:\n    pass\n', 'x = {a,}\n', 'x[a,]\n', 'def f(a,):\n    pass\n', 'class A():\n    pass\n', 'print ("x")\n', 'print x\n',
    'print >>f, x\n', 'f(a=1, *b)\n', 'def f(a=1, b):\n    pass\n', 'x = 1.\n', 'x = 1.e5\n', 'x = 1if a else 2\n', 'x = 0x\n', 'x = 1_\n',
    'x = 1.5.real\n', "x = '\\N{DASH}'\n", "x = f'{a!r}'\n", "x = f'{a:{w}.{p}}'\n", "x = f'{a[\"k\"]}'\n", 'x = a <> b\n', 'x = `a`\n',
    'x = a\\\n\n', 'x = a \\\n  # c\nb\n', 'x = (a\n\n)\n', "x = 'a\n", 'x = """a\n', 'def f():\nreturn 1\n', '  x = 1\n', 'if a:\nx = 1\n',
    'else:\n    pass\n', 'try:\n    pass\nx = 1\n', '@a\nx = 1\n', 'x: int = nn\n', 'nn: int\n', 'del nn\n', 'match x:\n    case 1:\n        pass\n',
    'type X = int\n', 'async def f():\n    await x\n', 'lambda: 0\n', 'x = [*a]\n', 'x = {**a}\n', 'x = a if b\n', 'x = (a for a in b, c)\n',
    'x\t= 1\n', '\tx = 1\n', 'if a:\n\tx = 1\n        y = 2\n', 'x = 1\r\ny = 2\r\n', 'x = 1 \\\r\n  + 2\r\n', 'x = 1\ry = 2\r', '\ufeffx = 1\n',
    'x = ½\n', 'é = 1\n', 'x = 1;\n', 'x = 1; y = 2\n', 'if a: x = 1\n', 'if a: x = 1\n    y = 2\n', 'x = 1\n   ', 'x = 1\n\f\ny = 2\n',
  ];
  const lossLine = 'import torch.nn as nn\nce = nn.CrossEntropyLoss(label_smoothing=0.1)\n';
  for (const st of statements) {
    same(st, st);
    same(lossLine + st, `after a loss: ${st}`);
    same(`def g():\n    ce = nn.CrossEntropyLoss()\n` + st.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n'), `in a body: ${st}`);
  }
});

test('shadowing and post-hoc bindings in otherwise irrelevant statements are kept', () => {
  const filler = 'def helper(a, b=2):\n    c = [a * i for i in range(b)]\n    return sum(c) / max(1, len(c))\n\n';
  const cases: { name: string; src: string; calls: number }[] = [
    { name: 'assignment shadows the alias', src: 'import torch.nn as nn\nnn = object()\nce = nn.CrossEntropyLoss()\n', calls: 0 },
    { name: 'shadowed later in a function', src: 'import torch.nn.functional as F\ndef f(x, y):\n    a = F.cross_entropy(x, y, label_smoothing=0.1)\n    F = None\n    return a\n', calls: 0 },
    { name: 'global rebinding', src: 'import torch.nn as nn\ndef g():\n    global nn\n    nn = None\nce = nn.CrossEntropyLoss(label_smoothing=0.2)\n', calls: 0 },
    { name: 'for target', src: 'import torch.nn as nn\ndef g(xs):\n    for nn in xs:\n        ce = nn.CrossEntropyLoss()\n', calls: 0 },
    { name: 'with target', src: 'import monai.losses as L\ndef g():\n    with open("p") as L:\n        x = L.DiceCELoss()\n', calls: 0 },
    { name: 'def and class names', src: 'from monai.losses import DiceCELoss as DCE\ndef DCE():\n    pass\nloss = DCE(label_smoothing=0.1)\n', calls: 0 },
    { name: 'star import', src: 'from monai.losses import *\nDiceCELoss = None\nl = DiceCELoss(label_smoothing=0.1)\n', calls: 0 },
    { name: 'post-hoc on a rebound name', src: 'import torch.nn as nn\nce = nn.CrossEntropyLoss()\nce = make()\nce.label_smoothing = 0.1\n', calls: 1 },
    { name: 'post-hoc through self', src: 'import torch.nn as nn\nclass M:\n    def __init__(self):\n        self.loss = nn.CrossEntropyLoss()\n    def reset(self):\n        self.loss = make()\n    def smooth(self):\n        self.loss.label_smoothing = 0.3\n', calls: 1 },
    { name: 'tensor factory shadowed', src: 'import torch\nimport torch.nn as nn\ntorch = None\nce = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))\n', calls: 1 },
    { name: 'layer out_channels', src: 'from torch.nn import Conv2d\nConv2d = make\nnet = Conv2d(3, out_channels=1)\nfrom monai.losses import DiceCELoss\nl = DiceCELoss(label_smoothing=0.1)\n', calls: 1 },
  ];
  for (const c of cases) {
    // The interesting lines, with irrelevant statements between them (the reduced parse drops those).
    const src = c.src.split('\n').map((l) => (l.startsWith(' ') || l === '' ? l : `${filler}${l}`)).join('\n');
    same(src, c.name);
    assert.ok(reduceSource(src), `${c.name}: reduced`);
    assert.equal(analyzePython(src).calls.length, c.calls, c.name);
  }
});
