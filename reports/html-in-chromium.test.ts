// Opens a generated report in a real browser (Debian's chromium through playwright-core, offline, from file://)
// and checks that every chart drew marks and that nothing was logged as an error or fetched from the network.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSyntheticResult } from './fixtures/synthetic.js';
import { writeReport } from './report.js';
import { tempDir } from './test-support.js';

const CHROMIUM = process.env['IPCBENCH_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium, or set IPCBENCH_CHROMIUM)`;

test(
  'the HTML report renders every chart in headless Chromium with no console errors and no network, and its tables read without JavaScript',
  { skip, timeout: 120_000 },
  async (t) => {
    const { chromium } = await import('playwright-core');
    const dir = tempDir(t);
    const common = { transports: ['pipe', 'unix-stream', 'shm'], sizes: [64, 4096], subscribers: [1, 4], repetitions: 4, histogramSamples: 50 };
    const a = await writeSyntheticResult(join(dir, 'a.json'), { ...common, seed: 1, runId: 'night-1' });
    const b = await writeSyntheticResult(join(dir, 'b.json'), { ...common, seed: 2, runId: 'night-2', unavailable: { kdbus: 'module not loaded' } });
    const [html] = await writeReport([a, b], { output: join(dir, 'report.html') });

    const launch = (javaScriptEnabled: boolean) => {
      const userDataDir = mkdtempSync(join(tmpdir(), 'ipcbench-chromium-'));
      t.after(() => rmSync(userDataDir, { recursive: true, force: true }));
      return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, javaScriptEnabled, args: ARGS });
    };

    const context = await launch(true);
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!/^(file|data|blob):/.test(r.url())) problems.push(`network request: ${r.url()}`);
      });
      await page.goto(`file://${html}`);
      await page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((e) => e.hasAttribute('data-rendered')), null, { timeout: 60_000 });
      const charts = await page.$$eval('[data-chart]', (els) =>
        els.map((e) => ({
          id: e.getAttribute('data-chart'),
          rendered: e.getAttribute('data-rendered'),
          surface: e.querySelector('svg, canvas') !== null,
          marks: e.querySelectorAll('svg .mark-line path, svg .mark-symbol path, svg .mark-area path, svg .mark-rect path, svg .mark-rule line').length,
        })),
      );
      assert.deepEqual(
        charts.map((c) => c.id),
        ['latency-vs-size', 'percentile-spectrum', 'throughput', 'cpu-per-call', 'broadcast', 'ratio', 'trend'],
      );
      for (const c of charts) {
        assert.equal(c.rendered, 'ok', `${c.id} rendered`);
        assert.ok(c.surface, `${c.id} has an SVG or canvas`);
        assert.ok(c.marks > 0, `${c.id} drew marks`);
      }
      const tableText = await page.textContent('table.summary');
      assert.match(tableText ?? '', /unix-stream/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }

    // Without JavaScript the tables are all there and the page says the charts need it.
    const noJs = await launch(false);
    try {
      const page = await noJs.newPage();
      await page.goto(`file://${html}`);
      assert.match((await page.textContent('table.summary')) ?? '', /pipe/);
      assert.match((await page.textContent('#transports + .scroll')) ?? '', /kdbus.*module not loaded/s);
      assert.match((await page.textContent('body')) ?? '', /JavaScript is off: the tables below are complete/);
      assert.match((await page.textContent('body')) ?? '', /Trend: p50 latency/);
    } finally {
      await noJs.close();
    }
  },
);
