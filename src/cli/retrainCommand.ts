import { QueueEvents } from 'bullmq';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import {
  enqueueRetrain,
  queueConnection,
  queuePrefix,
  RETRAIN_QUEUE,
  retrainQueue,
} from '../retrain/trainer.js';

export function registerRetrainCommand(program: Command): void {
  program
    .command('retrain')
    .description('enqueue a retraining run for the trainer (`seqscore trainer`)')
    .option('--now', 'enqueue a run now, besides the scheduled ones', false)
    .option('--wait', 'wait for the run to finish and print its outcome as JSON', false)
    .action(async (options: { now: boolean; wait: boolean }) => {
      if (!options.now) throw new InvalidArgumentError('say --now: scheduled runs are the trainer’s own');
      const config = loadConfig();
      const connection = queueConnection(config, 'retrain-command');
      const queue = retrainQueue(config, connection);
      const eventsConnection = options.wait ? queueConnection(config, 'retrain-command-events') : undefined;
      const events =
        eventsConnection &&
        new QueueEvents(RETRAIN_QUEUE, { connection: eventsConnection, prefix: queuePrefix(config) });
      try {
        await events?.waitUntilReady();
        const job = await enqueueRetrain(queue, config);
        console.error(`enqueued retraining run ${job.id}`);
        if (events) console.log(JSON.stringify(await job.waitUntilFinished(events)));
      } finally {
        await events?.close();
        await queue.close();
        // Connections handed to BullMQ stay open after close(): they are ours to end.
        eventsConnection?.disconnect();
        connection.disconnect();
      }
    });
}
