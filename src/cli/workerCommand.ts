import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startWorker } from '../worker/worker.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('consume events, update user windows in Redis, score them and publish the scores')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const worker = await startWorker(config, logger, {
        onFatal: (error) => {
          logger.fatal(
            { err: error },
            'consumer cannot recover; exiting so the supervisor restarts the worker',
          );
          process.exit(1);
        },
      });
      logger.info({ httpPort: worker.httpPort }, 'serving /metrics, /healthz and /readyz');
      const shutdown = async (signal: string) => {
        logger.info({ signal }, 'stopping: finishing the batch in flight');
        await worker.stop();
        process.exit(0);
      };
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });
}
