import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInsightsHtml } from '../../src/insights/insightsReport.js';
import { initBackend } from '../../src/model/backend.js';
import { syntheticReport } from './fixtures.js';

/** Debian's chromium, or the browser SEQSCORE_CHROMIUM names. */
function chromiumPath(): string {
  const named = process.env.SEQSCORE_CHROMIUM;
  if (named) return named;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'no chromium: install it (apt-get install chromium) or set SEQSCORE_CHROMIUM to a Chromium binary',
    );
  }
}

describe('insights report in a headless browser', () => {
  let browser: Browser;
  const folder = mkdtempSync(join(tmpdir(), 'seqscore-insights-'));
  const page = join(folder, 'report.html');
  let report: ReturnType<typeof syntheticReport>;

  beforeAll(async () => {
    await initBackend('cpu', 'training');
    report = syntheticReport();
    writeFileSync(page, renderInsightsHtml(report));
    // Running as root (CI containers) needs --no-sandbox.
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders without console errors, shows the funnel and charts, and is screenshotted', async () => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    tab.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    tab.on('pageerror', (error) => problems.push(error.message));
    const requests: string[] = [];
    tab.on('request', (request) => requests.push(request.url()));
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });

    expect(await tab.title()).toBe('seqscore insights');
    const counts = await tab.locator('table.funnel .funnel-count').allTextContents();
    expect(counts).toEqual(report.patterns.funnel.stages.map((s) => s.count.toLocaleString('en-US')));
    for (const id of ['funnel', 'segments', 'transitions', 'sequences', 'sessions', 'scores', 'examples'])
      expect(await tab.locator(`h2#${id}`).isVisible()).toBe(true);
    expect(await tab.locator('svg.heatmap rect').count()).toBe(
      report.patterns.transitions.actions.length ** 2,
    );
    const charts = await tab.locator('svg').count();
    expect(charts).toBeGreaterThanOrEqual(8);
    // Every chart is drawn with a real size, not collapsed.
    const boxes = await tab
      .locator('svg')
      .evaluateAll((svgs) =>
        svgs.map((svg) => svg.getBoundingClientRect()).map((box) => box.width * box.height),
      );
    expect(boxes.every((area) => area > 1000)).toBe(true);
    // Self-contained: the page itself is the only request.
    expect(requests).toEqual([pathToFileURL(page).href]);
    expect(problems).toEqual([]);

    const screenshot = join(folder, 'report.png');
    await tab.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    console.log(`insights report screenshot: ${screenshot}`);
    await tab.close();
  });
});
