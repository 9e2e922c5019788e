import type { UserEvent } from '../events/event.js';
import type { SequenceEvent } from '../features/sequenceEncoding.js';
import { userEmbeddings } from '../model/embeddings.js';
import { weightedArgmax } from '../model/evaluation/decisionWeights.js';
import { bars, escapeHtml, htmlPage } from '../model/evaluation/htmlReport.js';
import { predictLast } from '../model/inference.js';
import type { LoadedModel } from '../model/modelFolder.js';
import type { Segments } from '../model/segmentsFile.js';
import { groupByUser } from '../model/trainingData.js';
import { type Explanation, explainScore } from './explain.js';
import { findPatterns, type Patterns } from './patterns.js';
import { buildProfile, type InterestProfile } from './profiles.js';
import { assignSegment, describeSegments, fitSegments, type SegmentOptions } from './segments.js';

/**
 * Everything `seqscore insights` shows, computed from one set of events and one model: patterns of
 * the events themselves, the model's segments of the users, the distribution of the users' latest
 * scores, and profiles and explanations of a few example users. Users are seen as the worker sees
 * them at the end of the data: their last `maxLength` events.
 */
export interface InsightsOptions {
  funnel: readonly string[];
  /** Segments already fitted for this model; fitted here when absent. */
  segments?: Segments;
  segmentOptions: Omit<SegmentOptions, 'modelVersion' | 'actions'>;
  profileHalfLifeMs: number;
  /** Users profiled and explained in the report: those with the most events (default 3). */
  exampleUsers?: number;
  topK: number;
}

export interface ScoreDistributions {
  users: number;
  churn: Histogram;
  /** Per action, P(action next). */
  nextAction: { action: string; histogram: Histogram }[];
  /** Users per predicted next action (argmax after the model's decision weights). */
  predicted: { action: string; users: number }[];
  /** Mean churn probability per segment. */
  churnBySegment: number[];
}

export interface UserInsight {
  userId: string;
  segment: number;
  profile: InterestProfile;
  explanation: Explanation;
}

export interface InsightsReport {
  model: { version: string; architecture: string; churnHorizonMs: number };
  /** 'fitted' when this run fitted the segments, 'model folder' when they came with the model. */
  segmentsSource: 'fitted' | 'model folder';
  patterns: Patterns;
  segments: Segments;
  scores: ScoreDistributions;
  examples: UserInsight[];
}

/** Ten equal bins over [0, upper]: upper is the first of UPPERS not below the largest probability. */
export interface Histogram {
  upper: number;
  counts: number[];
}

const BINS = 10;
const UPPERS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

export function histogram(probabilities: readonly number[]): Histogram {
  const largest = probabilities.reduce((max, p) => Math.max(max, p), 0);
  const upper = UPPERS.find((u) => largest <= u) ?? 1;
  const counts = new Array<number>(BINS).fill(0);
  for (const p of probabilities) {
    const at = Math.min(BINS - 1, Math.max(0, Math.floor((p / upper) * BINS)));
    counts[at] = (counts[at] as number) + 1;
  }
  return { upper, counts };
}

