import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ScriptLoader } from '../features/scriptLoader.js';
import { readModelMetadata } from '../model/modelFolder.js';

/**
 * Versioned models in a folder every worker and the trainer reach (a shared volume or a mounted
 * object store): `<dir>/<version>/` is a model folder plus registry.json (where the model came from,
 * its metrics and the promotion decision). A version folder appears by one rename, complete, or not
 * at all; runs in progress write under `<dir>/.staging/`. Which version workers serve is a pointer
 * in Redis, moved atomically with its history (for rollback) and announced on a pub/sub channel.
 */

export const REGISTRY_FILE = 'registry.json';
const STAGING = '.staging';
const HISTORY_KEPT = 100;
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const comparisonSchema = z.object({
  metric: z.string(),
  challenger: z.number().nullable(),
  champion: z.number().nullable(),
  better: z.enum(['higher', 'lower']),
  worse: z.boolean(),
});

export const registryEntrySchema = z.object({
  version: z.string(),
  createdAt: z.string(),
  architecture: z.string(),
  /** The version that was current when this one was made: the champion it was compared with. */
  parent: z.string().nullable(),
  origin: z.enum(['retrain', 'import']),
  training: z.object({
    source: z.string(),
    /** The window of input read (Kafka record times, or event times for a file). */
    windowFrom: z.string().nullable(),
    windowTo: z.string().nullable(),
    events: z.number().int().nonnegative(),
    /** Events before evaluationFrom: what the model was trained on. */
    trainingEvents: z.number().int().nonnegative(),
    evaluationFrom: z.string().nullable(),
    evaluationCases: z.number().int().nonnegative(),
  }),
  /** This model's metrics on the evaluation slice. */
  metrics: z.record(z.string(), z.number()),
  decision: z
    .object({
      promoted: z.boolean(),
      reason: z.string(),
      champion: z.string().nullable(),
      championMetrics: z.record(z.string(), z.number()),
      tolerance: z.number(),
      comparisons: z.array(comparisonSchema),
    })
    .nullable(),
});

export type RegistryEntry = z.infer<typeof registryEntrySchema>;

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}

export interface MoveResult {
  moved: boolean;
  current: string | null;
}

const registryScripts = new ScriptLoader(new URL('./lua/', import.meta.url));

export function assertVersionName(version: string): void {
  if (!VERSION_NAME.test(version)) {
    throw new RegistryError(`"${version}" is not a model version (letters, digits, . _ - only)`);
  }
}

export class ModelRegistry {
  private readonly keys: { current: string; history: string; sequence: string };
  readonly channel: string;

  constructor(
    readonly dir: string,
    private readonly redis: Redis,
    keyPrefix: string,
  ) {
    this.keys = {
      current: `${keyPrefix}:registry:current`,
      history: `${keyPrefix}:registry:history`,
      sequence: `${keyPrefix}:registry:sequence`,
    };
    this.channel = `${keyPrefix}:registry:promotions`;
  }

  folder(version: string): string {
    assertVersionName(version);
    return join(this.dir, version);
  }

  /** A fresh, unique version name: `<architecture>-<UTC time>-r<registry sequence number>`. */
  async newVersion(architecture: string, at: Date): Promise<string> {
    const sequence = await this.redis.incr(this.keys.sequence);
    const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    return `${architecture}-${stamp}-r${sequence}`;
  }

  /** An empty folder for a run's work in progress; commit() moves it into place. */
  async stagingFolder(runId: string): Promise<string> {
    const folder = join(this.dir, STAGING, runId.replace(/[^A-Za-z0-9._-]/g, '_'));
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    return folder;
  }

