import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger, errorSummary, type Logger } from '../logger.js';
import { missingNodeFlags } from '../worker/nodeFlags.js';
import { startThreadedWorker } from '../worker/scoringThreads.js';
import { startWorker } from '../worker/worker.js';

/** Logs are written asynchronously; exit only once they are out. */
function exitAfterFlush(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('consume events, update user windows in Redis, score them and publish the scores')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const missing = missingNodeFlags();
      if (missing.length > 0) {
        logger.info(
          { missing },
          'node was started without the flags the worker is tuned for; without them it scored about a tenth fewer events per second (README, "Running the worker")',
        );
      }
      const onFatal = (error: Error) => {
        logger.fatal(
          { error: errorSummary(error) },
          'consumer cannot recover; exiting so the supervisor restarts the worker',
        );
        exitAfterFlush(logger, 1);
      };
      let worker: { httpPort: number; stop(): Promise<void> };
      try {
        worker =
          config.worker.threads === 1
            ? await startWorker(config, logger, { onFatal })
            : await startThreadedWorker(config, logger, onFatal);
      } catch (error) {
        // Logged as a summary: a thrown client error may carry its request, credentials included.
        logger.fatal({ error: errorSummary(error) }, 'worker could not start');
        exitAfterFlush(logger, 1);
        return;
      }
      logger.info({ httpPort: worker.httpPort }, 'serving /metrics, /healthz and /readyz');
      const shutdown = async (signal: string) => {
        logger.info({ signal }, 'stopping: finishing the micro-batch in flight');
        // Exit 0 means "stopped cleanly, offsets committed"; a stop that hangs (say, on a broker
        // that is down) must not keep the process forever, nor claim that.
        setTimeout(() => {
          logger.error(
            { timeoutMs: config.worker.shutdownTimeoutMs },
            'stop did not finish in time; exiting',
          );
          exitAfterFlush(logger, 1);
        }, config.worker.shutdownTimeoutMs);
        try {
          await worker.stop();
          exitAfterFlush(logger, 0);
        } catch (error) {
          logger.error({ error: errorSummary(error) }, 'stop failed');
          exitAfterFlush(logger, 1);
        }
      };
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });
}
