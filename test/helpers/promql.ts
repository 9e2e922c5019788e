import { parser } from '@prometheus-io/lezer-promql';
import type { Registry } from 'prom-client';

/**
 * Metric names in PromQL, found with the Prometheus project's own grammar (the one its web UI uses)
 * rather than with regular expressions, so function names, keywords, label names and strings are
 * never mistaken for metrics.
 */
export function metricNamesInPromQL(expr: string): string[] {
  const tree = parser.parse(expr);
  const names = new Set<string>();
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      throw new Error(`PromQL syntax error at character ${cursor.from} of: ${expr}`);
    }
    if (cursor.name === 'VectorSelector') {
      const selector = cursor.node;
      const identifier = selector.getChild('Identifier');
      if (identifier) names.add(expr.slice(identifier.from, identifier.to));
      for (const matcher of selector.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        if (!label || expr.slice(label.from, label.to) !== '__name__') continue;
        const op = matcher.getChild('MatchOp');
        const value = matcher.getChild('StringLiteral');
        if (!op || !value || expr.slice(op.from, op.to) !== '=') {
          throw new Error(`a __name__ matcher other than = cannot be checked: ${expr}`);
        }
        names.add(JSON.parse(expr.slice(value.from, value.to)) as string);
      }
    }
  } while (cursor.next());
  return [...names].sort();
}

/** Grafana's range and interval variables, replaced by a duration so the query parses as PromQL. */
const GRAFANA_DURATIONS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

/**
 * The PromQL a Grafana Prometheus query evaluates: a panel expression, or the series selector of a
 * variable query such as `label_values(metric, label)` or `query_result(expr)` (undefined for
 * `label_values(label)`, which names no metric). Dashboard variables such as `$instance` may only
 * appear inside label matcher strings; `metrics(regex)` and `label_names()` cannot be checked.
 */
export function grafanaQueryToPromQL(query: string): string | undefined {
  const promql = query.replace(GRAFANA_DURATIONS, '5m').trim();
  const labelValues = /^label_values\((.*)\)$/s.exec(promql);
  if (labelValues) {
    const args = labelValues[1] as string;
    const comma = args.lastIndexOf(',');
    return comma < 0 ? undefined : args.slice(0, comma);
  }
  const queryResult = /^query_result\((.*)\)$/s.exec(promql);
  if (queryResult) return queryResult[1] as string;
  if (/^(label_names|metrics)\(/.test(promql)) {
    throw new Error(`a Grafana variable query that lists metrics or labels cannot be checked: ${query}`);
  }
  return promql;
}

export function metricNamesInGrafanaQuery(query: string): string[] {
  const promql = grafanaQueryToPromQL(query);
  return promql === undefined ? [] : metricNamesInPromQL(promql);
}

/**
 * The series names a registry exposes: counters and gauges under their name, histograms as their
 * _bucket, _sum and _count series, summaries as the quantiles plus _sum and _count.
 */
export async function exportedSeriesNames(registry: Registry): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = String(metric.type);
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    } else if (type === 'summary') {
      for (const suffix of ['', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    } else {
      names.add(metric.name);
    }
  }
  return names;
}

/** Series Prometheus writes itself for every scrape target (and for alerts). */
export const PROMETHEUS_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'ALERTS',
  'ALERTS_FOR_STATE',
] as const;

export interface Query {
  /** Where the query comes from, for the failure message (e.g. a panel or an alert). */
  where: string;
  expr: string;
  grafana?: boolean;
}

/** `where: name` for every metric a query names that is not in `known`. */
export function unknownMetrics(queries: readonly Query[], known: ReadonlySet<string>): string[] {
  return queries.flatMap(({ where, expr, grafana }) =>
    (grafana ? metricNamesInGrafanaQuery(expr) : metricNamesInPromQL(expr))
      .filter((name) => !known.has(name))
      .map((name) => `${where}: ${name}`),
  );
}
