import { test } from 'node:test';
import { Harness } from './harness';
import { computeReportAndSweep, resolveOptions } from '../../src/engine/index';
import { readTensorFile } from '../../src/readers/index';
import { readFileSync } from 'node:fs';
import { reportForView } from '../../src/protocol/classPage';
test('probe', async () => {
  const lg = readTensorFile(new Uint8Array(readFileSync('/tmp/lmview/lm_logits.safetensors')), 'lm_logits.safetensors').tensors[0]!.tensor;
  const tg = readTensorFile(new Uint8Array(readFileSync('/tmp/lmview/lm_labels.npy')), 'lm_labels.npy').tensors[0]!.tensor;
  const options = resolveOptions({ loss: 'ce', labelSmoothing: 0.1, classAxis: -1, shiftLabels: true });
  let t = performance.now();
  const { report, sweep } = computeReportAndSweep(lg, tg, options);
  console.log('compute single-thread ms', performance.now() - t);
  t = performance.now();
  const v = reportForView(report);
  console.log('reportForView ms', performance.now() - t, 'full JSON', JSON.stringify(report).length, 'view JSON', JSON.stringify(v.report).length);
  const state = { logits: { uri: 'file:///a', key: 'logits', label: 'a' }, target: { uri: 'file:///b', key: '', label: 'b' }, options, classTable: v.table!, report: process.env.CUT ? { ...v.report, perClass: v.report.perClass!.slice(0, Number(process.env.CUT)), topConfusions: process.env.NOCONF ? [] : v.report.topConfusions } : v.report, sweep, classNames: null, volume: null, timings: { readMs: 1, computeMs: 1 } };
  const h = await Harness.start();
  const p = await h.open('comparison', 'dark'); p.page.on('console', (m) => { if (m.text().startsWith('PROBE')) console.log(m.text()); });
  await p.waitFor((m) => m.type === 'ready');
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    await p.push({ type: i === 0 ? 'init' : 'update', ...(i === 0 ? { view: 'comparison' } : {}), state } as never);
    await p.page.waitForFunction((n) => document.getElementById('root')?.dataset.rendered === String(n), i + 1);
    console.log('render ms', performance.now() - t);
  }
  await p.close(); await h.close();
});
