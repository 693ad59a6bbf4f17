// Error notifications always say which files a problem is about: the readers' errors and the engine's option
// errors name their subject themselves; a pair problem (shapes, labels) gets the pair in front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notificationText, oneLine } from '../../src/extension/errorText';
import { WorkerFailure } from '../../src/extension/workerClient';
import { LossInputError } from '../../src/engine/errors';
import { TensorFileError } from '../../src/readers/types';

const doing = 'Comparing logits.npy with labels.npy';

test('reader errors and option errors stand alone; pair problems and others name the pair', () => {
  const reader = new WorkerFailure({ name: 'TensorFileError', kind: 'unsafe-pickle', message: "hostile.pt: refuse to unpickle: 'posix.system' is not an allowed global" });
  assert.equal(notificationText(reader, doing), reader.message);
  const option = new WorkerFailure({ name: 'LossInputError', option: 'toOnehotY', message: 'to_onehot_y needs a target with one channel' });
  assert.equal(notificationText(option, doing), option.message);
  const pair = new WorkerFailure({ name: 'LossInputError', message: 'target shape does not match the logits: logits [1, 4, 8], target [1, 5]' });
  assert.equal(notificationText(pair, doing), `${doing}: ${pair.message}`);
  // the same rules for errors thrown on the host itself
  assert.equal(notificationText(new TensorFileError('empty-file', 'x.npy', 'empty file (0 bytes)'), doing), 'x.npy: empty file (0 bytes)');
  assert.equal(notificationText(new LossInputError('class index 7 outside [0, 4)'), doing), `${doing}: class index 7 outside [0, 4)`);
  assert.equal(notificationText(new Error('EACCES: permission denied'), doing), `${doing}: EACCES: permission denied`);
  assert.equal(oneLine(new Error('two\n  lines')), 'two lines');
});
