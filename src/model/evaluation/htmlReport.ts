import type { EvaluationReport, PredictorReport } from './evaluate.js';

/**
 * A self-contained HTML page (inline SVG, no scripts, no external files) with the evaluation: metric
 * bars for the model against every baseline, the churn calibration curve and the next-action
 * confusion matrix. The page frame, escaping and bar charts are exported for the other reports.
 */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export interface BarOptions {
  /** How a value is written next to its bar (default: four decimals). */
  format?: (value: number) => string;
  /** The name drawn in the highlight colour (default: model). */
  highlight?: string;
}

export function bars(
  title: string,
  values: { name: string; value: number }[],
  options: BarOptions = {},
): string {
  const { format = (value: number) => value.toFixed(4), highlight = 'model' } = options;
  const width = 520;
  const rowHeight = 22;
  const max = Math.max(1e-9, ...values.map((v) => v.value));
  const rows = values
    .map((v, i) => {
      const y = 24 + i * rowHeight;
      const w = (v.value / max) * (width - 200);
      const fill = v.name === highlight ? '#d9534f' : '#5b8def';
      return (
        `<text x="0" y="${y + 14}" font-size="12">${escapeHtml(v.name)}</text>` +
        `<rect x="140" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${fill}"/>` +
        `<text x="${(145 + w).toFixed(1)}" y="${y + 14}" font-size="12">${escapeHtml(format(v.value))}</text>`
      );
    })
    .join('');
  const height = 30 + values.length * rowHeight;
  return `<figure><svg width="${width}" height="${height}" role="img"><text x="0" y="14" font-weight="bold" font-size="13">${escapeHtml(title)}</text>${rows}</svg></figure>`;
}

/** The page around a report's body: one style sheet, no scripts, nothing loaded from elsewhere. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}figure{display:inline-block;margin:1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head>
<body>${body}</body></html>
`;
}

function metricBars(
  report: EvaluationReport,
  title: string,
  pick: (r: PredictorReport) => number | null | undefined,
): string {
  const entries: [string, PredictorReport][] = [
    ...(report.model ? ([['model', report.model]] as [string, PredictorReport][]) : []),
    ...Object.entries(report.baselines),
  ];
  const values = entries
    .map(([name, r]) => ({ name, value: pick(r) }))
    .filter(
      (v): v is { name: string; value: number } => typeof v.value === 'number' && !Number.isNaN(v.value),
    );
  return values.length > 0 ? bars(title, values) : '';
}

function calibration(report: EvaluationReport): string {
  const bins = report.model?.churn?.calibration;
  if (!bins || bins.length === 0) return '';
  const size = 260;
  const points = bins
    .map(
      (b) => `${(40 + b.meanPredicted * size).toFixed(1)},${(20 + (1 - b.observedRate) * size).toFixed(1)}`,
    )
    .join(' ');
  return (
    `<figure><svg width="${size + 60}" height="${size + 60}" role="img">` +
    `<text x="40" y="14" font-weight="bold" font-size="13">Churn calibration (model)</text>` +
    `<rect x="40" y="20" width="${size}" height="${size}" fill="none" stroke="#999"/>` +
    `<line x1="40" y1="${20 + size}" x2="${40 + size}" y2="20" stroke="#bbb" stroke-dasharray="4"/>` +
    `<polyline points="${points}" fill="none" stroke="#d9534f" stroke-width="2"/>` +
    `<text x="40" y="${size + 40}" font-size="11">predicted probability</text>` +
    `<text x="0" y="${20 + size / 2}" font-size="11" transform="rotate(-90 10 ${20 + size / 2})">observed rate</text>` +
    `</svg></figure>`
  );
}

function confusion(report: EvaluationReport): string {
  const metrics = report.model?.nextAction;
  if (!metrics) return '';
  const actions = Object.keys(metrics.recall);
  const header = `<tr><th>true \\ predicted</th>${actions.map((a) => `<th>${escapeHtml(a)}</th>`).join('')}</tr>`;
  const rows = metrics.confusion
    .map((row, i) => {
      const total = Math.max(
        1,
        row.reduce((a, b) => a + b, 0),
      );
      const cells = row
        .map((count) => `<td style="background:rgba(217,83,79,${(count / total).toFixed(2)})">${count}</td>`)
        .join('');
      return `<tr><th>${escapeHtml(actions[i] ?? '')}</th>${cells}</tr>`;
    })
    .join('');
  return `<h3>Next-action confusion matrix (model)</h3><table>${header}${rows}</table>`;
}

export function renderHtmlReport(report: EvaluationReport): string {
  const p = report.protocol;
  return htmlPage(
    'seqscore evaluation',
    `<h1>seqscore evaluation</h1>
<p>Test period from ${escapeHtml(p.testFrom)} to ${escapeHtml(p.dataEnd)}: ${p.nextEventCases} next-event cases,
${p.churnCases} churn cases (${p.churnCensored} censored), churn horizon ${p.churnHorizonSeconds / 3600} h.
Baselines are fitted on the events before the test period only.</p>
<h2>Next action</h2>
${metricBars(report, 'macro-F1', (r) => r.nextAction?.macroF1)}
${metricBars(report, 'log-loss (lower is better)', (r) => r.nextAction?.logLoss)}
${confusion(report)}
<h2>Next item</h2>
${metricBars(report, `HR@${p.k}`, (r) => r.nextItem?.hr)}
${metricBars(report, `NDCG@${p.k}`, (r) => r.nextItem?.ndcg)}
<h2>Churn</h2>
${metricBars(report, 'ROC-AUC', (r) => r.churn?.rocAuc)}
${calibration(report)}
`,
  );
}
