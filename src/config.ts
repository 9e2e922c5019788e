import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { MAX_ACTIONS } from './features/windowEntry.js';
import { BACKEND_NAMES, type BackendPreference } from './model/backendNames.js';
import { metricDirection, type PromotionRule } from './retrain/promotionRule.js';

/**
 * The one place where seqscore reads its environment. Every variable has a documented default
 * (README "Configuration"); relations between fields are checked here so that a bad deployment
 * fails at start-up with every problem listed, not later in the hot loop.
 */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "30s", "15m", "6h", "7d" or a bare number of seconds into milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (use e.g. 500ms, 30s, 15m, 6h, 7d)`);
  return Math.round(Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] ?? 1_000));
}

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDurationMs(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const list = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

const aliasMap = z.string().transform((text, ctx) => {
  const aliases: Record<string, string> = {};
  for (const pair of text.split(',').filter((part) => part.trim().length > 0)) {
    const [alias, action] = pair.split('=').map((part) => part.trim());
    if (!alias || !action) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not alias=action` });
      return z.NEVER;
    }
    aliases[alias] = action;
  }
  return aliases;
});

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((text) => ['true', '1', 'yes'].includes(text));

const SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = Exclude<(typeof SASL_MECHANISMS)[number], 'none'>;

/** Secrets may come from a file (e.g. a mounted secret) instead of the environment. */
const SECRET_VARIABLES = ['KAFKA_SASL_PASSWORD', 'REDIS_PASSWORD', 'SEQSCORE_USER_ID_KEY'] as const;

