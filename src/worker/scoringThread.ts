import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, type ErrorSummary, errorSummary } from '../logger.js';
import { createMetrics } from '../metrics/metrics.js';
import type { FromScoringThread, ScoringThreadData, ToScoringThread } from './scoringThreadProtocol.js';
import { startPipeline } from './worker.js';

/** The entry point of one scoring thread: a whole pipeline, driven by messages from scoringThreads.ts. */
const port = parentPort;
if (!port) throw new Error('scoringThread.ts runs as a worker thread (see scoringThreads.ts)');
const { config, index } = workerData as ScoringThreadData;
const post = (message: FromScoringThread) => port.postMessage(message);
const logger = createLogger(config.logLevel).child({ thread: index });

const joining = new Promise<void>((resolve) => {
  port.on('message', (request: ToScoringThread) => {
    if (request.type === 'join') resolve();
  });
});

try {
  const pipeline = await startPipeline(
    config,
    logger,
    {
      onFatal: (error) => post({ type: 'fatal', error: errorSummary(error) }),
      beforeJoin: () => {
        post({ type: 'prepared' });
        return joining;
      },
    },
    createMetrics({ processMetrics: false }),
  );
  port.on('message', async (request: ToScoringThread) => {
    switch (request.type) {
      case 'metrics':
        post({
          type: 'metrics',
          id: request.id,
          metrics: await pipeline.metrics.registry.getMetricsAsJSON(),
        });
        break;
      case 'health':
        post({ type: 'health', id: request.id, ready: pipeline.ready(), details: pipeline.details() });
        break;
      case 'stop': {
        let failure: ErrorSummary | undefined;
        try {
          await pipeline.stop();
        } catch (error) {
          failure = errorSummary(error);
        }
        // Logs are written asynchronously: answer once they are out, since the thread ends next.
        logger.flush(() => {
          post({ type: 'stopped', id: request.id, ...(failure ? { error: failure } : {}) });
          port.close();
        });
        break;
      }
      case 'join':
        break;
    }
  });
  post({ type: 'started' });
} catch (error) {
  post({ type: 'fatal', error: errorSummary(error) });
}
