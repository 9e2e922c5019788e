import type { UserEvent } from '../events/event.js';

/** Groups events by user, each in event-time order; ties keep their input order. */
export function groupByUser(events: readonly UserEvent[]): Map<string, UserEvent[]> {
  const users = new Map<string, UserEvent[]>();
  for (const event of events) {
    const history = users.get(event.userId);
    if (history) history.push(event);
    else users.set(event.userId, [event]);
  }
  for (const history of users.values()) history.sort((a, b) => a.tsMs - b.tsMs);
  return users;
}

export type Role = 'train' | 'validation';

/**
 * A stretch of one user's history, trained on at every step at once: each step's state predicts the
 * event after it. Labels carry the role they serve, decided by time, so validation (early stopping,
 * decision weights) only ever scores events later than anything trained on.
 */
export interface TrainingChunk {
  events: UserEvent[];
  /** The event after each step, or null when there is none before the end of the training data. */
  next: (UserEvent | null)[];
  nextRole: (Role | null)[];
  churned: boolean[];
  churnRole: (Role | null)[];
}

export interface ChunkOptions {
  chunkLength: number;
  churnHorizonMs: number;
  /** Labels dated from here on are validation labels. */
  validFromMs: number;
  /** Events from here on are not training data at all (the start of the test period). */
  trainEndMs: number;
}

function roleAt(tsMs: number, options: ChunkOptions): Role | null {
  if (tsMs < options.validFromMs) return 'train';
  return tsMs < options.trainEndMs ? 'validation' : null;
}

/**
 * Chunks of `chunkLength` events that overlap by half: the first half of each chunk after a user's
 * first is context only (no labels), so every labelled step sees at least half a window of history,
 * as live scoring does, instead of starting from nothing at a chunk boundary.
 */
export function buildChunks(events: readonly UserEvent[], options: ChunkOptions): TrainingChunk[] {
  const chunks: TrainingChunk[] = [];
  const stride = Math.max(1, Math.floor(options.chunkLength / 2));
  for (const sequence of groupByUser(events.filter((event) => event.tsMs < options.trainEndMs)).values()) {
    for (
      let labelFrom = 0;
      labelFrom < sequence.length;
      labelFrom += labelFrom === 0 ? options.chunkLength : stride
    ) {
      const start = Math.max(0, labelFrom - (options.chunkLength - stride));
      const end = Math.min(sequence.length, labelFrom === 0 ? options.chunkLength : labelFrom + stride);
      const chunk: TrainingChunk = { events: [], next: [], nextRole: [], churned: [], churnRole: [] };
      for (let i = start; i < end; i++) {
        const event = sequence[i] as UserEvent;
        const labelled = i >= labelFrom;
        const next = sequence[i + 1] ?? null;
        chunk.events.push(event);
        chunk.next.push(next);
        chunk.nextRole.push(labelled && next ? roleAt(next.tsMs, options) : null);
        // A churn label is known once the horizon has passed; it belongs to the period that contains
        // the whole horizon, so no training label peeks into the validation period.
        const horizonEnd = event.tsMs + options.churnHorizonMs;
        chunk.churned.push(next === null || next.tsMs > horizonEnd);
        const churnRole =
          horizonEnd <= options.validFromMs
            ? 'train'
            : event.tsMs >= options.validFromMs && horizonEnd <= options.trainEndMs
              ? 'validation'
              : null;
        chunk.churnRole.push(labelled ? churnRole : null);
      }
      chunks.push(chunk);
    }
  }
  return chunks;
}
