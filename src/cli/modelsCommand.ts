import type { Command } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { createRedis } from '../infra/redis.js';
import { createLogger } from '../logger.js';
import { initBackend } from '../model/backend.js';
import { ModelLoadError } from '../model/modelFolder.js';
import { ModelRegistry, RegistryError } from '../registry/modelRegistry.js';
import { loadCheckedModel, ModelRefusedError } from '../worker/modelSwitch.js';

/** Runs a subcommand; what it cannot do is one line on stderr and exit status 1, not a stack trace. */
async function withRegistry(work: (registry: ModelRegistry, config: Config) => Promise<void>): Promise<void> {
  const config = loadConfig();
  if (!config.registry) {
    console.error('error: set SEQSCORE_REGISTRY_DIR to the model registry');
    process.exitCode = 1;
    return;
  }
  const redis = createRedis(config.redis, 'seqscore-models', createLogger(config.logLevel));
  try {
    await work(new ModelRegistry(config.registry.dir, redis, config.redis.keyPrefix), config);
  } catch (error) {
    if (
      !(
        error instanceof RegistryError ||
        error instanceof ModelRefusedError ||
        error instanceof ModelLoadError
      )
    )
      throw error;
    console.error(`error: ${error.message}`);
    process.exitCode = 1;
  } finally {
    redis.disconnect();
  }
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([name, value]) => `${name}=${value.toFixed(4)}`)
    .join(' ');
}

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('the model registry (SEQSCORE_REGISTRY_DIR)');
  models
    .command('list')
    .description('every version, oldest first; * marks the one workers serve')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) =>
      withRegistry(async (registry) => {
        const [entries, current] = await Promise.all([registry.list(), registry.current()]);
        if (options.json) {
          console.log(JSON.stringify({ current, versions: entries }));
          return;
        }
        for (const entry of entries) {
          const decision = entry.decision
            ? entry.decision.promoted
              ? 'promoted'
              : 'rejected'
            : entry.origin;
          console.log(
            `${entry.version === current ? '*' : ' '} ${entry.version}  ${entry.createdAt}  ${decision}  ` +
              `parent=${entry.parent ?? '-'}  ${formatMetrics(entry.metrics)}`,
          );
        }
      }),
    );
  models
    .command('show <version>')
    .description("a version's registry entry: training window, data counts, metrics, decision")
    .action(async (version: string) =>
      withRegistry(async (registry) => console.log(JSON.stringify(await registry.show(version), null, 2))),
    );
  models
    .command('import <dir>')
    .description('add a model folder (e.g. from `seqscore train`) to the registry under its own version')
    .action(async (dir: string) =>
      withRegistry(async (registry) => console.log((await registry.import(dir)).version)),
    );
  models
    .command('promote <version>')
    .description('make a version current, after loading and trying it as a worker would')
    .action(async (version: string) =>
      withRegistry(async (registry, config) => {
        await initBackend(config.model.backend, 'inference');
        const checked = await loadCheckedModel(
          registry.folder(version),
          {
            actions: config.events.actions,
            topK: config.model.topK,
            exploreCandidates: config.model.exploreCandidates,
          },
          version,
        );
        checked.loaded.model.dispose();
        const moved = await registry.promote(version);
        console.log(`current: ${moved.current}`);
      }),
    );
  models
    .command('rollback')
    .description('make the previously current version current again')
    .action(async () =>
      withRegistry(async (registry) => {
        const moved = await registry.rollback();
        if (!moved.moved)
          throw new RegistryError(`nothing to roll back to (current: ${moved.current ?? 'none'})`);
        console.log(`current: ${moved.current}`);
      }),
    );
}
