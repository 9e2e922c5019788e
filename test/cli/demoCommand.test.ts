import { describe, expect, it } from 'vitest';
import { formatInsights } from '../../src/cli/demoCommand.js';

describe('the insights at the end of the demo', () => {
  it('prints the summary lines under a heading, then the path of the HTML report', () => {
    expect(
      formatInsights({
        summary: ['top next action   view (81%)', 'churn risk > 0.5  12% of users'],
        reportPath: '.seqscore/insights/report.html',
      }),
    ).toEqual([
      '',
      'insights',
      '  top next action   view (81%)',
      '  churn risk > 0.5  12% of users',
      '  report           .seqscore/insights/report.html',
    ]);
  });
});
