/**
 * Readable in every theme: in real Chromium, with the variables of VS Code's Dark Modern, Light Modern, High
 * Contrast and Light High Contrast themes, every visible text of the comparison view and the tensor editor
 * has a contrast of at least 4.5:1 against the background it is painted on (composited from the computed
 * styles of its ancestors), and every chart series at least 3:1 (WCAG 2's text and non-text thresholds).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { statSync } from 'node:fs';
import { TensorWorkerService } from '../../src/worker/service';
import { Harness, repoRoot, type ViewPage } from './harness';
import { sampleSlice, sampleState } from './fixtures';
import type { ThemeName } from './themes';

const THEMES: ThemeName[] = ['dark', 'light', 'high-contrast', 'high-contrast-light'];

interface Finding {
  what: string;
  ratio: number;
  /** 4.5 for text, 3 for a chart series. */
  min: number;
  color: string;
  background: string;
}

/** Runs in the page: every text element and chart series with its contrast, from computed styles. */
function measure(): Finding[] {
  const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
  const rgba = (c: string): [number, number, number, number] => {
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = '#000';
    probe.fillStyle = c;
    probe.fillRect(0, 0, 1, 1);
    const d = probe.getImageData(0, 0, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!, d[3]! / 255];
  };
  const lum = ([r, g, b]: number[]) => {
    const l = (c: number) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * l(r!) + 0.7152 * l(g!) + 0.0722 * l(b!);
  };
  const ratio = (a: number[], b: number[]) => {
    const x = lum(a);
    const y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const over = (top: number[], bottom: number[]) => [0, 1, 2].map((i) => top[i]! * top[3]! + bottom[i]! * (1 - top[3]!));
  /** The opaque colour behind `e`: its ancestors' backgrounds composited from the page's down. */
  const backgroundOf = (e: Element): number[] => {
    const layers: number[][] = [];
    for (let n: Element | null = e; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3]! > 0) layers.push(c);
      if (c[3]! >= 1) break;
    }
    let bg = rgba(getComputedStyle(document.body).getPropertyValue('--vscode-editor-background') || '#fff').slice(0, 3);
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const hex = (c: number[]) => `rgb(${c.slice(0, 3).map((x) => Math.round(x)).join(',')})`;
  const out: Finding[] = [];
  const visible = (e: Element) => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    for (let n: Element | null = e; n; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0) return false;
    }
    return !e.closest('[aria-disabled="true"], [disabled]');
  };
  for (const e of document.body.querySelectorAll('*')) {
    const text = [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
    if (!text || !visible(e)) continue;
    const bg = backgroundOf(e);
    const fg = over(rgba(getComputedStyle(e).color), bg);
    const what = `${e.tagName.toLowerCase()}${(e as HTMLElement).dataset.testid ? `[${(e as HTMLElement).dataset.testid}]` : ''}.${[...e.classList].join('.')} "${(e.textContent ?? '').trim().slice(0, 24)}"`;
    out.push({ what, ratio: ratio(fg, bg), min: 4.5, color: hex(fg), background: hex(bg) });
  }
  for (const c of document.querySelectorAll<HTMLCanvasElement>('canvas[data-series-colors]')) {
    if (!visible(c)) continue;
    const bg = backgroundOf(c);
    for (const s of JSON.parse(c.dataset.seriesColors!) as string[]) {
      const fg = over(rgba(s), bg);
      out.push({ what: `series ${s} of canvas[${c.dataset.testid ?? ''}]`, ratio: ratio(fg, bg), min: 3, color: hex(fg), background: hex(bg) });
    }
  }
  return out;
}

function assertReadable(found: Finding[], where: string): void {
  assert.ok(found.length > 40, `${where}: measured ${found.length} texts and series`);
  const bad = found.filter((f) => f.ratio < f.min - 1e-9);
  assert.deepEqual(bad.map((f) => `${f.what}: ${f.ratio.toFixed(2)} < ${f.min} (${f.color} on ${f.background})`), [], `${where}: below the threshold`);
}

describe('contrast in four themes (Chromium)', () => {
  let h: Harness;
  const pages: ViewPage[] = [];
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const p of pages) await p.close();
    await h?.close();
  });

  for (const theme of THEMES) {
    test(`comparison view, ${theme}: text ≥ 4.5:1, chart series ≥ 3:1`, async () => {
      const state = sampleState();
      const v = await h.open('comparison', theme);
      pages.push(v);
      await v.waitFor((m) => m.type === 'ready');
      await v.push({ type: 'init', view: 'comparison', state });
      const req = await v.nextRequest('slice');
      await v.respond(req.id, sampleSlice(state.options, req.params));
      await v.page.waitForSelector('[data-testid="slice-viewer"][data-drawn]');
      await v.page.waitForSelector('canvas[data-series-colors]');
      assertReadable(await v.page.evaluate(measure), `comparison/${theme}`);
    });

    test(`tensor editor, ${theme}: text ≥ 4.5:1, chart series ≥ 3:1`, async () => {
      const service = new TensorWorkerService();
      const fsPath = join(repoRoot, 'test', 'fixtures', 'corpus', 'nifti', 'labels_int16.nii.gz');
      const st = statSync(fsPath);
      const file = { uri: `file://${fsPath}`, fileName: basename(fsPath), mtime: st.mtimeMs, size: st.size, fsPath };
      const state = await service.describe({ file }, () => {});
      const v = await h.open('tensorFile', theme);
      pages.push(v);
      await v.waitFor((m) => m.type === 'ready');
      await v.push({ type: 'init', view: 'tensorFile', state });
      const req = await v.nextRequest('heatmap');
      await v.respond(req.id, await service.heatmap({ file, request: req.params }, () => {}));
      await v.page.waitForSelector('[data-testid="heatmap"][data-drawn]');
      assertReadable(await v.page.evaluate(measure), `tensorFile/${theme}`);
    });
  }
});