export function buildInsights(
  loaded: LoadedModel,
  events: readonly UserEvent[],
  options: InsightsOptions,
): InsightsReport {
  const { model, metadata } = loaded;
  const actions = model.vocabularies.actions.actions;
  for (const stage of options.funnel) {
    if (!actions.includes(stage))
      throw new Error(`funnel stage "${stage}" is not in the model's actions (${actions.join(', ')})`);
  }
  const users = [...groupByUser(events).entries()];
  if (users.length === 0) throw new Error('there are no events to describe');
  const windows: SequenceEvent[][] = users.map(([, list]) => list.slice(-model.config.maxLength));
  const embeddings = userEmbeddings(model, windows);
  let segments: Segments;
  if (options.segments) {
    segments = describeSegments(options.segments, embeddings, windows);
  } else {
    segments = fitSegments(embeddings, windows, {
      conversionAction: options.funnel[options.funnel.length - 1] as string,
      ...options.segmentOptions,
      modelVersion: metadata.version,
      actions,
    });
  }
  const assignments = embeddings.map((embedding) => assignSegment(segments, embedding));

  const churn: number[] = [];
  const nextAction = actions.map((): number[] => []);
  const predicted = actions.map((action) => ({ action, users: 0 }));
  const churnSums = new Array<number>(segments.k).fill(0);
  const increment = (counts: number[], at: number, by = 1) => {
    counts[at] = (counts[at] as number) + by;
  };
  // In chunks: the explore head is a [users, items] matrix.
  for (let start = 0; start < windows.length; start += 256) {
    predictLast(model, windows.slice(start, start + 256), options.topK).forEach((prediction, i) => {
      churn.push(prediction.churn);
      prediction.nextAction.forEach((p, a) => {
        (nextAction[a] as number[]).push(p);
      });
      (predicted[weightedArgmax(prediction.nextAction, metadata.decisionWeights)] as { users: number })
        .users++;
      increment(churnSums, assignments[start + i] as number, prediction.churn);
    });
  }

  const nowMs = users.reduce((max, [, list]) => Math.max(max, (list[list.length - 1] as UserEvent).tsMs), 0);
  const examples = users
    .map((entry, u) => ({ entry, u }))
    .sort((a, b) => b.entry[1].length - a.entry[1].length || (a.entry[0] < b.entry[0] ? -1 : 1))
    .slice(0, options.exampleUsers ?? 3)
    .map(({ entry: [userId], u }) => ({
      userId,
      segment: assignments[u] as number,
      profile: buildProfile(
        windows[u] as SequenceEvent[],
        embeddings[u] as Float32Array,
        nowMs,
        options.profileHalfLifeMs,
      ),
      explanation: explainScore(model, windows[u] as SequenceEvent[], metadata.decisionWeights),
    }));

  return {
    model: {
      version: metadata.version,
      architecture: metadata.model.architecture,
      churnHorizonMs: metadata.churnHorizonMs,
    },
    segmentsSource: options.segments ? 'model folder' : 'fitted',
    patterns: findPatterns(events, { funnel: options.funnel }),
    segments,
    scores: {
      users: users.length,
      churn: histogram(churn),
      nextAction: actions.map((action, a) => ({ action, histogram: histogram(nextAction[a] as number[]) })),
      predicted,
      churnBySegment: churnSums.map((sum, s) => {
        const size = segments.segments[s]?.size ?? 0;
        return size > 0 ? sum / size : 0;
      }),
    },
    examples,
  };
}

// ---- rendering ----

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const fixed = (digits: number) => (value: number) => value.toFixed(digits);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
function histogramBars(title: string, h: Histogram): string {
  const digits = h.upper < 0.1 ? 3 : 2;
  return bars(
    title,
    h.counts.map((value, i) => ({
      name: `${((i * h.upper) / BINS).toFixed(digits)}–${(((i + 1) * h.upper) / BINS).toFixed(digits)}`,
      value,
    })),
    { format: integer, highlight: '' },
  );
}

function table(header: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = `<tr>${header.map((cell) => `<th>${cell}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('');
  return `<table${className ? ` class="${className}"` : ''}>${head}${body}</table>`;
}

function funnelChart(report: InsightsReport): string {
  const { stages } = report.patterns.funnel;
  const chart = bars(
    'Funnel: users reaching each stage, in order',
    stages.map((stage) => ({ name: stage.action, value: stage.count })),
    { format: (value) => integer(value), highlight: stages[stages.length - 1]?.action ?? '' },
  );
  const rows = stages.map((stage) => [
    escapeHtml(stage.action),
    `<span class="funnel-count">${integer(stage.count)}</span>`,
    percent(stage.fromPrevious),
    percent(stage.fromFirst),
  ]);
  return `${chart}${table(['stage', 'users', 'of previous stage', 'of first stage'], rows, 'funnel')}`;
}

function categoryFunnels(report: InsightsReport): string {
  const funnels = report.patterns.categoryFunnels;
  if (funnels.length === 0) return '';
  const stages = report.patterns.funnel.stages.map((stage) => stage.action);
  const rows = funnels.map((funnel) => [
    escapeHtml(funnel.name),
    ...funnel.stages.map((stage) => integer(stage.count)),
    percent(funnel.stages[funnel.stages.length - 1]?.fromFirst ?? 0),
  ]);
  return `<h3>Funnels of the largest categories (user-category pairs)</h3>${table(
    ['category', ...stages.map(escapeHtml), 'overall conversion'],
    rows,
  )}`;
}

