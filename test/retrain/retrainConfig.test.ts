import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('retraining configuration', () => {
  it('has documented defaults and no registry unless one is named', () => {
    const config = loadConfig({});
    expect(config.registry).toBeUndefined();
    expect(config.retrain).toEqual({
      schedule: { everyMs: 86_400_000 },
      attempts: 3,
      windowMs: 7 * 86_400_000,
      promotion: { metrics: ['next_action_f1', 'next_item_hit_rate_at_10', 'churn_auc'], tolerance: 0.005 },
    });
  });

  it('reads the registry, the schedule and the promotion rule', () => {
    const config = loadConfig({
      SEQSCORE_REGISTRY_DIR: 'models',
      SEQSCORE_MODEL_POLL_INTERVAL: '5s',
      SEQSCORE_RETRAIN_CRON: '0 3 * * *',
      SEQSCORE_TRAIN_WINDOW: '3d',
      SEQSCORE_PROMOTE_METRICS: 'next_action_log_loss, churn_brier',
      SEQSCORE_PROMOTE_TOLERANCE: '0.02',
    });
    expect(config.registry).toEqual({ dir: 'models', pollIntervalMs: 5_000 });
    expect(config.retrain.schedule).toEqual({ cron: '0 3 * * *' });
    expect(config.retrain.windowMs).toBe(3 * 86_400_000);
    expect(config.retrain.promotion).toEqual({
      metrics: ['next_action_log_loss', 'churn_brier'],
      tolerance: 0.02,
    });
  });

  it('refuses both schedules at once, unknown metrics and a cut-off other than SEQSCORE_TOP_K', () => {
    expect(() => loadConfig({ SEQSCORE_RETRAIN_EVERY: '1h', SEQSCORE_RETRAIN_CRON: '0 * * * *' })).toThrow(
      /SEQSCORE_RETRAIN_EVERY: set SEQSCORE_RETRAIN_EVERY or SEQSCORE_RETRAIN_CRON, not both/,
    );
    expect(() => loadConfig({ SEQSCORE_PROMOTE_METRICS: 'next_action_f1,happiness' })).toThrow(
      /SEQSCORE_PROMOTE_METRICS.1: unknown metric/,
    );
    expect(() => loadConfig({ SEQSCORE_PROMOTE_METRICS: 'next_item_ndcg_at_20' })).toThrow(ConfigError);
    expect(
      loadConfig({ SEQSCORE_PROMOTE_METRICS: 'next_item_ndcg_at_20', SEQSCORE_TOP_K: '20' }).retrain.promotion
        .metrics,
    ).toEqual(['next_item_ndcg_at_20']);
  });
});
