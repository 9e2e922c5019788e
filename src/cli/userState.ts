import type { Config } from '../config.js';
import { userIdMapper } from '../events/userIds.js';
import type { WindowEntry } from '../features/windowEntry.js';
import { WindowStore, windowOptions } from '../features/windowStore.js';
import { createRedis } from '../infra/redis.js';
import { createLogger } from '../logger.js';
import { initBackend } from '../model/backend.js';
import { type LoadedModel, loadModelFolder } from '../model/modelFolder.js';
import type { Segments } from '../model/segmentsFile.js';
import { loadSegments } from '../model/segmentsFile.js';

export interface UserState {
  window: WindowEntry[];
  loaded: LoadedModel;
  segments: Segments | undefined;
}

/**
 * What `profile` and `explain` read about one user: the window the worker keeps in Redis (the id is
 * pseudonymised first, as the worker does), and the model with its segments. Undefined, with a
 * message and exit code 1, when nothing is stored about the user.
 */
export async function readUserState(
  config: Config,
  user: string,
  modelFolder: string,
): Promise<UserState | undefined> {
  const redis = createRedis(config.redis, 'seqscore-user-state', createLogger(config.logLevel));
  let window: WindowEntry[];
  try {
    const windows = new WindowStore(redis, windowOptions(config));
    window = await windows.read(userIdMapper(config.userIdKey)(user));
  } finally {
    redis.disconnect();
  }
  if (window.length === 0) {
    console.error('nothing stored about the user (or it has expired)');
    process.exitCode = 1;
    return undefined;
  }
  await initBackend(config.model.backend, 'inference');
  const loaded = await loadModelFolder(modelFolder);
  const segments = await loadSegments(modelFolder, loaded.metadata.version);
  return { window, loaded, segments };
}