  /** Removes what runs that died left in staging, once older than `olderThanMs`. */
  async removeStaleStaging(olderThanMs: number, now = Date.now()): Promise<string[]> {
    const root = join(this.dir, STAGING);
    const removed: string[] = [];
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const info = await stat(join(root, name)).catch(() => undefined);
      if (info && now - info.mtimeMs > olderThanMs) {
        await rm(join(root, name), { recursive: true, force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  /**
   * Publishes a complete model folder (staged by the caller) as version entry.version: registry.json
   * is written into it, then the folder is renamed into place, so a version is never half there.
   */
  async commit(staged: string, entry: RegistryEntry): Promise<void> {
    const target = this.folder(entry.version);
    const metadata = await readModelMetadata(staged);
    if (metadata.version !== entry.version) {
      throw new RegistryError(`${staged} holds model ${metadata.version}, not ${entry.version}`);
    }
    await writeFile(join(staged, REGISTRY_FILE), `${JSON.stringify(entry, null, 2)}\n`);
    await mkdir(this.dir, { recursive: true });
    if (await exists(target)) throw new RegistryError(`version ${entry.version} exists already`);
    await rename(staged, target);
  }

  /** Rewrites a version's registry.json (by rename, so readers see the old or the new one whole). */
  async record(entry: RegistryEntry): Promise<void> {
    const file = join(this.folder(entry.version), REGISTRY_FILE);
    const temporary = `${file}.${process.pid}-${Date.now()}`;
    await writeFile(temporary, `${JSON.stringify(entry, null, 2)}\n`);
    await rename(temporary, file);
  }

  /** Copies a model folder (e.g. from `seqscore train`) in as a version of its own name. */
  async import(folder: string): Promise<RegistryEntry> {
    const metadata = await readModelMetadata(folder);
    assertVersionName(metadata.version);
    if (await exists(this.folder(metadata.version))) {
      throw new RegistryError(`version ${metadata.version} exists already`);
    }
    const staged = await this.stagingFolder(`import-${metadata.version}-${process.pid}`);
    try {
      await cp(folder, staged, { recursive: true });
      const entry: RegistryEntry = {
        version: metadata.version,
        createdAt: metadata.createdAt,
        architecture: metadata.model.architecture,
        parent: null,
        origin: 'import',
        training: {
          source: metadata.training.source,
          windowFrom: null,
          windowTo: null,
          events: metadata.training.events,
          trainingEvents: 0,
          evaluationFrom: metadata.training.testFrom || null,
          evaluationCases: 0,
        },
        metrics: {},
        decision: null,
      };
      await this.commit(staged, entry);
      return entry;
    } catch (error) {
      await rm(staged, { recursive: true, force: true });
      throw error;
    }
  }

  async show(version: string): Promise<RegistryEntry> {
    const file = join(this.folder(version), REGISTRY_FILE);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new RegistryError(
        code === 'ENOENT'
          ? `no version ${version} in ${this.dir}`
          : `cannot read ${file}: ${(error as Error).message}`,
      );
    }
    const parsed = registryEntrySchema.safeParse(raw);
    if (!parsed.success) throw new RegistryError(`${file} is not a registry entry: ${parsed.error.message}`);
    return parsed.data;
  }

  /** Every version, oldest first. Folders without a readable registry.json are skipped. */
  async list(): Promise<RegistryEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: RegistryEntry[] = [];
    for (const name of names) {
      if (!VERSION_NAME.test(name)) continue;
      const entry = await this.show(name).catch(() => undefined);
      if (entry) entries.push(entry);
    }
    return entries.sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version),
    );
  }

  async current(): Promise<string | null> {
    return (await this.redis.get(this.keys.current)) || null;
  }

  /** Earlier current versions, newest first: where rollback goes. */
  async history(): Promise<string[]> {
    return this.redis.lrange(this.keys.history, 0, -1);
  }

  /**
   * Makes `version` current if the current version is still `expected` (null: none yet; '*': any),
   * and tells the workers. The version must be in the registry.
   */
  async promote(version: string, expected: string | null | '*' = '*'): Promise<MoveResult> {
    await this.show(version);
    return this.move('promote', version, expected ?? '');
  }

  /** Makes the previous current version current again. */
  async rollback(): Promise<MoveResult> {
    return this.move('rollback', '', '');
  }

  private async move(mode: 'promote' | 'rollback', version: string, expected: string): Promise<MoveResult> {
    const raw = (await registryScripts.command(this.redis, 'moveCurrentModel')(
      this.keys.current,
      this.keys.history,
      mode,
      version,
      expected,
      this.channel,
      HISTORY_KEPT,
    )) as [number, string];
    const [status, current] = raw;
    return { moved: status === 1 || status === 2, current: current || null };
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
