import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { explainScore } from '../insights/explain.js';
import { readUserState } from './userState.js';

interface ExplainOptions {
  user: string;
  model?: string;
  json: boolean;
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;

export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description("which past events drove one user's current score (occlusion), from the window in Redis")
    .requiredOption('--user <id>', 'the user id as producers send it')
    .option('--model <dir>', 'model folder (default SEQSCORE_MODEL_DIR)')
    .option('--json', 'print the explanation as one JSON object', false)
    .action(async (options: ExplainOptions) => {
      const config = loadConfig();
      const state = await readUserState(config, options.user, options.model ?? config.model.dir);
      if (!state) return;
      const { window, loaded } = state;
      const explanation = explainScore(loaded.model, window, loaded.metadata.decisionWeights);
      loaded.model.dispose();
      if (options.json) {
        console.log(
          JSON.stringify({ user: options.user, modelVersion: loaded.metadata.version, ...explanation }),
        );
        return;
      }
      const top = explanation.topItem;
      console.log(
        `user ${options.user}, model ${loaded.metadata.version}: next action ${explanation.predictedAction} ` +
          `(p ${explanation.nextActionProbability.toFixed(4)}), churn p ${explanation.churn.toFixed(4)}, ` +
          `top item ${top ? `${top.itemId} (${top.score.toFixed(4)})` : 'none'}`,
      );
      console.log('weight = how much each score falls without the event (occlusion), newest last:');
      console.log(
        `  ${'time'.padEnd(24)} ${'action'.padEnd(9)} ${'item'.padEnd(12)} next-action      churn   top-item`,
      );
      for (const w of explanation.events)
        console.log(
          `  ${new Date(w.event.tsMs).toISOString().padEnd(24)} ${w.event.action.padEnd(9)} ${w.event.itemId.padEnd(12)} ` +
            `${signed(w.nextAction).padStart(11)} ${signed(w.churn).padStart(10)} ${signed(w.topItem).padStart(10)}`,
        );
    });
}
