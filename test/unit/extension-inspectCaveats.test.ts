// The notes *Inspect with these settings…* carries into a comparison: checked out of the command argument,
// answered one by one as the user sets the options they name, and the error a rejected value shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caveatsAfterEdit, inspectCaveats, invalidMessage } from '../../src/extension/inspectCaveats';
import { DEFAULT_OPTIONS } from '../../src/engine/types';

const weight = { param: 'weight', key: 'weight' as const, text: 'class_weights', reason: 'not a literal' };
const kwargs = { param: '**kwargs', key: null, text: '**cfg', reason: 'may set any option; not read' };
const eps = { param: 'label_smoothing', key: 'labelSmoothing' as const, text: '1.5', reason: 'torch raises "label_smoothing must be between 0.0 and 1.0. Got: 1.5"' };

test('the command argument becomes caveats: label from the file name and the 1-based line; malformed notes dropped', () => {
  const c = inspectCaveats({
    uri: 'file:///w/my%20run/train.py',
    line: 16,
    notApplied: [weight, kwargs, { param: 3 } as never, null as never],
    invalid: [eps],
  });
  assert.deepEqual(c, { sourceUri: 'file:///w/my%20run/train.py', line: 17, label: 'train.py:17', notApplied: [weight, kwargs], invalid: [eps] });
  // A notebook cell's URI: the notebook's name.
  assert.equal(inspectCaveats({ uri: 'vscode-notebook-cell:/w/nb.ipynb#W2sZmlsZQ%3D%3D', line: 0 })?.label, 'nb.ipynb:1');
  assert.deepEqual(inspectCaveats({ uri: 'file:///w/a.py' })?.notApplied, []);
  assert.equal(inspectCaveats({ options: {} }), undefined, 'no file: not from a loss call');
});

test('setting an option in the view answers its note; **kwargs stays', () => {
  const c = { sourceUri: 'file:///w/train.py', line: 17, label: 'train.py:17', notApplied: [weight, kwargs], invalid: [] };
  const base = { ...DEFAULT_OPTIONS, loss: 'ce' as const };
  assert.deepEqual(caveatsAfterEdit(c, base, { ...base, labelSmoothing: 0.2 }).notApplied, [weight, kwargs]);
  assert.deepEqual(caveatsAfterEdit(c, base, { ...base, weight: [1, 2, 3, 4] }).notApplied, [kwargs]);
});

test('the error of a rejected value names the call, the value and torch’s message', () => {
  const c = { sourceUri: 'file:///w/train.py', line: 19, label: 'train.py:19', notApplied: [], invalid: [eps] };
  assert.equal(
    invalidMessage(c),
    'Not computed: the loss call at train.py:19 has a value torch rejects when it runs — label_smoothing=1.5: torch raises "label_smoothing must be between 0.0 and 1.0. Got: 1.5". Fix the code and inspect again.',
  );
  assert.match(invalidMessage({ ...c, invalid: [eps, { ...eps, param: 'reduction', text: "'avg'", reason: 'torch raises "avg is not a valid value for reduction"' }] }), /has values torch rejects/);
});
