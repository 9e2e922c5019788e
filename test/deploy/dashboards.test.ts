import { beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createTrainerMetrics } from '../../src/metrics/trainerMetrics.js';
import {
  dashboardPanels,
  dashboardQueries,
  type PrometheusConfig,
  readDeployYaml,
  ruleQueries,
} from '../helpers/deployFiles.js';
import { exportedSeriesNames, PROMETHEUS_SERIES, unknownMetrics } from '../helpers/promql.js';

describe('dashboard and alert rules against the exported metrics', () => {
  let known: Set<string>;

  beforeAll(async () => {
    known = new Set([
      ...(await exportedSeriesNames(createMetrics().registry)),
      ...(await exportedSeriesNames(createTrainerMetrics().registry)),
      ...PROMETHEUS_SERIES,
    ]);
  });

  it('has a query in every panel, on the provisioned Prometheus data source', () => {
    const datasources = readDeployYaml<{ datasources: { uid: string }[] }>(
      'grafana/provisioning/datasources/prometheus.yml',
    );
    const uids = datasources.datasources.map((source) => source.uid);
    const panels = dashboardPanels();
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.targets?.length, `panel "${panel.title}"`).toBeGreaterThan(0);
      expect(uids, `panel "${panel.title}"`).toContain(panel.datasource?.uid);
    }
  });

  it('lays the panels out on the 24-column grid without overlaps, each with its own id', () => {
    const panels = dashboardPanels();
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of panels) {
      expect(gridPos.x + gridPos.w, `panel "${title}"`).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `panel "${title}" overlaps another at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('names only metrics the worker or the trainer exports', () => {
    expect(unknownMetrics(dashboardQueries(), known)).toEqual([]);
    expect(unknownMetrics(ruleQueries(), known)).toEqual([]);
  });

  it('shows every seqscore_ metric in the dashboard', () => {
    // A histogram counts as shown when any of its _bucket, _sum or _count series is.
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    const shown = new Set(
      unknownMetrics(dashboardQueries(), new Set()).map((hit) => base(hit.split(': ')[1] ?? '')),
    );
    expect([...known].filter((name) => name.startsWith('seqscore_') && !shown.has(base(name)))).toEqual([]);
  });

  it('selects only the jobs prometheus.yml scrapes', () => {
    const jobs = readDeployYaml<PrometheusConfig>('prometheus/prometheus.yml').scrape_configs.map(
      (config) => config.job_name,
    );
    const selected = [...dashboardQueries(), ...ruleQueries()].flatMap(({ expr }) =>
      [...expr.matchAll(/\bjob="([^"]+)"/g)].map((match) => match[1]),
    );
    expect(selected.length).toBeGreaterThan(0);
    for (const job of selected) expect(jobs).toContain(job);
  });
});
