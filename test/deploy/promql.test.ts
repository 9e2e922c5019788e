import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  exportedSeriesNames,
  metricNamesInGrafanaQuery,
  metricNamesInPromQL,
  unknownMetrics,
} from '../helpers/promql.js';

describe('metric names in PromQL', () => {
  it('finds the metrics of selectors and leaves out functions, keywords, labels and strings', () => {
    expect(
      metricNamesInPromQL(
        'histogram_quantile(0.99, sum by (le, stage) (rate(req_seconds_bucket{job="rate", le!="sum"}[5m])))' +
          ' / on (instance) group_left (version) max without (job) (info offset 5m)' +
          ' and ignoring (x) (absent(down_total) or vector(1)) > bool 0',
      ),
    ).toEqual(['down_total', 'info', 'req_seconds_bucket']);
  });

  it('reads __name__ matchers and refuses the ones it cannot check', () => {
    expect(metricNamesInPromQL('{__name__="a_total", job="x"}')).toEqual(['a_total']);
    expect(() => metricNamesInPromQL('{__name__=~"seqscore_.*"}')).toThrow(/cannot be checked/);
  });

  it('rejects expressions that are not PromQL', () => {
    expect(() => metricNamesInPromQL('rate(events_total[5m]')).toThrow(/syntax error/);
    expect(() => metricNamesInPromQL('sum(events_total) by')).toThrow(/syntax error/);
  });

  it('understands Grafana variables and variable queries', () => {
    expect(
      metricNamesInGrafanaQuery('sum(rate(events_total{instance=~"$instance"}[$__rate_interval]))'),
    ).toEqual(['events_total']);
    expect(metricNamesInGrafanaQuery('label_values(up{job="w"}, instance)')).toEqual(['up']);
    expect(metricNamesInGrafanaQuery('label_values(instance)')).toEqual([]);
    expect(metricNamesInGrafanaQuery('query_result(topk(3, events_total))')).toEqual(['events_total']);
    expect(() => metricNamesInGrafanaQuery('metrics(seqscore_.*)')).toThrow(/cannot be checked/);
  });
});

describe('exported series names', () => {
  it('expands histograms and summaries into the series Prometheus stores', async () => {
    const registry = new Registry();
    const registers = [registry];
    new Counter({ name: 'c_total', help: 'c', registers });
    new Gauge({ name: 'g', help: 'g', labelNames: ['l'], registers });
    new Histogram({ name: 'h_seconds', help: 'h', registers });
    new Summary({ name: 's_seconds', help: 's', registers });
    expect([...(await exportedSeriesNames(registry))].sort()).toEqual([
      'c_total',
      'g',
      'h_seconds_bucket',
      'h_seconds_count',
      'h_seconds_sum',
      's_seconds',
      's_seconds_count',
      's_seconds_sum',
    ]);
  });
});

describe('unknown metrics', () => {
  it('names each query that refers to a metric not exported, and where it is', () => {
    const known = new Set(['events_total', 'up']);
    expect(
      unknownMetrics(
        [
          { where: 'panel Throughput', expr: 'rate(events_total[$__rate_interval])', grafana: true },
          { where: 'alert Typo', expr: 'rate(event_total[5m]) > 0 and up == 1' },
          { where: 'variable instance', expr: 'label_values(gone_info, instance)', grafana: true },
        ],
        known,
      ),
    ).toEqual(['alert Typo: event_total', 'variable instance: gone_info']);
  });
});