/** An SVG heat map of P(next action | action), with the counts in the cells. */
function transitionHeatMap(report: InsightsReport): string {
  const { actions, counts } = report.patterns.transitions;
  const cell = 64;
  const left = 90;
  const top = 50;
  const cells = counts
    .map((row, from) => {
      const out = row.reduce((a, b) => a + b, 0);
      return row
        .map((count, to) => {
          const p = out > 0 ? count / out : 0;
          const x = left + to * cell;
          const y = top + from * cell;
          return (
            `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="rgba(217,83,79,${(0.05 + 0.95 * p).toFixed(2)})"/>` +
            `<text x="${x + cell / 2 - 1}" y="${y + cell / 2 - 4}" font-size="12" text-anchor="middle">${percent(p)}</text>` +
            `<text x="${x + cell / 2 - 1}" y="${y + cell / 2 + 12}" font-size="10" text-anchor="middle" fill="#333">${integer(count)}</text>`
          );
        })
        .join('');
    })
    .join('');
  const labels =
    actions
      .map(
        (action, i) =>
          `<text x="${left + i * cell + cell / 2 - 1}" y="${top - 6}" font-size="12" text-anchor="middle">${escapeHtml(action)}</text>` +
          `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" font-size="12" text-anchor="end">${escapeHtml(action)}</text>`,
      )
      .join('') +
    `<text x="${left}" y="16" font-weight="bold" font-size="13">Next action given the action (within sessions)</text>` +
    `<text x="${left}" y="32" font-size="11">rows: from, columns: to; share of the row and count</text>`;
  const size = Math.max(440, left + actions.length * cell + 10);
  return `<figure><svg class="heatmap" width="${size}" height="${top + actions.length * cell + 10}" role="img">${labels}${cells}</svg></figure>`;
}

function transitionTable(report: InsightsReport): string {
  const rows = report.patterns.transitions.top.map((t) => [
    `${escapeHtml(t.from)} → ${escapeHtml(t.to)}`,
    integer(t.count),
    percent(t.support),
    percent(t.confidence),
  ]);
  return table(['transition', 'count', 'support', 'confidence'], rows);
}

function sequenceTable(report: InsightsReport): string {
  const { sequences } = report.patterns;
  if (sequences.length === 0) return '<p>No category sequence reaches the minimum support.</p>';
  const rows = sequences.map((s) => [
    s.categories.map(escapeHtml).join(' → '),
    integer(s.sessions),
    percent(s.support),
    percent(s.confidence),
  ]);
  return table(['categories, in order', 'sessions', 'support', 'confidence'], rows);
}

function sessionTable(report: InsightsReport): string {
  const s = report.patterns.sessions;
  const row = (
    name: string,
    d: { mean: number; median: number; p90: number; max: number },
    f: (v: number) => string,
  ) => [name, f(d.mean), f(d.median), f(d.p90), f(d.max)];
  return `<p>${integer(s.sessions)} sessions (a gap over ${s.gapMinutes} minutes starts a new one);
${percent(s.convertingShare)} of them contain a ${escapeHtml(report.patterns.funnel.stages.at(-1)?.action ?? '')}.</p>
${table(
  ['', 'mean', 'median', '90th percentile', 'max'],
  [
    row('events per session', s.eventsPerSession, fixed(1)),
    row('session duration (minutes)', { ...s.durationSeconds }, (v) => (v / 60).toFixed(1)),
    row('sessions per user', s.sessionsPerUser, fixed(1)),
  ],
)}`;
}

function segmentSection(report: InsightsReport): string {
  const { segments } = report;
  const how =
    segments.chosenBy === 'silhouette'
      ? `k = ${segments.k}, the best mean silhouette of k in ${segments.tried.map((t) => `${t.k} (${t.silhouette.toFixed(3)})`).join(', ')}`
      : `k = ${segments.k}, as configured; mean silhouette ${segments.silhouette === null ? 'n/a' : segments.silhouette.toFixed(3)}`;
  const sizes = bars(
    'Users per segment',
    segments.segments.map((s) => ({ name: `segment ${s.id}`, value: s.size })),
    { format: (value) => integer(value), highlight: '' },
  );
  const conversion = bars(
    `Users with a ${segments.conversionAction}, per segment`,
    segments.segments.map((s) => ({ name: `segment ${s.id}`, value: s.conversionRate })),
    { format: percent, highlight: '' },
  );
  const churn = bars(
    'Mean churn probability now, per segment',
    report.scores.churnBySegment.map((value, s) => ({ name: `segment ${s}`, value })),
    { format: fixed(3), highlight: '' },
  );
  const rows = segments.segments.map((s) => [
    String(s.id),
    integer(s.size),
    percent(s.share),
    percent(s.conversionRate),
    s.actionMix.map((a) => `${escapeHtml(a.name)} ${percent(a.share)}`).join(', '),
    s.dominantCategories.map((c) => `${escapeHtml(c.name)} ${percent(c.share)}`).join(', '),
  ]);
  return `<p>${segments.users} users clustered by their embedding (k-means, seed ${segments.seed}; ${escapeHtml(how)}).
Segments ${report.segmentsSource === 'fitted' ? 'were fitted by this run' : 'come from the model folder and were fitted then; sizes here are for these events'}.</p>
${sizes}${conversion}${churn}
${table(['segment', 'users', 'share', 'converted', 'action mix', 'dominant categories'], rows, 'segments')}`;
}

