import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Query } from './promql.js';

/** The files under deploy/, read as Grafana, Prometheus, compose and Kubernetes read them. */

export const DEPLOY_DIR = join(import.meta.dirname, '../../deploy');
export const PROMETHEUS_DIR = join(DEPLOY_DIR, 'prometheus');

export interface Panel {
  id: number;
  title?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  type: string;
  datasource?: { uid?: string };
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query: string | { query: string } }[] };
}

export interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

export interface ScrapeConfig {
  job_name: string;
  [field: string]: unknown;
}

export interface PrometheusConfig {
  global: Record<string, unknown>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

export function readDeployYaml<T>(path: string): T {
  // Merge keys (`<<: *anchor`) are YAML 1.1, which the compose file uses as compose reads it.
  return parse(readFileSync(join(DEPLOY_DIR, path), 'utf8'), { merge: true }) as T;
}

function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(DEPLOY_DIR, 'grafana/dashboards/seqscore.json'), 'utf8')) as Dashboard;
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** The dashboard's panels that show data (rows left out), nested ones included. */
export function dashboardPanels(): Panel[] {
  return allPanels(readDashboard().panels).filter((panel) => panel.type !== 'row');
}

/** Every query of the dashboard: panel targets and variable queries. */
export function dashboardQueries(): Query[] {
  const panelQueries = dashboardPanels().flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}"`,
      expr: target.expr ?? '',
      grafana: true,
    })),
  );
  const variableQueries = readDashboard().templating.list.map((variable) => ({
    where: `variable $${variable.name}`,
    expr: typeof variable.query === 'string' ? variable.query : variable.query.query,
    grafana: true,
  }));
  return [...panelQueries, ...variableQueries];
}

export function ruleQueries(): Query[] {
  return readDeployYaml<RuleFile>('prometheus/alerts.yml').groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
  );
}
