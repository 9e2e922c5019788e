import type { Redis } from 'ioredis';
import { errorSummary, type Logger } from '../logger.js';
import type { ModelRegistry } from './modelRegistry.js';

export interface PromotionWatch {
  close(): Promise<void>;
}

/**
 * Calls `onCurrent` with the registry's current version whenever it may have moved: at once on every
 * promotion or rollback (pub/sub), and every `pollIntervalMs` in any case, since pub/sub delivers at
 * most once and a message sent while the subscriber reconnects is lost. `subscriber` must be a
 * connection of its own: a subscribed Redis connection can run no other commands.
 */
export function watchPromotions(
  registry: ModelRegistry,
  subscriber: Redis,
  pollIntervalMs: number,
  onCurrent: (version: string) => void,
  logger: Logger,
): PromotionWatch {
  subscriber.on('message', (channel: string, version: string) => {
    if (channel === registry.channel && version) onCurrent(version);
  });
  subscriber
    .subscribe(registry.channel)
    .catch((error: unknown) =>
      logger.warn({ error: errorSummary(error) }, 'cannot subscribe to model promotions; polling only'),
    );
  const poll = async () => {
    try {
      const version = await registry.current();
      if (version) onCurrent(version);
    } catch (error) {
      logger.warn({ error: errorSummary(error) }, 'cannot read the current model version');
    }
  };
  const timer = setInterval(() => void poll(), pollIntervalMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      subscriber.disconnect();
    },
  };
}
