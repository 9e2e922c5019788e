import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import { loadEvents } from '../events/eventSources.js';
import { cleanEvents } from '../features/cleaning.js';
import { buildInsights, type InsightsReport, renderInsightsHtml } from '../insights/insightsReport.js';
import { initBackend } from '../model/backend.js';
import { loadModelFolder } from '../model/modelFolder.js';
import { loadSegments, SEGMENTS_FILE, saveSegments } from '../model/segmentsFile.js';
import {
  addSourceOptions,
  positiveInt,
  type SourceOptionValues,
  sourceFromOptions,
} from './sourceOptions.js';

interface InsightsCommandOptions extends SourceOptionValues {
  model?: string;
  html?: string;
  json: boolean;
  k?: number;
  kRange?: [number, number];
  funnel: string[];
  examples: number;
  saveSegments: boolean;
}

function kRange(text: string): [number, number] {
  const match = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (!match || low < 2 || high < low)
    throw new InvalidArgumentError('expected LOW..HIGH with 2 <= LOW <= HIGH');
  return [low, high];
}

const actionList = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

export function registerInsightsCommand(program: Command): void {
  addSourceOptions(
    program
      .command('insights')
      .description(
        'behaviour insights of a file: funnels, segments, transitions, sequences, sessions, score distributions, explanations',
      ),
  )
    .option('--model <dir>', 'model folder (default SEQSCORE_MODEL_DIR)')
    .option('--html <file>', 'write the report as one self-contained HTML page')
    .option('--json', 'print the report as one JSON object', false)
    .option(
      '--k <n>',
      'number of segments when the model folder has none (default SEQSCORE_SEGMENTS)',
      positiveInt,
    )
    .option('--k-range <low..high>', 'range of k tried by silhouette when k is not fixed', kRange)
    .option('--funnel <actions>', 'funnel stages, in order', actionList, ['view', 'cart', 'purchase'])
    .option('--examples <n>', 'users profiled and explained in the report', positiveInt, 3)
    .option('--save-segments', `write fitted segments to the model folder as ${SEGMENTS_FILE}`, false)
    .action(async (options: InsightsCommandOptions) => {
      const config = loadConfig();
      const backend = await initBackend(config.model.backend, 'inference');
      const folder = options.model ?? config.model.dir;
      const loaded = await loadModelFolder(folder);
      const vocabulary = new ActionVocabulary(loaded.metadata.vocabularies.actions, config.events.aliases);
      const { events: raw, invalid } = await loadEvents(sourceFromOptions(options), vocabulary);
      const { events, report: cleaning } = cleanEvents(raw);
      const rejected = Object.values(invalid).reduce((a, b) => a + (b ?? 0), 0);
      console.error(
        `insights of ${events.length} events (${rejected} rejected, ${cleaning.outOfRange} out of range, ` +
          `${cleaning.duplicates} duplicates) with ${loaded.metadata.version} (backend ${backend})`,
      );
      const stored = await loadSegments(folder, loaded.metadata.version);
      if (stored) console.error(`using the segments in ${folder}/${SEGMENTS_FILE} (k = ${stored.k})`);
      const fixedK =
        options.k ?? (config.insights.segments === 'auto' ? undefined : config.insights.segments);
      const report = buildInsights(loaded, events, {
        funnel: options.funnel,
        ...(stored ? { segments: stored } : {}),
        segmentOptions: {
          seed: options.seed,
          ...(fixedK !== undefined ? { k: fixedK } : {}),
          ...(options.kRange ? { kRange: options.kRange } : {}),
        },
        profileHalfLifeMs: config.insights.profileHalfLifeMs,
        exampleUsers: options.examples,
        topK: config.model.topK,
      });
      loaded.model.dispose();
      if (!stored && options.saveSegments) {
        await saveSegments(folder, report.segments);
        console.error(`wrote ${folder}/${SEGMENTS_FILE}`);
      }
      if (options.html) {
        await writeFile(options.html, renderInsightsHtml(report));
        console.error(`wrote ${options.html}`);
      }
      if (options.json) console.log(JSON.stringify(report));
      else printSummary(report);
    });
}

function printSummary(report: InsightsReport): void {
  const { funnel, sessions, transitions, sequences } = report.patterns;
  console.log('funnel (users, in order):');
  for (const stage of funnel.stages)
    console.log(
      `  ${stage.action.padEnd(10)} ${String(stage.count).padStart(8)}  ${(stage.fromPrevious * 100).toFixed(1)}% of previous, ${(stage.fromFirst * 100).toFixed(1)}% of first`,
    );
  console.log(
    `segments: k = ${report.segments.k} (${report.segments.chosenBy}), silhouette ${report.segments.silhouette?.toFixed(3) ?? 'n/a'}`,
  );
  for (const s of report.segments.segments)
    console.log(
      `  ${String(s.id).padStart(2)}: ${String(s.size).padStart(6)} users, ${(s.conversionRate * 100).toFixed(1)}% converted, top categories ${s.dominantCategories
        .slice(0, 3)
        .map((c) => c.name)
        .join(', ')}`,
    );
  console.log(
    `sessions: ${sessions.sessions}, median ${sessions.eventsPerSession.median} events, ${(sessions.convertingShare * 100).toFixed(1)}% converting`,
  );
  const [first] = transitions.top;
  if (first) console.log(`most frequent transition: ${first.from} -> ${first.to} (${first.count})`);
  const [sequence] = sequences;
  if (sequence)
    console.log(
      `most frequent category sequence: ${sequence.categories.join(' -> ')} (${sequence.sessions} sessions, confidence ${(sequence.confidence * 100).toFixed(1)}%)`,
    );
}
