import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoInsights } from '../../src/cli/demoInsights.js';
import { loadConfig } from '../../src/config.js';
import { untrainedModelFolder } from '../helpers/integration.js';

describe('the demo insights', () => {
  it('summarise the replayed events with the demo model and write the HTML report', async () => {
    const actions = ['view', 'cart', 'fav', 'purchase'];
    const folder = await untrainedModelFolder(actions);
    const config = loadConfig({ SEQSCORE_MODEL_DIR: folder });
    const reportPath = join(mkdtempSync(join(tmpdir(), 'seqscore-demo-')), 'insights.html');
    const insights = await demoInsights(
      {
        config,
        events: { kind: 'synthetic', options: { users: 30, events: 600, seed: 5 } },
        modelVersion: 'untrained',
        eventsSent: 600,
        scored: 600,
        deadLettered: 0,
        startedAtMs: 0,
        endedAtMs: 1,
      },
      reportPath,
    );
    expect(insights.reportPath).toBe(reportPath);
    expect(insights.summary[0]).toMatch(/^funnel +view \d+ -> cart \d+ -> purchase \d+ users/);
    expect(insights.summary[1]).toMatch(/^segments +k = \d+: /);
    expect(readFileSync(reportPath, 'utf8')).toContain('<svg');
  }, 60_000);
});
