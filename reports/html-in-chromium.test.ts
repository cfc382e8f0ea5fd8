// Opens a generated report in a real browser (Debian's chromium through playwright-core, offline, from file://)
// and checks what a reader relies on: every chart drew marks, nothing was logged as an error or fetched from the
// network, the Findings come first and each carries a number and an environment, no chart panel has more than 8
// series, a transport has the same colour in every chart, the emulated environment is named on each of its
// panels, the tables sort and filter, the page fits a 390 px phone, and everything but the charts reads without
// JavaScript.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { transportColours } from './families.js';
import { writeSyntheticResult } from './fixtures/synthetic.js';
import { writeReport } from './report.js';
import { CHROMIUM, CHROMIUM_ARGS } from './screenshot.js';
import { tempDir } from './test-support.js';

const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium, or set IPCBENCH_CHROMIUM)`;

/** Ten transports the registry does not know: the "other" family must be split into panels of at most 8. */
const UNKNOWN = Array.from({ length: 10 }, (_, i) => `future-${i}`);

interface Panel {
  title: string;
  lineColours: string[];
  legend: { label: string; colour: string; title: string }[];
}

test(
  'the HTML report in headless Chromium: findings first, readable charts, sortable tables, phone width, offline, and tables without JavaScript',
  { skip, timeout: 600_000 },
  async (t) => {
    const { chromium } = await import('playwright-core');
    const dir = tempDir(t);
    const common = { sizes: [64, 4096], subscribers: [1, 4], repetitions: 5, histogramSamples: 50 };
    const host = ['pipe', 'unix-stream', 'shm', 'dbus-p2p', 'dbus-daemon', 'dbus-broker', ...UNKNOWN];
    const a = await writeSyntheticResult(join(dir, 'a.json'), { ...common, transports: host, seed: 1, runId: 'night-1' });
    const b = await writeSyntheticResult(join(dir, 'b.json'), {
      ...common,
      transports: host,
      seed: 2,
      runId: 'night-2',
      unavailable: { kdbus: 'module not loaded' },
      ciTarget: 0.5, // every host case meets it
    });
    const lab = await writeSyntheticResult(join(dir, 'lab.json'), {
      ...common,
      env: 'lab-tcg',
      transports: ['pipe', 'unix-stream', 'dbus-daemon', 'dbus-broker', 'binder', 'kdbus'],
      seed: 3,
      runId: 'lab-1',
      ciTarget: 0.001, // no lab case meets it: each is flagged
    });
    const [html] = await writeReport([a, b, lab], { output: join(dir, 'report.html') });

    const launch = async (javaScriptEnabled: boolean, width = 1280) => {
      const userDataDir = mkdtempSync(join(tmpdir(), 'ipcbench-chromium-'));
      t.after(() => rmSync(userDataDir, { recursive: true, force: true }));
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        javaScriptEnabled,
        args: CHROMIUM_ARGS,
        viewport: { width, height: 900 },
      });
      // The machine may be loaded: give every step time; correctness, not speed, is what this test checks.
      context.setDefaultTimeout(180_000);
      return context;
    };
    const watch = (page: import('playwright-core').Page, problems: string[]) => {
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!/^(file|data|blob):/.test(r.url())) problems.push(`network request: ${r.url()}`);
      });
    };
    const rendered = (page: import('playwright-core').Page) =>
      page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((e) => e.hasAttribute('data-rendered')), null, { timeout: 180_000 });

    const context = await launch(true);
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      watch(page, problems);
      await page.goto(`file://${html}`, { timeout: 180_000 });
      await rendered(page);
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
        ['headline', 'latency-vs-size', 'percentile-spectrum', 'throughput', 'cpu-per-call', 'broadcast', 'broadcast-cpu', 'ratio', 'trend'],
      );
      for (const c of charts) {
        assert.equal(c.rendered, 'ok', `${c.id} rendered`);
        assert.ok(c.surface, `${c.id} has an SVG or canvas`);
        assert.ok(c.marks > 0, `${c.id} drew marks`);
      }

      // The Findings come first, and each one states a number with its CI and the environment it holds for.
      const order = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
      assert.equal(order[0], 'Findings');
      const findings = await page.$$eval('#findings li.finding', (lis) =>
        lis.map((li) => ({
          env: li.getAttribute('data-env') ?? '',
          value: li.getAttribute('data-value'),
          text: li.textContent ?? '',
          where: li.querySelector('.where')?.textContent ?? '',
        })),
      );
      assert.ok(findings.length >= 4, `findings: ${findings.length}`);
      for (const f of findings) {
        assert.match(f.text, /\d/, f.text);
        assert.match(f.text, /95% CI \d/, f.text);
        assert.ok(f.value !== null && Number.isFinite(Number(f.value)), f.text);
        assert.ok(f.env, f.text);
        assert.match(f.where, new RegExp(`Holds for: ${f.env}\\b`), f.text);
      }
      assert.match(findings[0]!.text, /^kdbus vs the rest/, 'the suite question leads');

      // The precision flag: lab findings (every lab case missed ±0.1%) carry the badge and the mark, host ones
      // (every case met ±50%) neither; the table marks the p50 of each case that missed and says why.
      const flags = await page.$$eval('#findings li.finding', (lis) =>
        lis.map((li) => ({
          env: li.getAttribute('data-env'),
          badge: li.querySelector('.badge.imprecise')?.textContent ?? '',
          text: li.querySelector('.text')?.textContent ?? '',
        })),
      );
      for (const f of flags.filter((x) => x.env === 'lab-tcg' && !/^CPU/.test(x.text))) {
        assert.match(f.badge, /^\* \d+ cases? missed ±0\.1%$/, f.text);
        assert.match(f.text, /\)\*/, f.text);
      }
      for (const f of flags.filter((x) => x.env === 'host')) assert.equal(f.badge, '', f.text);
      assert.match((await page.textContent('#findings .missed-note')) ?? '', /^\* a case behind this figure missed/);
      const summaryRows = await page.$$eval('table.summary tbody tr', (trs) =>
        trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((c) => c.textContent ?? '')),
      );
      const labRows = summaryRows.filter((r) => r[0] === 'lab-tcg' && r[5] === 'ok');
      assert.ok(labRows.length > 0 && labRows.every((r) => / \*$/.test(r[7]!) && /missed ±0\.1%/.test(r[8]!)), 'lab rows are flagged');
      assert.ok(summaryRows.filter((r) => r[0] === 'host' && r[5] === 'ok').every((r) => !/\*/.test(r[7]!) && /met ±50%/.test(r[8]!)));
      assert.match((await page.textContent('.missed-note:not(#findings *)')) ?? '', /cases missed the run's ±0\.1% precision target/);

      // Panels: at most 8 series each, the emulated environment named on each of its panels.
      const panels = await page.$$eval('[data-chart] svg', (svgs) =>
        svgs.map((svg) => {
          const chart = svg.closest('[data-chart]')!.getAttribute('data-chart')!;
          const cell = svg.querySelector('g.cell');
          const items = cell ? [...cell.children].filter((c) => c.tagName.toLowerCase() === 'g') : [svg];
          return {
            chart,
            panels: items.map((item) => ({
              title: [...item.querySelectorAll('.role-title-text text')]
                .map((x) => (x.querySelectorAll('tspan').length ? [...x.querySelectorAll('tspan')].map((s) => s.textContent).join(' ') : x.textContent))
                .join(' '),
              lineColours: [...new Set([...item.querySelectorAll('.mark-line.role-mark path')].map((p) => p.getAttribute('stroke') ?? ''))],
              legend: [...item.querySelectorAll('.role-legend')].flatMap((lg) => {
                const title = lg.querySelector('.role-legend-title text')?.textContent ?? '';
                return [...lg.querySelectorAll('.role-legend-symbol')].map((sym) => ({
                  title,
                  colour: ((p) => {
                    const fill = p?.getAttribute('fill') ?? '';
                    return fill && fill !== 'transparent' && fill !== 'none' ? fill : (p?.getAttribute('stroke') ?? '');
                  })(sym.querySelector('path')),
                  label: sym.parentElement?.querySelector('.role-legend-label text')?.textContent ?? '',
                }));
              }),
            })),
          };
        }),
      );
      const colourOf = new Map<string, Set<string>>();
      let panelCount = 0;
      for (const c of panels) {
        for (const p of c.panels as Panel[]) {
          panelCount++;
          assert.ok(p.lineColours.length <= 8, `${c.chart} panel "${p.title}" draws ${p.lineColours.length} series`);
          const transports = p.legend.filter((l) => l.title === 'transport');
          assert.ok(transports.length <= 8, `${c.chart} panel "${p.title}" lists ${transports.length} transports`);
          assert.equal(new Set(transports.map((l) => l.colour)).size, transports.length, `${c.chart} panel "${p.title}" repeats a colour`);
          for (const l of transports) {
            if (!colourOf.has(l.label)) colourOf.set(l.label, new Set());
            colourOf.get(l.label)!.add(l.colour.toUpperCase());
          }
          if (/lab-tcg/.test(p.title)) assert.match(p.title, /emulated/, `${c.chart} panel "${p.title}" names the emulated CPU`);
        }
      }
      assert.ok(panelCount > 20, `panels: ${panelCount}`);
      assert.ok(
        panels.find((c) => c.chart === 'latency-vs-size')!.panels.some((p) => /other \(2\/2\)/.test(p.title)),
        'the 10 unknown transports are split into two panels',
      );
      const assigned = transportColours([...host, 'binder', 'kdbus']);
      for (const [label, set] of colourOf) {
        assert.equal(set.size, 1, `${label} has colours ${[...set].join(', ')}`);
        assert.equal([...set][0], assigned.get(label)!.toUpperCase(), `${label} has its assigned colour`);
      }
      assert.ok(colourOf.size >= 12, `transports in legends: ${[...colourOf.keys()].join(', ')}`);

      // Tables sort by a click on the header and filter by typed words.
      const table = page.locator('table.summary');
      await table.locator('th', { hasText: 'transport' }).locator('button').click();
      const firstCells = await table.locator('tbody tr td:nth-child(2)').allTextContents();
      assert.deepEqual(
        firstCells,
        [...firstCells].sort((x, y) => x.localeCompare(y)),
      );
      assert.equal(await table.locator('th', { hasText: 'transport' }).getAttribute('aria-sort'), 'ascending');
      const p50 = table.locator('th', { hasText: 'p50' }).first();
      await p50.locator('button').click();
      const values = (await table.locator('tbody tr td:nth-child(8)').allTextContents())
        .map((v) => parseFloat(v.replace(/,/g, '')))
        .filter((v) => !Number.isNaN(v));
      assert.deepEqual(
        values,
        [...values].sort((x, y) => x - y),
      );
      const filter = page.locator('.filter input').first();
      await filter.fill('kdbus lab-tcg');
      const visible = await table.locator('tbody tr:not([hidden])').allTextContents();
      assert.ok(visible.length > 0 && visible.every((r) => /kdbus/.test(r) && /lab-tcg/.test(r)), visible.join(' | '));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }

    // A 390 px phone: the findings (and the page) fit the width; charts and tables scroll inside their own boxes.
    const phone = await launch(true, 390);
    try {
      const page = await phone.newPage();
      const problems: string[] = [];
      watch(page, problems);
      await page.goto(`file://${html}`, { timeout: 180_000 });
      await rendered(page);
      const fit = await page.evaluate(() => {
        const f = document.getElementById('findings')!;
        const widest = Math.max(...[...f.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right));
        return { findings: f.scrollWidth - f.clientWidth, widest, page: document.documentElement.scrollWidth, viewport: window.innerWidth };
      });
      assert.equal(fit.viewport, 390);
      assert.equal(fit.findings, 0, 'no horizontal scroll inside the findings');
      assert.ok(fit.widest <= 390, `the widest part of the findings ends at ${fit.widest}px`);
      assert.ok(fit.page <= 390, `the page is ${fit.page}px wide`);
      assert.deepEqual(problems, []);
    } finally {
      await phone.close();
    }

    // Without JavaScript the findings and tables are all there and the page says the charts need it.
    const noJs = await launch(false);
    try {
      const page = await noJs.newPage();
      await page.goto(`file://${html}`, { timeout: 180_000 });
      assert.match((await page.textContent('#findings')) ?? '', /kdbus vs the rest.*95% CI/s);
      assert.match((await page.textContent('table.summary')) ?? '', /pipe/);
      assert.match((await page.textContent('table.transports')) ?? '', /kdbus.*module not loaded/s);
      assert.match((await page.textContent('body')) ?? '', /JavaScript is off: the findings and tables are complete/);
      assert.match((await page.textContent('body')) ?? '', /Trend: p50 latency/);
    } finally {
      await noJs.close();
    }
  },
);
