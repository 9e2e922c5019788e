import { beforeAll, describe, expect, it } from 'vitest';
import { histogram, type InsightsReport, renderInsightsHtml } from '../../src/insights/insightsReport.js';
import { initBackend } from '../../src/model/backend.js';
import { syntheticReport } from './fixtures.js';

let report: InsightsReport;
beforeAll(async () => {
  await initBackend('cpu', 'training');
  report = syntheticReport();
});

describe('insights report', () => {
  it('holds every part, for every user', () => {
    expect(report.patterns.summary.users).toBe(60);
    expect(report.segments.users).toBe(60);
    expect(report.segments.segments.reduce((sum, s) => sum + s.size, 0)).toBe(60);
    expect(report.segmentsSource).toBe('fitted');
    expect(report.scores.churn.counts.reduce((a, b) => a + b, 0)).toBe(60);
    expect(report.scores.predicted.reduce((sum, p) => sum + p.users, 0)).toBe(60);
    expect(report.examples).toHaveLength(2);
    expect(report.examples[0]?.explanation.events.length).toBeGreaterThan(1);
    expect(report.patterns.funnel.stages.map((s) => s.action)).toEqual(['view', 'cart', 'purchase']);
  });

  it('renders one self-contained page with the funnel numbers and SVG charts', () => {
    const html = renderInsightsHtml(report);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|src=|href=/);
    for (const stage of report.patterns.funnel.stages)
      expect(html).toContain(`<span class="funnel-count">${stage.count.toLocaleString('en-US')}</span>`);
    expect(html).toContain('class="heatmap"');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(8);
    // The model version has angle brackets: they must be escaped.
    expect(html).toContain('gru-&lt;untrained&gt;');
    expect(html).not.toContain('gru-<untrained>');
  });

  it('refuses a funnel stage the model does not know', async () => {
    const { buildInsights } = await import('../../src/insights/insightsReport.js');
    const { tinyModel } = await import('./fixtures.js');
    const model = tinyModel();
    expect(() =>
      buildInsights({ model, metadata: {} as never }, [], {
        funnel: ['view', 'checkout'],
        segmentOptions: { seed: 1 },
        profileHalfLifeMs: 1,
        topK: 1,
      }),
    ).toThrow(/"checkout" is not in the model's actions/);
    model.dispose();
  });
});

describe('score histogram', () => {
  it('scales its range to the largest probability', () => {
    expect(histogram([0.0015, 0.0035, 0.0099])).toEqual({
      upper: 0.01,
      counts: [0, 1, 0, 1, 0, 0, 0, 0, 0, 1],
    });
    expect(histogram([0.3, 1]).upper).toBe(1);
    expect(histogram([0.3, 1]).counts[9]).toBe(1);
  });
});
