import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig, parseDurationMs } from '../config.js';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import { loadEvents } from '../events/eventSources.js';
import { cleanEvents } from '../features/cleaning.js';
import { initBackend } from '../model/backend.js';
import { evaluateOnEvents } from '../model/evaluation/evaluateOnEvents.js';
import { renderHtmlReport } from '../model/evaluation/htmlReport.js';
import { loadModelFolder } from '../model/modelFolder.js';
import { printEvaluationSummary } from './evaluationOutput.js';
import { addSourceOptions, isoTime, type SourceOptionValues, sourceFromOptions } from './sourceOptions.js';

interface EvalCommandOptions extends SourceOptionValues {
  model: string;
  testFrom?: number;
  churnHorizon: string;
  json: boolean;
  html?: string;
}

export function registerEvalCommand(program: Command): void {
  addSourceOptions(
    program
      .command('eval')
      .description('evaluate a model against the baselines on a file, with the fixed protocol (see README)'),
  )
    .requiredOption('--model <dir>', 'model folder')
    .option('--test-from <iso-time>', 'test period start (default: the last 20% of the time span)', isoTime)
    .option('--churn-horizon <duration>', 'churn = no further event within this', '6h')
    .option('--json', 'print the report as one JSON object', false)
    .option('--html <file>', 'also write a self-contained HTML report')
    .action(async (options: EvalCommandOptions) => {
      const config = loadConfig();
      const backend = await initBackend(config.model.backend, 'inference');
      const loaded = await loadModelFolder(options.model);
      const vocabulary = new ActionVocabulary(loaded.metadata.vocabularies.actions, config.events.aliases);
      const { events: raw, invalid } = await loadEvents(sourceFromOptions(options), vocabulary);
      const { events, report: cleaning } = cleanEvents(raw);
      console.error(`evaluating ${loaded.metadata.version} on ${events.length} events (backend ${backend})`);
      const report = evaluateOnEvents(loaded, events, vocabulary.actions, {
        ...(options.testFrom ? { testFromMs: options.testFrom } : {}),
        churnHorizonMs: parseDurationMs(options.churnHorizon),
        k: config.model.topK,
        cleaning: { ...cleaning, rejected: invalid } as typeof cleaning,
        onProgress: (predictor) => console.error(`  ${predictor}`),
      });
      loaded.model.dispose();
      if (options.html) {
        await writeFile(options.html, renderHtmlReport(report));
        console.error(`wrote ${options.html}`);
      }
      if (options.json) console.log(JSON.stringify(report));
      else printEvaluationSummary(report);
    });
}