function scoreSection(report: InsightsReport): string {
  const { scores } = report;
  const churn = histogramBars(
    `Churn probability (no event within ${report.model.churnHorizonMs / 3_600_000} h), users per bin`,
    scores.churn,
  );
  const predicted = bars(
    'Predicted next action, users',
    scores.predicted.map((p) => ({ name: p.action, value: p.users })),
    { format: integer, highlight: '' },
  );
  const conversion = report.patterns.funnel.stages.at(-1)?.action;
  const purchase = scores.nextAction.find((a) => a.action === conversion);
  const purchaseChart = purchase
    ? histogramBars(`P(next action = ${purchase.action}), users per bin`, purchase.histogram)
    : '';
  return `<p>Scores of each of the ${integer(scores.users)} users after their last event.</p>${churn}${predicted}${purchaseChart}`;
}

function exampleSection(example: UserInsight): string {
  const { profile, explanation } = example;
  const interests = bars(
    `Interests of user ${example.userId} (decayed category shares)`,
    profile.categories.slice(0, 8).map((c) => ({ name: c.name, value: c.share })),
    { format: percent, highlight: '' },
  );
  const shade = (value: number, max: number) => {
    const alpha = max > 0 ? Math.min(1, Math.abs(value) / max).toFixed(2) : '0';
    return value >= 0 ? `rgba(217,83,79,${alpha})` : `rgba(91,141,239,${alpha})`;
  };
  const maxOf = (pick: (w: Explanation['events'][number]) => number) =>
    Math.max(0, ...explanation.events.map((w) => Math.abs(pick(w))));
  const maxAction = maxOf((w) => w.nextAction);
  const maxChurn = maxOf((w) => w.churn);
  const maxItem = maxOf((w) => w.topItem);
  const cell = (value: number, max: number) =>
    `<span class="weight" style="background:${shade(value, max)}">${value >= 0 ? '+' : ''}${value.toFixed(4)}</span>`;
  const rows = explanation.events.map((w) => [
    String(w.index),
    iso(w.event.tsMs),
    escapeHtml(w.event.action),
    escapeHtml(w.event.itemId),
    escapeHtml(w.event.categoryId ?? ''),
    cell(w.nextAction, maxAction),
    cell(w.churn, maxChurn),
    cell(w.topItem, maxItem),
  ]);
  const top = explanation.topItem
    ? `top next item ${escapeHtml(explanation.topItem.itemId)} (${explanation.topItem.score.toFixed(4)})`
    : 'no next item';
  return `<h3>User ${escapeHtml(example.userId)}: segment ${example.segment}, ${profile.events} events in the window</h3>
${interests}
<p>Predicted next action <b>${escapeHtml(explanation.predictedAction)}</b> (p = ${explanation.nextActionProbability.toFixed(4)}),
churn p = ${explanation.churn.toFixed(4)}, ${top}. Each weight is how much that score falls when the event is left out
(occlusion); red raised the score, blue held it down.</p>
<details><summary>Event weights (${explanation.events.length} events)</summary>
${table(['#', 'time', 'action', 'item', 'category', 'next action', 'churn', 'top item'], rows, 'explanation')}
</details>`;
}

export function renderInsightsHtml(report: InsightsReport): string {
  const { summary } = report.patterns;
  const actionCounts = summary.actions.map((a) => `${escapeHtml(a.name)} ${integer(a.count)}`).join(', ');
  return htmlPage(
    'seqscore insights',
    `<h1>seqscore insights</h1>
<p>${integer(summary.events)} events of ${integer(summary.users)} users on ${integer(summary.items)} items in
${integer(summary.categories)} categories, from ${iso(summary.fromMs)} to ${iso(summary.toMs)} (${actionCounts}).
Model ${escapeHtml(report.model.version)} (${escapeHtml(report.model.architecture)}).</p>
<h2 id="funnel">Funnel</h2>
<p>A user reaches a stage with an event of that action after reaching the previous stage.</p>
${funnelChart(report)}
${categoryFunnels(report)}
<h2 id="segments">Segments</h2>
${segmentSection(report)}
<h2 id="transitions">Action transitions</h2>
${transitionHeatMap(report)}
${transitionTable(report)}
<h2 id="sequences">Frequent category sequences</h2>
<p>Consecutive categories within a session, repeats merged. Support: share of sessions containing the
sequence; confidence: its support over that of the sequence without its last category.</p>
${sequenceTable(report)}
<h2 id="sessions">Sessions</h2>
${sessionTable(report)}
<h2 id="scores">Score distributions</h2>
${scoreSection(report)}
<h2 id="examples">Profiles and explanations of the most active users</h2>
${report.examples.map(exampleSection).join('\n')}
`,
  );
}