const envSchema = z
  .object({
    KAFKA_BROKERS: list.default(['127.0.0.1:9092']),
    KAFKA_CLIENT_ID: z.string().min(1).default('seqscore'),
    SEQSCORE_GROUP_ID: z.string().min(1).default('seqscore-worker'),
    SEQSCORE_INPUT_TOPIC: z.string().min(1).default('user-events'),
    SEQSCORE_OUTPUT_TOPIC: z.string().min(1).default('user-scores'),
    SEQSCORE_DLQ_TOPIC: z.string().min(1).optional(),
    SEQSCORE_PROFILES_TOPIC: z.string().min(1).optional(),
    SEQSCORE_TOPIC_PARTITIONS: int(1, 10_000).default(6),
    SEQSCORE_SESSION_TIMEOUT: duration.default(30_000),
    SEQSCORE_HEARTBEAT_INTERVAL: duration.default(3_000),
    KAFKA_SSL: bool.default(false),
    KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
    KAFKA_SSL_CERT_FILE: z.string().min(1).optional(),
    KAFKA_SSL_KEY_FILE: z.string().min(1).optional(),
    KAFKA_SSL_REJECT_UNAUTHORIZED: bool.default(true),
    KAFKA_SASL_MECHANISM: z.enum(SASL_MECHANISMS).default('none'),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    SEQSCORE_FETCH_MAX_BYTES: int(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
    SEQSCORE_FETCH_LINGER: duration.refine((ms) => ms <= 60_000, 'must be at most 1m').default(0),
    SEQSCORE_KAFKA_TRANSACTIONS: bool.default(false),
    SEQSCORE_MAX_BATCH: int(1, 100_000).default(500),
    SEQSCORE_WORKER_THREADS: z
      .union([z.literal('auto'), z.coerce.number().int().min(1).max(256)])
      .default('auto'),
    SEQSCORE_RETRY_BACKOFF_MAX: duration.default(10_000),
    SEQSCORE_SHUTDOWN_TIMEOUT: duration.default(30_000),
    SEQSCORE_MAX_EVENT_BYTES: int(64, 16 * 1024 * 1024).default(64 * 1024),
    SEQSCORE_MAX_FUTURE_SKEW: duration.default(86_400_000),
    REDIS_URL: z
      .string()
      .url()
      .refine((url) => /^rediss?:\/\//.test(url), 'must start with redis:// or rediss:// (TLS)')
      .default('redis://127.0.0.1:6379'),
    REDIS_USERNAME: z.string().min(1).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    REDIS_TLS_REJECT_UNAUTHORIZED: bool.default(true),
    SEQSCORE_REDIS_COMMAND_TIMEOUT: duration.default(10_000),
    SEQSCORE_REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')
      .default('seqscore'),
    SEQSCORE_WINDOW_SIZE: int(1, 10_000).default(50),
    SEQSCORE_DEDUPE_IDS: int(0, 255).default(8),
    SEQSCORE_STATE_CACHE_USERS: int(0, 10_000_000).default(100_000),
    SEQSCORE_STATE_TTL: duration.default(7 * 86_400_000),
    SEQSCORE_MAX_LATENESS: duration.default(3_600_000),
    SEQSCORE_ACTIONS: list.default(['view', 'cart', 'fav', 'purchase']),
    SEQSCORE_ACTION_ALIASES: aliasMap.default({ pv: 'view', buy: 'purchase' }),
    SEQSCORE_MODEL_DIR: z.string().min(1).default('.seqscore/models/current'),
    SEQSCORE_CHURN_HORIZON: duration.default(86_400_000),
    SEQSCORE_REGISTRY_DIR: z.string().min(1).optional(),
    SEQSCORE_MODEL_POLL_INTERVAL: duration.default(30_000),
    SEQSCORE_RETRAIN_EVERY: duration.optional(),
    SEQSCORE_RETRAIN_CRON: z.string().min(1).optional(),
    SEQSCORE_RETRAIN_ATTEMPTS: int(1, 100).default(3),
    SEQSCORE_TRAIN_WINDOW: duration.default(7 * 86_400_000),
    SEQSCORE_PROMOTE_METRICS: list
      .pipe(
        z.array(
          z.string().refine((metric) => metricDirection(metric) !== undefined, {
            message:
              'unknown metric (next_action_f1|accuracy|log_loss, next_item_hit_rate|ndcg|mrr_at_<k>, churn_auc|pr_auc|brier)',
          }),
        ),
      )
      .default(['next_action_f1', 'next_item_hit_rate_at_10', 'churn_auc']),
    SEQSCORE_PROMOTE_TOLERANCE: z.coerce.number().min(0).max(1).default(0.005),
    SEQSCORE_TOP_K: int(1, 255).default(10),
    SEQSCORE_EXPLORE_CANDIDATES: int(0, 10_000_000).default(2048),
    SEQSCORE_USER_ID_KEY: z.string().min(32, 'must be at least 32 characters of secret').optional(),
    SEQSCORE_PROFILE_HALF_LIFE: duration.refine((ms) => ms > 0, 'must be longer than 0').default(86_400_000),
    SEQSCORE_SEGMENTS: z
      .union([z.literal('auto'), z.coerce.number().int().min(1).max(1_000)])
      .default('auto'),
    SEQSCORE_TF_BACKEND: z.enum(['auto', ...BACKEND_NAMES]).default('auto'),
    SEQSCORE_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    SEQSCORE_METRICS_PORT: int(0, 65_535).default(9464),
    SEQSCORE_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.SEQSCORE_HEARTBEAT_INTERVAL >= env.SEQSCORE_SESSION_TIMEOUT) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEQSCORE_HEARTBEAT_INTERVAL'],
        message: 'must be below SEQSCORE_SESSION_TIMEOUT, or the group evicts a healthy worker',
      });
    }
    if (env.SEQSCORE_ACTIONS.length > MAX_ACTIONS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEQSCORE_ACTIONS'],
        message: `at most ${MAX_ACTIONS} actions: a window entry stores the action in four bits`,
      });
    }
    if (env.KAFKA_SASL_MECHANISM !== 'none' && (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_MECHANISM'],
        message: 'needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)',
      });
    }
    if ((env.KAFKA_SSL_CERT_FILE === undefined) !== (env.KAFKA_SSL_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SSL_CERT_FILE'],
        message: 'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
      });
    }
    if (env.SEQSCORE_RETRAIN_EVERY !== undefined && env.SEQSCORE_RETRAIN_CRON !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEQSCORE_RETRAIN_EVERY'],
        message: 'set SEQSCORE_RETRAIN_EVERY or SEQSCORE_RETRAIN_CRON, not both',
      });
    }
    for (const metric of env.SEQSCORE_PROMOTE_METRICS) {
      const cutOff = /_at_(\d+)$/.exec(metric)?.[1];
      if (cutOff !== undefined && Number(cutOff) !== env.SEQSCORE_TOP_K) {
        ctx.addIssue({
          code: 'custom',
          path: ['SEQSCORE_PROMOTE_METRICS'],
          message: `${metric}: evaluations rank the top SEQSCORE_TOP_K (${env.SEQSCORE_TOP_K}) items`,
        });
      }
    }
    const actions = new Set(env.SEQSCORE_ACTIONS);
    if (actions.size !== env.SEQSCORE_ACTIONS.length) {
      ctx.addIssue({ code: 'custom', path: ['SEQSCORE_ACTIONS'], message: 'lists an action twice' });
    }
    for (const [alias, action] of Object.entries(env.SEQSCORE_ACTION_ALIASES)) {
      if (!actions.has(action)) {
        ctx.addIssue({
          code: 'custom',
          path: ['SEQSCORE_ACTION_ALIASES'],
          message: `alias "${alias}" points at "${action}", which is not in SEQSCORE_ACTIONS`,
        });
      }
    }
  });

