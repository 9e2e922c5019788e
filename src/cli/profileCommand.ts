import type { Command } from 'commander';
import { loadConfig, parseDurationMs } from '../config.js';
import { buildProfile } from '../insights/profiles.js';
import { assignSegment } from '../insights/segments.js';
import { userEmbeddings } from '../model/embeddings.js';
import { readUserState } from './userState.js';

interface ProfileOptions {
  user: string;
  model?: string;
  halfLife?: string;
  json: boolean;
}

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description(
      "one user's interest profile from the window in Redis: decayed category weights, embedding, segment",
    )
    .requiredOption('--user <id>', 'the user id as producers send it')
    .option('--model <dir>', 'model folder (default SEQSCORE_MODEL_DIR)')
    .option('--half-life <duration>', 'half-life of an event weight (default SEQSCORE_PROFILE_HALF_LIFE)')
    .option('--json', 'print the profile as one JSON object', false)
    .action(async (options: ProfileOptions) => {
      const config = loadConfig();
      const halfLifeMs = options.halfLife
        ? parseDurationMs(options.halfLife)
        : config.insights.profileHalfLifeMs;
      if (!(halfLifeMs > 0)) throw new Error('--half-life must be longer than 0');
      const state = await readUserState(config, options.user, options.model ?? config.model.dir);
      if (!state) return;
      const { window, loaded, segments } = state;
      const [embedding] = userEmbeddings(loaded.model, [window]);
      loaded.model.dispose();
      const profile = buildProfile(window, embedding as Float32Array, Date.now(), halfLifeMs);
      const segment = segments ? assignSegment(segments, profile.embedding) : null;
      if (options.json) {
        console.log(
          JSON.stringify({ user: options.user, modelVersion: loaded.metadata.version, segment, ...profile }),
        );
        return;
      }
      console.log(
        `user ${options.user}: ${profile.events} events from ${new Date(profile.firstEventMs).toISOString()} to ${new Date(profile.lastEventMs).toISOString()}`,
      );
      console.log(
        `segment: ${segment ?? `none (the model folder has no segments; run seqscore insights --save-segments)`}`,
      );
      console.log(`interests (half-life ${halfLifeMs / 3_600_000} h):`);
      for (const c of profile.categories.slice(0, 10))
        console.log(`  category ${c.name.padEnd(12)} ${(c.share * 100).toFixed(1).padStart(5)}%`);
      console.log(
        `actions: ${profile.actions.map((a) => `${a.name} ${(a.share * 100).toFixed(1)}%`).join(', ')}`,
      );
      console.log(
        `embedding (${profile.embedding.length} values, model ${loaded.metadata.version}): ${profile.embedding
          .slice(0, 8)
          .map((v) => v.toFixed(3))
          .join(' ')} ...`,
      );
    });
}
