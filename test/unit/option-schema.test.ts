// The option schema is the one owner of every loss option: engine validation, CLI flags and help, the analysis
// keyword mapping and the defaults all come from it (the settings in package.json: extension-manifest.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, LossInputError, OPTION_KEYS, resolveOptions } from '../../src/engine/index';
import { OPTION_SCHEMA, optionFlag, pythonKeysFor, pythonNameFor, type AnyOptionSpec } from '../../src/engine/optionSchema';
import { parseReportArgs, REPORT_USAGE } from '../../src/cli/report';
import { specFor } from '../../src/analysis/catalogue';
import { goldenDir } from './helpers/paths';

const SPECS = OPTION_SCHEMA as readonly AnyOptionSpec[];

/** A valid non-default value per option type (so a flag or keyword visibly changes the option). */
function otherValue(s: AnyOptionSpec): { text: string; value: unknown } {
  switch (s.type) {
    case 'boolean':
      return { text: String(!s.default), value: !s.default };
    case 'choice': {
      const v = s.choices.find((c) => c.value !== s.default)!.value;
      return { text: v, value: v };
    }
    case 'weights':
      return { text: '0.5,2', value: [0.5, 2] };
    case 'optionalNumber':
      return { text: '0.25', value: 0.25 };
    default: {
      const other = s.allowed?.find((v) => v !== s.default);
      if (other !== undefined) return { text: String(other), value: other };
      return { text: s.key === 'labelSmoothing' ? '0.125' : '3', value: s.key === 'labelSmoothing' ? 0.125 : 3 };
    }
  }
}

test('the schema holds every golden option key (both READMEs), defaults as MONAI/torch declare them', () => {
  const cases = JSON.parse(readFileSync(join(goldenDir, 'families', 'cases.json'), 'utf8')).cases as { options: Record<string, unknown> }[];
  const golden = Object.keys(cases[0]!.options);
  for (const k of golden) assert.ok((OPTION_KEYS as readonly string[]).includes(k), k);
  assert.deepEqual(Object.keys(DEFAULT_OPTIONS), [...OPTION_KEYS]);
  assert.equal(DEFAULT_OPTIONS.gamma, 2);
  assert.equal(DEFAULT_OPTIONS.alpha, null);
  assert.equal(DEFAULT_OPTIONS.useSoftmax, false);
  assert.equal(DEFAULT_OPTIONS.lambdaFocal, 1);
  assert.equal(DEFAULT_OPTIONS.tverskyAlpha, 0.5);
  assert.equal(DEFAULT_OPTIONS.tverskyBeta, 0.5);
  assert.equal(DEFAULT_OPTIONS.wType, 'square');
  assert.equal(DEFAULT_OPTIONS.classAxis, 1);
  assert.equal(DEFAULT_OPTIONS.shiftLabels, false);
  assert.deepEqual(resolveOptions({}), DEFAULT_OPTIONS);
});

test('every option has a CLI flag that sets it, listed in the help', () => {
  for (const s of SPECS) {
    const flag = `--${optionFlag(s.key)}`;
    assert.ok(REPORT_USAGE.includes(s.type === "boolean" ? `--[no-]${optionFlag(s.key)}` : flag), `${flag} in the help`);
    const { text, value } = otherValue(s);
    const args = s.type === 'boolean' ? [value ? flag : `--no-${optionFlag(s.key)}`] : [flag, text];
    const a = parseReportArgs(['l.npy', 't.npy', ...args]);
    assert.ok(a !== 'help');
    const o = resolveOptions(a.options);
    assert.deepEqual(o[s.key as keyof typeof o], value, flag);
    // `--flag=value` works for every option too
    const b = parseReportArgs(['l.npy', 't.npy', `${flag}=${text}`]);
    assert.ok(b !== 'help');
    assert.deepEqual(resolveOptions(b.options)[s.key as keyof typeof o], value, `${flag}=`);
  }
});

test('validation: each bad value is refused naming its option', () => {
  const bad: Record<string, unknown> = {
    loss: 'focalx', labelSmoothing: 1.5, weight: [1, -1], ignoreIndex: 1.5, reduction: 'none', includeBackground: 'yes',
    smoothNr: 'x', lambdaDice: -1, lambdaCe: -0.5, gamma: 'two', alpha: 'a', useSoftmax: 2, lambdaFocal: -1,
    tverskyAlpha: Infinity, tverskyBeta: null, wType: 'cube', classAxis: 0, shiftLabels: 'maybe',
  };
  for (const [k, v] of Object.entries(bad)) {
    assert.throws(() => resolveOptions({ [k]: v }), (e: unknown) => e instanceof LossInputError && e.option === k && e.message.includes(k), k);
  }
  assert.throws(() => resolveOptions({ lambdaFocal: -1 }), /lambda_focal should be no less than 0\.0/);
  assert.throws(() => resolveOptions({ gammma: 2 }), /unknown option 'gammma'/);
  assert.equal(resolveOptions({ alpha: 0.25 }).alpha, 0.25);
  assert.equal(resolveOptions({ alpha: null }).alpha, null);
  assert.equal(resolveOptions({ wType: 'simple' }).wType, 'simple');
});

test('analysis keyword mapping comes from the schema, per constructor (MONAI 1.5 names)', () => {
  assert.deepEqual(pythonKeysFor('DiceFocalLoss'), {
    include_background: 'includeBackground', to_onehot_y: 'toOnehotY', sigmoid: 'sigmoid', softmax: 'softmax', squared_pred: 'squaredPred',
    jaccard: 'jaccard', reduction: 'reduction', smooth_nr: 'smoothNr', smooth_dr: 'smoothDr', batch: 'batch', gamma: 'gamma',
    weight: 'weight', lambda_dice: 'lambdaDice', lambda_focal: 'lambdaFocal', alpha: 'alpha',
  });
  assert.equal(pythonKeysFor('TverskyLoss').alpha, 'tverskyAlpha');
  assert.equal(pythonKeysFor('TverskyLoss').beta, 'tverskyBeta');
  assert.equal(pythonKeysFor('TverskyLoss').weight, undefined);
  assert.equal(pythonKeysFor('GeneralizedDiceFocalLoss').lambda_gdl, 'lambdaDice');
  assert.equal(pythonKeysFor('GeneralizedDiceFocalLoss').alpha, undefined);
  assert.equal(pythonKeysFor('GeneralizedDiceLoss').w_type, 'wType');
  assert.equal(pythonKeysFor('FocalLoss').use_softmax, 'useSoftmax');
  assert.equal(pythonKeysFor('FocalLoss').sigmoid, undefined);
  assert.equal(pythonKeysFor('BCEWithLogitsLoss').weight, undefined, "BCE's weight is an element weight, not a class weight");
  assert.equal(pythonNameFor('lambdaDice', 'GeneralizedDiceFocalLoss'), 'lambda_gdl');
  assert.deepEqual(specFor('DiceCELoss').keys, pythonKeysFor('DiceCELoss'));
  // every mapped parameter is one the constructor has
  for (const loss of ['DiceCELoss', 'DiceLoss', 'DiceFocalLoss', 'GeneralizedDiceLoss', 'CrossEntropyLoss', 'NLLLoss'] as const) {
    for (const p of Object.keys(specFor(loss).keys)) assert.ok(specFor(loss).params.includes(p), `${loss}(${p})`);
  }
});
