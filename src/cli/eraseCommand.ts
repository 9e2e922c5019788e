import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { userIdMapper } from '../events/userIds.js';
import { WindowStore } from '../features/windowStore.js';
import { createRedis } from '../infra/redis.js';
import { createLogger } from '../logger.js';

export function registerEraseCommand(program: Command): void {
  program
    .command('erase')
    .description(
      'delete everything seqscore stores in Redis about one user (window, remembered ids and scores, offsets)',
    )
    .requiredOption(
      '--user <id>',
      'the user id as producers send it; pseudonymised with SEQSCORE_USER_ID_KEY first when that is set',
    )
    .action(async (options: { user: string }) => {
      const config = loadConfig();
      const redis = createRedis(config.redis, 'seqscore-erase', createLogger(config.logLevel));
      try {
        const windows = new WindowStore(redis, {
          keyPrefix: config.redis.keyPrefix,
          size: config.window.size,
          dedupeIds: config.window.dedupeIds,
          ttlMs: config.window.ttlMs,
          latenessMs: config.window.latenessMs,
        });
        const erased = await windows.erase(userIdMapper(config.userIdKey)(options.user));
        console.log(
          erased > 0
            ? `erased ${erased} keys about the user`
            : 'nothing stored about the user (or it has expired)',
        );
      } finally {
        redis.disconnect();
      }
    });
}
