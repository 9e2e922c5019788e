import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createTrainerMetrics } from '../../src/metrics/trainerMetrics.js';
import { exportedSeriesNames, PROMETHEUS_SERIES, type Query, unknownMetrics } from '../helpers/promql.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');

interface Panel {
  title?: string;
  type: string;
  datasource?: { uid?: string };
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: string | { query: string } }[] };
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

function readYaml<T>(path: string): T {
  return parse(readFileSync(join(DEPLOY, path), 'utf8')) as T;
}

const dashboard = JSON.parse(
  readFileSync(join(DEPLOY, 'grafana/dashboards/seqscore.json'), 'utf8'),
) as Dashboard;
const rules = readYaml<RuleFile>('prometheus/alerts.yml');
const scrape = readYaml<{ scrape_configs: { job_name: string }[] }>('prometheus/prometheus.yml');

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

const graphPanels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');

function dashboardQueries(): Query[] {
  const panelQueries = graphPanels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}"`,
      expr: target.expr ?? '',
      grafana: true,
    })),
  );
  const variableQueries = dashboard.templating.list.map((variable) => ({
    where: `variable $${variable.name}`,
    expr: typeof variable.query === 'string' ? variable.query : variable.query.query,
    grafana: true,
  }));
  return [...panelQueries, ...variableQueries];
}

function ruleQueries(): Query[] {
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
  );
}

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
    const datasources = readYaml<{ datasources: { uid: string }[] }>(
      'grafana/provisioning/datasources/prometheus.yml',
    );
    const uids = datasources.datasources.map((source) => source.uid);
    expect(graphPanels.length).toBeGreaterThan(10);
    for (const panel of graphPanels) {
      expect(panel.targets?.length, `panel "${panel.title}"`).toBeGreaterThan(0);
      expect(uids, `panel "${panel.title}"`).toContain(panel.datasource?.uid);
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
    const jobs = scrape.scrape_configs.map((config) => config.job_name);
    const selected = [...dashboardQueries(), ...ruleQueries()].flatMap(({ expr }) =>
      [...expr.matchAll(/\bjob="([^"]+)"/g)].map((match) => match[1]),
    );
    expect(selected.length).toBeGreaterThan(0);
    for (const job of selected) expect(jobs).toContain(job);
  });
});