/**
 * Every environment variable the configuration reads, with the `_FILE` variant of each secret:
 * deployment files may set these and no others.
 */
export const CONFIG_VARIABLES: readonly string[] = [
  ...Object.keys(envSchema.shape),
  ...SECRET_VARIABLES.map((name) => `${name}_FILE`),
];

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** TLS to the brokers; undefined for plaintext. Files are PEM. */
  ssl?: { caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized: boolean };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export interface RedisConfig {
  url: string;
  /** Override the credentials in the URL (ACL user, or the password of the default user). */
  username?: string;
  password?: string;
  /** Used when the URL is rediss:// (TLS). */
  tls: { caFile?: string; rejectUnauthorized: boolean };
  commandTimeoutMs: number;
}

export interface Config {
  kafka: KafkaConfig & {
    groupId: string;
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    fetchMaxBytes: number;
    /** How long the broker may hold a fetch for more events; 0 answers as soon as there are any. */
    fetchLingerMs: number;
    /** Publish each micro-batch and commit its offsets in one Kafka transaction. */
    transactions: boolean;
  };
  /** profiles: where each scored user's interest profile goes; undefined publishes none. */
  topics: { input: string; output: string; deadLetter: string; profiles?: string; partitions: number };
  redis: RedisConfig & { keyPrefix: string };
  window: { size: number; dedupeIds: number; ttlMs: number; latenessMs: number; cacheUsers: number };
  events: {
    actions: string[];
    aliases: Record<string, string>;
    maxBytes: number;
    maxFutureSkewMs: number;
  };
  model: {
    dir: string;
    churnHorizonMs: number;
    topK: number;
    exploreCandidates: number;
    backend: BackendPreference;
  };
  /** profileHalfLifeMs: decay of profile weights; segments: k, or 'auto' for the best silhouette. */
  insights: { profileHalfLifeMs: number; segments: number | 'auto' };
  /** threads: consumer-group members run by the worker process, one per thread. */
  worker: { maxBatch: number; threads: number; retryBackoffMaxMs: number; shutdownTimeoutMs: number };
  /** Versioned models; undefined: the worker serves model.dir and nothing is retrained. */
  registry?: { dir: string; pollIntervalMs: number };
  retrain: {
    /** When scheduled runs fire: every so many ms, or on a cron pattern. */
    schedule: { everyMs: number } | { cron: string };
    attempts: number;
    windowMs: number;
    promotion: PromotionRule;
  };
  /** Key of the HMAC that pseudonymises user ids before Redis and the output; undefined: ids as sent. */
  userIdKey?: string;
  metrics: { host: string; port: number };
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Fills X from the file named by X_FILE, for each secret that is given that way. */
function readSecretFiles(env: Record<string, string>): Record<string, string> {
  const withSecrets = { ...env };
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined)
      throw new ConfigError(`invalid configuration:\n  ${name}: set both it and ${name}_FILE`);
    try {
      withSecrets[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(
        `invalid configuration:\n  ${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  return withSecrets;
}

/** Reads and validates the environment. Throws ConfigError naming every invalid variable, never a value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = readSecretFiles(
    Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
      ),
    ),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const config: Config = {
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      groupId: e.SEQSCORE_GROUP_ID,
      sessionTimeoutMs: e.SEQSCORE_SESSION_TIMEOUT,
      heartbeatIntervalMs: e.SEQSCORE_HEARTBEAT_INTERVAL,
      fetchMaxBytes: e.SEQSCORE_FETCH_MAX_BYTES,
      fetchLingerMs: e.SEQSCORE_FETCH_LINGER,
      transactions: e.SEQSCORE_KAFKA_TRANSACTIONS,
    },
    topics: {
      input: e.SEQSCORE_INPUT_TOPIC,
      output: e.SEQSCORE_OUTPUT_TOPIC,
      deadLetter: e.SEQSCORE_DLQ_TOPIC ?? `${e.SEQSCORE_INPUT_TOPIC}.dlq`,
      ...(e.SEQSCORE_PROFILES_TOPIC ? { profiles: e.SEQSCORE_PROFILES_TOPIC } : {}),
      partitions: e.SEQSCORE_TOPIC_PARTITIONS,
    },
    redis: {
      url: e.REDIS_URL,
      keyPrefix: e.SEQSCORE_REDIS_PREFIX,
      tls: { rejectUnauthorized: e.REDIS_TLS_REJECT_UNAUTHORIZED },
      commandTimeoutMs: e.SEQSCORE_REDIS_COMMAND_TIMEOUT,
    },
    window: {
      size: e.SEQSCORE_WINDOW_SIZE,
      dedupeIds: e.SEQSCORE_DEDUPE_IDS,
      cacheUsers: e.SEQSCORE_STATE_CACHE_USERS,
      ttlMs: e.SEQSCORE_STATE_TTL,
      latenessMs: e.SEQSCORE_MAX_LATENESS,
    },
    events: {
      actions: e.SEQSCORE_ACTIONS,
      aliases: e.SEQSCORE_ACTION_ALIASES,
      maxBytes: e.SEQSCORE_MAX_EVENT_BYTES,
      maxFutureSkewMs: e.SEQSCORE_MAX_FUTURE_SKEW,
    },
    model: {
      dir: e.SEQSCORE_MODEL_DIR,
      churnHorizonMs: e.SEQSCORE_CHURN_HORIZON,
      topK: e.SEQSCORE_TOP_K,
      exploreCandidates: e.SEQSCORE_EXPLORE_CANDIDATES,
      backend: e.SEQSCORE_TF_BACKEND,
    },
    insights: { profileHalfLifeMs: e.SEQSCORE_PROFILE_HALF_LIFE, segments: e.SEQSCORE_SEGMENTS },
    worker: {
      maxBatch: e.SEQSCORE_MAX_BATCH,
      // A group member without a partition has nothing to do, so 'auto' stops at the partition count.
      threads:
        e.SEQSCORE_WORKER_THREADS === 'auto'
          ? Math.min(availableParallelism(), e.SEQSCORE_TOPIC_PARTITIONS)
          : e.SEQSCORE_WORKER_THREADS,
      retryBackoffMaxMs: e.SEQSCORE_RETRY_BACKOFF_MAX,
      shutdownTimeoutMs: e.SEQSCORE_SHUTDOWN_TIMEOUT,
    },
    retrain: {
      schedule: e.SEQSCORE_RETRAIN_CRON
        ? { cron: e.SEQSCORE_RETRAIN_CRON }
        : { everyMs: e.SEQSCORE_RETRAIN_EVERY ?? 86_400_000 },
      attempts: e.SEQSCORE_RETRAIN_ATTEMPTS,
      windowMs: e.SEQSCORE_TRAIN_WINDOW,
      promotion: { metrics: e.SEQSCORE_PROMOTE_METRICS, tolerance: e.SEQSCORE_PROMOTE_TOLERANCE },
    },
    metrics: { host: e.SEQSCORE_METRICS_HOST, port: e.SEQSCORE_METRICS_PORT },
    logLevel: e.SEQSCORE_LOG_LEVEL,
  };
  if (e.KAFKA_SSL) {
    config.kafka.ssl = { rejectUnauthorized: e.KAFKA_SSL_REJECT_UNAUTHORIZED };
    if (e.KAFKA_SSL_CA_FILE) config.kafka.ssl.caFile = e.KAFKA_SSL_CA_FILE;
    if (e.KAFKA_SSL_CERT_FILE) config.kafka.ssl.certFile = e.KAFKA_SSL_CERT_FILE;
    if (e.KAFKA_SSL_KEY_FILE) config.kafka.ssl.keyFile = e.KAFKA_SSL_KEY_FILE;
  }
  if (e.KAFKA_SASL_MECHANISM !== 'none') {
    config.kafka.sasl = {
      mechanism: e.KAFKA_SASL_MECHANISM,
      username: e.KAFKA_SASL_USERNAME as string,
      password: e.KAFKA_SASL_PASSWORD as string,
    };
  }
  if (e.REDIS_USERNAME) config.redis.username = e.REDIS_USERNAME;
  if (e.REDIS_PASSWORD) config.redis.password = e.REDIS_PASSWORD;
  if (e.REDIS_TLS_CA_FILE) config.redis.tls.caFile = e.REDIS_TLS_CA_FILE;
  if (e.SEQSCORE_REGISTRY_DIR)
    config.registry = { dir: e.SEQSCORE_REGISTRY_DIR, pollIntervalMs: e.SEQSCORE_MODEL_POLL_INTERVAL };
  if (e.SEQSCORE_USER_ID_KEY) config.userIdKey = e.SEQSCORE_USER_ID_KEY;
  return config;
}
