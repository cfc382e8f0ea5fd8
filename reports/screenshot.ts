// Screenshots of an HTML report in headless Chromium (Debian's chromium through playwright-core), offline, from
// file://: for looking at the report at a desktop and a phone width, and for the README's picture of the sample.
//   node dist/reports/screenshot.js <report.html> <out.png> [--width 1280] [--full] [--clip findings,headline] [--hide 'css;css']
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const CHROMIUM = process.env['IPCBENCH_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ShotOptions {
  width: number;
  /** The whole page (else the first screen). */
  full?: boolean;
  /** Element ids: the shot spans from the top of the first to the bottom of the last. */
  clip?: string[];
  /** CSS selectors hidden before the shot (e.g. all but the first findings, for a small picture). */
  hide?: string[];
}

export async function screenshot(html: string, png: string, o: ShotOptions): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (apt-get install chromium, or set IPCBENCH_CHROMIUM)`);
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'ipcbench-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: o.width, height: 900 },
    deviceScaleFactor: o.width < 600 ? 2 : 1,
  });
  try {
    const page = await context.newPage();
    await page.goto(`file://${resolve(html)}`, { timeout: 180_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((e) => e.hasAttribute('data-rendered')), null, { timeout: 120_000 });
    if (o.hide?.length) await page.addStyleTag({ content: `${o.hide.join(',')}{display:none!important}` });
    if (o.clip?.length) {
      const box = await page.evaluate((ids) => {
        const rects = ids.map((id) => document.getElementById(id)?.getBoundingClientRect()).filter((r): r is DOMRect => !!r);
        if (!rects.length) return undefined;
        const top = Math.min(...rects.map((r) => r.top)) + window.scrollY;
        const bottom = Math.max(...rects.map((r) => r.bottom)) + window.scrollY;
        const right = Math.max(...rects.map((r) => r.right));
        return { x: 0, y: Math.max(0, top - 8), width: Math.min(document.documentElement.scrollWidth, right + 24), height: bottom - top + 16 };
      }, o.clip);
      if (!box) throw new Error(`none of ${o.clip.join(', ')} is in the page`);
      await page.screenshot({ path: png, clip: box, fullPage: true, timeout: 180_000 });
    } else await page.screenshot({ path: png, fullPage: Boolean(o.full), timeout: 180_000 });
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { width: { type: 'string', default: '1280' }, full: { type: 'boolean' }, clip: { type: 'string' }, hide: { type: 'string' } },
  });
  if (positionals.length !== 2) {
    process.stderr.write('usage: screenshot <report.html> <out.png> [--width 1280] [--full] [--clip id,id]\n');
    process.exitCode = 2;
    return;
  }
  const width = Number(values.width);
  if (!Number.isInteger(width) || width < 200) {
    process.stderr.write(`screenshot: bad --width ${values.width}\n`);
    process.exitCode = 2;
    return;
  }
  await screenshot(positionals[0]!, positionals[1]!, {
    width,
    full: values.full,
    clip: values.clip?.split(',').filter(Boolean),
    hide: values.hide?.split(';').filter(Boolean),
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((err: unknown) => {
    process.stderr.write(`screenshot: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
