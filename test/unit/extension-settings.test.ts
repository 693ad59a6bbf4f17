// Settings → LossOptions: defaults, valid settings, and bad settings reported by name with a fallback.
import { test } from 'node:test';
import { parseClassNames } from '../../src/readers/classNames';
import assert from 'node:assert/strict';
import {
  formatProblems, mergeOptions, optionsFromSettings, resolveSettings, type SettingGetter,
} from '../../src/extension/settingsModel';
import { DEFAULT_OPTIONS } from '../../src/engine/types';
import { LossInputError } from '../../src/engine/errors';

const getter = (o: Record<string, unknown>): SettingGetter => (k) => o[k];

test('no settings → engine defaults', () => {
  const r = resolveSettings(getter({}));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.settings.options, DEFAULT_OPTIONS);
  assert.equal(r.settings.classNames, null);
  assert.equal(r.settings.codeLensEnabled, true);
  assert.equal(r.settings.diagnosticsEnabled, true);
  assert.equal(r.settings.defaultNumClasses, null);
  assert.equal(r.settings.maxTensorMB, 4096);
});

test('valid settings become options', () => {
  const r = resolveSettings(getter({
    loss: 'ce', labelSmoothing: 0.1, weight: [1, 2, 0.5], ignoreIndex: 255, reduction: 'sum', softmax: true,
    toOnehotY: true, includeBackground: false, lambdaCe: 0.5, classNames: ['bg', 'fg'], defaultNumClasses: 14,
    'codeLens.enabled': false, maxTensorMB: 100,
  }));
  assert.deepEqual(r.problems, []);
  assert.equal(r.settings.options.loss, 'ce');
  assert.equal(r.settings.options.labelSmoothing, 0.1);
  assert.deepEqual(r.settings.options.weight, [1, 2, 0.5]);
  assert.equal(r.settings.options.ignoreIndex, 255);
  assert.equal(r.settings.options.reduction, 'sum');
  assert.equal(r.settings.options.includeBackground, false);
  assert.equal(r.settings.options.lambdaCe, 0.5);
  assert.deepEqual(r.settings.classNames, ['bg', 'fg']);
  assert.equal(r.settings.defaultNumClasses, 14);
  assert.equal(r.settings.codeLensEnabled, false);
  assert.equal(r.settings.maxTensorMB, 100);
});

test('a bad setting is named, falls back to its default, and the others still apply', () => {
  const r = resolveSettings(getter({ labelSmoothing: 1.5, reduction: 'median', loss: 'ce', lambdaDice: -1 }));
  const names = r.problems.map((p) => p.setting).sort();
  assert.deepEqual(names, ['lossInspector.labelSmoothing', 'lossInspector.lambdaDice', 'lossInspector.reduction']);
  assert.match(r.problems.find((p) => p.setting === 'lossInspector.labelSmoothing')!.message, /between 0\.0 and 1\.0/);
  assert.equal(r.settings.options.labelSmoothing, DEFAULT_OPTIONS.labelSmoothing);
  assert.equal(r.settings.options.reduction, 'mean');
  assert.equal(r.settings.options.loss, 'ce');
  const line = formatProblems(r.problems);
  assert.match(line, /^Loss Inspector settings: lossInspector\.\w+: /);
  assert.doesNotMatch(line, /\n/);
});

test('conflicting settings: the one the engine names falls back', () => {
  const { options, problems } = optionsFromSettings(getter({ sigmoid: true, softmax: true }));
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.setting, 'lossInspector.softmax');
  assert.equal(options.sigmoid, true);
  assert.equal(options.softmax, false);
});

test('bad extra settings are named too', () => {
  const r = resolveSettings(getter({ classNames: 'bg,fg', maxTensorMB: -5, defaultNumClasses: 2.5, 'diagnostics.enabled': 'yes' }));
  assert.deepEqual(r.problems.map((p) => p.setting).sort(), [
    'lossInspector.classNames', 'lossInspector.defaultNumClasses', 'lossInspector.diagnostics.enabled', 'lossInspector.maxTensorMB',
  ]);
  assert.equal(r.settings.classNames, null);
  assert.equal(r.settings.maxTensorMB, 4096);
  assert.equal(r.settings.defaultNumClasses, null);
  assert.equal(r.settings.diagnosticsEnabled, true);
});

test('overrides merge over settings; a bad override throws naming the option', () => {
  const base = resolveSettings(getter({ loss: 'dicece', softmax: true })).settings.options;
  const o = mergeOptions(base, { labelSmoothing: 0.2, toOnehotY: true, weight: undefined });
  assert.equal(o.labelSmoothing, 0.2);
  assert.equal(o.softmax, true);
  assert.equal(o.toOnehotY, true);
  assert.deepEqual(mergeOptions(base, undefined), base);
  assert.throws(() => mergeOptions(base, { labelSmoothing: 2 }), (e: unknown) => e instanceof LossInputError && e.option === 'labelSmoothing');
  assert.throws(() => mergeOptions(base, { sigmoid: true }), /sigmoid and softmax/);
  assert.throws(() => mergeOptions(base, { nope: 1 } as never), /unknown option 'nope'/);
});

test('classes.json parsing', () => {
  assert.deepEqual(parseClassNames('["background", "liver"]'), ['background', 'liver']);
  assert.equal(parseClassNames('[1, 2]'), null);
  assert.equal(parseClassNames('{"a": 1}'), null);
  assert.equal(parseClassNames('[]'), null);
  assert.equal(parseClassNames('not json'), null);
});

test('an engine error naming a boolean option suggests flipping it', async () => {
  const { suggestOptionFix } = await import('../../src/extension/settingsModel');
  const base = resolveSettings(getter({ loss: 'dicece' })).settings.options;
  const fix = suggestOptionFix('toOnehotY', base);
  assert.ok(fix);
  assert.equal(fix.option, 'toOnehotY');
  assert.equal(fix.value, true);
  assert.equal(fix.options.toOnehotY, true);
  assert.equal(fix.options.loss, 'dicece');
  assert.equal(suggestOptionFix('weight', base), null);
  assert.equal(suggestOptionFix(undefined, base), null);
  assert.equal(suggestOptionFix('nope', base), null);
  // A flip that would make the options invalid is no fix.
  assert.equal(suggestOptionFix('softmax', { ...base, sigmoid: true }), null);
});
