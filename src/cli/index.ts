#!/usr/bin/env node
import { Command } from 'commander';
import { registerDemoCommand } from './demoCommand.js';
import { demoInsights } from './demoInsights.js';
import { registerEraseCommand } from './eraseCommand.js';
import { registerEvalCommand } from './evalCommand.js';
import { registerExplainCommand } from './explainCommand.js';
import { registerInsightsCommand } from './insightsCommand.js';
import { registerModelsCommand } from './modelsCommand.js';
import { registerProfileCommand } from './profileCommand.js';
import { registerReplayCommand } from './replayCommand.js';
import { registerRetrainCommand } from './retrainCommand.js';
import { registerStackCommand } from './stackCommand.js';
import { registerTrainCommand } from './trainCommand.js';
import { registerTrainerCommand } from './trainerCommand.js';
import { registerWorkerCommand } from './workerCommand.js';

const program = new Command()
  .name('seqscore')
  .description('Real-time user-behaviour sequence scoring: Kafka in, TensorFlow.js model, Kafka out.')
  .showHelpAfterError();

registerStackCommand(program);
registerWorkerCommand(program);
registerReplayCommand(program);
registerTrainCommand(program);
registerEvalCommand(program);
registerDemoCommand(program, { insights: (run) => demoInsights(run) });
registerEraseCommand(program);
registerProfileCommand(program);
registerExplainCommand(program);
registerInsightsCommand(program);
registerTrainerCommand(program);
registerRetrainCommand(program);
registerModelsCommand(program);

await program.parseAsync(process.argv);
