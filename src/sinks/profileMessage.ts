import type { InterestProfile, WeightedName } from '../insights/profiles.js';

/**
 * A user's interest profile as published to the profiles topic (SEQSCORE_PROFILES_TOPIC), keyed by
 * userId, after each micro-batch that scored the user: the newest message of a user is the current
 * profile, so the topic suits log compaction.
 */
export interface ProfileMessage {
  userId: string;
  /** When it was computed, ISO-8601 UTC. */
  at: string;
  modelVersion: string;
  /** Events it was computed from: the user's window. */
  events: number;
  lastEvent: string;
  halfLifeSeconds: number;
  categories: InterestProfile['categories'];
  actions: InterestProfile['actions'];
  /** The model's state after the user's newest event; empty for models without one. */
  embedding: number[];
}

/** Four decimals: profiles are read by people and coarse consumers, not compared byte for byte. */
const round = (value: number) => Math.round(value * 1e4) / 1e4;
const rounded = (entry: WeightedName): WeightedName => ({
  ...entry,
  weight: round(entry.weight),
  share: round(entry.share),
});

export function toProfileMessage(
  userId: string,
  modelVersion: string,
  profile: InterestProfile,
): ProfileMessage {
  return {
    userId,
    at: new Date(profile.nowMs).toISOString(),
    modelVersion,
    events: profile.events,
    lastEvent: new Date(profile.lastEventMs).toISOString(),
    halfLifeSeconds: Math.round(profile.halfLifeMs / 1000),
    categories: profile.categories.map(rounded),
    actions: profile.actions.map(rounded),
    embedding: profile.embedding.map(round),
  };
}
