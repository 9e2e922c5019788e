import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { userIdMapper } from '../events/userIds.js';
import { WindowStore, windowOptions } from '../features/windowStore.js';
import { createRedis } from '../infra/redis.js';
import { createLogger } from '../logger.js';

export function registerEraseCommand(program: Command): void {
  program
    .command('erase')
    .description(
      'delete everything seqscore stores in Redis about one user (window, model state, recent ids and scores, offsets)',
    )
    .requiredOption(
      '--user <id>',
      'the user id as producers send it; pseudonymised with SEQSCORE_USER_ID_KEY first when that is set',
    )
    .action(async (options: { user: string }) => {
      const config = loadConfig();
      const redis = createRedis(config.redis, 'seqscore-erase', createLogger(config.logLevel));
      try {
        const windows = new WindowStore(redis, windowOptions(config));
        const erased = await windows.erase(userIdMapper(config.userIdKey)(options.user));
        console.log(
          erased > 0 ? "erased the user's state" : 'nothing stored about the user (or it has expired)',
        );
      } finally {
        redis.disconnect();
      }
    });
}
